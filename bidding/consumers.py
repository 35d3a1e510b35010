"""`/ws/rounds/{id}/`: live bidding over a websocket (ARCHITECTURE.md, websocket contract).

Thin: parses frames carefully, hands bids to `services.place_bid` (the one engine), relays events.
Anyone may watch; bidders are shown only by their code.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from autobahn.websocket.protocol import WebSocketServerProtocol
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections
from twisted.internet.tcp import Connection as TCPConnection

from auction_site.errors import DomainError, ErrorCode
from bidding import events, selectors, services
from bidding.throttle import TokenBucket

logger = logging.getLogger("bidding.consumers")

MAX_FRAME_CHARS = 4096  # a real message is < 200 bytes; Daphne itself closes frames over 1 MB
# Per connection, any message type (operators may change it per process; the benchmark's capacity phase does).
MESSAGES_PER_SECOND = int(os.environ.get("BIDDING_MAX_MESSAGES_PER_SECOND", "20"))
MESSAGE_BURST = 2 * MESSAGES_PER_SECOND
REORDER_WAIT = 0.25  # seconds an early event waits for the ones before it
FLOOD_CLOSE_AFTER = 200  # refusals for flooding in a row before the socket is closed (1008)


# A small pool: bids of one round are placed by ONE batch at a time per process (BidBatcher), and
# fewer threads competing for the GIL keep the round's lock hold time short.
MAX_BATCH = int(os.environ.get("BIDDING_MAX_BATCH", "200"))  # bids placed in one transaction, at most
_DB_EXECUTOR = ThreadPoolExecutor(max_workers=int(os.environ.get("BIDDING_DB_THREADS", "3")), thread_name_prefix="bidding-db")


def _in_worker(func, executor: ThreadPoolExecutor | None = None):
    """Run blocking DB work in a worker thread with its own connection (not the one shared thread):
    reads in the default pool, bids in the small _DB_EXECUTOR pool."""

    def call(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    # asgiref's wrapper (not a bare run_in_executor) so that async_to_sync in on_commit broadcasts
    # runs on this process's event loop and channel-layer connections.
    return sync_to_async(call, thread_sensitive=False, executor=executor)


def _daphne_protocol(send: Any) -> Any | None:
    """The autobahn protocol behind a socket served by Daphne, or None elsewhere.

    Daphne hands each application `send = partial(server.handle_reply, protocol)` (channels' session
    middleware wraps it, keeping it as `real_send`) and writes every `websocket.send` with the
    protocol's `sendMessage`, synchronously. This consumer writes its frames with the same protocol
    directly: the same bytes in the same order, without four layers of Python per frame (the session
    wrapper only acts on HTTP responses and the accept, which still go through `send`)."""
    for _ in range(4):
        if isinstance(send, functools.partial) and send.args and isinstance(send.args[0], WebSocketServerProtocol):
            return send.args[0]
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            break
    return None


def _write(protocol: Any, frames: bytes) -> None:
    """Complete websocket frames to the peer: what autobahn's sendData does when nothing is queued,
    without building its debug log line for every write (that alone cost ~5% of a busy process).

    Twisted's `transport.write` never sends at once: it buffers, registers the socket for writing
    (an epoll_ctl), sends on the reactor's next turn and unregisters it (another epoll_ctl), which
    was a fifth of a busy process. When nothing is buffered on a plain TCP socket, the frames are
    sent here at once with the transport's own `writeSomeData` (asyncio's transports do the same);
    whatever the kernel does not take, or an error, goes through `transport.write` as before, so the
    bytes keep their order and Twisted still reports a lost connection."""
    if protocol.send_queue:
        protocol.sendData(frames)
        return
    transport = protocol.transport
    if (isinstance(transport, TCPConnection) and transport.connected and not transport.disconnecting
            and not transport._writeDisconnected and not getattr(transport, "TLS", False)
            and not transport.dataBuffer and not transport._tempDataLen):
        sent = transport.writeSomeData(frames)
        if isinstance(sent, int) and sent > 0:
            if sent == len(frames):
                return
            frames = frames[sent:]
    transport.write(frames)


def _frame(protocol: Any, text: str) -> bytes:
    """One text message as a complete websocket frame (autobahn's prepared message)."""
    return protocol.factory.prepareMessage(text.encode("utf8")).payloadHybi


def _clean_request_id(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and len(value) <= 64:
        return value
    return None


class RoundConsumer(AsyncWebsocketConsumer):
    # No per-socket channel: events reach sockets through the process's RoundRelay, one subscription
    # per round and process instead of one per socket.
    channel_layer_alias = "__relay_only__"
    ws_protocol: Any = None  # Daphne's autobahn protocol for this socket, once accepted

    async def connect(self) -> None:
        try:
            self.round_id = int(self.scope["url_route"]["kwargs"]["round_id"])
        except (KeyError, TypeError, ValueError):
            await self.close(code=4400)
            return
        self.user = self.scope.get("user")
        if not self._trusted_origin():
            # Cross-site websocket: a page elsewhere must not bid with the visitor's session cookie.
            # It may still watch, as anyone may.
            self.user = AnonymousUser()
        self.bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        events.use_server_loop(asyncio.get_running_loop())
        self.flood = 0
        snap = await _in_worker(selectors.snapshot)(self.round_id, self.user)
        if snap is None:
            await self.close(code=4404)
            return
        self.last_seq = snap["round"]["seq"]
        await self.accept()
        self.ws_protocol = _daphne_protocol(self.base_send)
        await self.send_json(snap)
        layer = get_channel_layer()
        self.relay = await RoundRelay.join(layer, self.round_id, self, snap["round"]["seq"]) if layer is not None else None

    def _trusted_origin(self) -> bool:
        """Token in the query string, no Origin header (non-browser clients), or an Origin on our own host."""
        if b"token=" in self.scope.get("query_string", b""):
            return True
        headers = dict(self.scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if not origin:
            return True
        host = headers.get(b"host", b"").decode("latin-1").lower()
        return urlsplit(origin).netloc.lower() == host

    async def dispatch(self, message: dict) -> None:
        # Like channels' dispatch, without its per-message hop to the shared sync thread to close old
        # DB connections: every DB call here already runs in _in_worker, which closes them itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        relay = getattr(self, "relay", None)
        if relay is not None:
            await relay.leave(self)

    async def send_json(self, payload: dict) -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        protocol = self.ws_protocol
        if protocol is None:
            await self.send(text_data=text)
        elif protocol.state == protocol.STATE_OPEN:  # as Daphne's serverSend does, minus its layers
            _write(protocol, _frame(protocol, text))

    async def send_frames(self, frames: _Frames, wanted: range | list[int]) -> None:
        """Relayed events: under Daphne, frames prepared once for all sockets and written in one go
        (uncompressed frames stay valid where compression was negotiated, RFC 7692); elsewhere, one
        ASGI send per event."""
        protocol = self.ws_protocol
        if protocol is None:
            for i in wanted:
                await self.send(text_data=frames.texts[i])
            return
        if protocol.state != protocol.STATE_OPEN:
            raise ConnectionError("socket closed")
        _write(protocol, frames.wire(protocol, wanted))

    async def reject(self, request_id: Any, code: str, message: str) -> None:
        await self.send_json({"type": "rejected", "request_id": request_id, "code": code, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take():
            self.flood += 1
            if self.flood >= FLOOD_CLOSE_AFTER:
                logger.info("closing flooding socket on round %s", self.round_id)
                await self.close(code=1008)
                return
            await self.reject(None, ErrorCode.RATE_LIMITED, "消息过于频繁 / too many messages")
            return
        self.flood = 0
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.reject(None, ErrorCode.INVALID, "消息格式错误或过大 / malformed or oversized message")
            return
        try:
            msg = json.loads(text_data)
        except ValueError:
            await self.reject(None, ErrorCode.INVALID, "消息不是合法的JSON / the message is not valid JSON")
            return
        if not isinstance(msg, dict):
            await self.reject(None, ErrorCode.INVALID, "消息须为JSON对象 / the message must be a JSON object")
            return
        request_id = _clean_request_id(msg.get("request_id"))
        if request_id is None and msg.get("request_id") is not None:
            await self.reject(None, ErrorCode.INVALID, "request_id 须为不超过64个字符的字符串 / request_id must be a short string")
            return
        kind = msg.get("type")
        if kind == "bid":
            result = await BidBatcher.place(self.round_id, services.BidAttempt(self.user, msg.get("amount"), request_id, "ws"))
            await self.send_json(result)
        elif kind == "sync":
            snap = await _in_worker(selectors.snapshot)(self.round_id, self.user)
            if snap is None:
                await self.reject(request_id, ErrorCode.INVALID, "no such round")
                return
            self.last_seq = max(self.last_seq, snap["round"]["seq"])
            await self.send_json(snap)
        elif kind == "proxy":
            await self.send_json(await _in_worker(self._proxy, _DB_EXECUTOR)(msg.get("ceiling"), request_id))
        elif kind == "ping":
            await self.send_json({"type": "pong", "request_id": request_id})
        else:
            await self.reject(request_id, ErrorCode.INVALID, "未知的消息类型 / unknown message type")

    def _proxy(self, ceiling: Any, request_id: Any) -> dict:
        try:
            out = services.set_proxy(self.user, round_id=self.round_id, ceiling=ceiling)
        except DomainError as exc:
            return {"type": "rejected", "request_id": request_id, "code": exc.code, "message": exc.message}
        return {"type": "proxy_ack", "request_id": request_id, **out}


class BidBatcher:
    """Group commit of one round's bids in this process (docs/bidding.md, The bid engine).

    Sockets queue their bids here; ONE drain task per round and process hands everything queued (up to
    MAX_BATCH, in arrival order) to `services.place_bids`, which places them in one transaction under
    one lock of the round row. Each socket is answered only when `place_bids` returned, i.e. after the
    commit. While a batch is in the database the next bids queue, so the batch size follows the load
    (a lone bid is a batch of one). The next batch is cut as soon as the one before holds the round's
    lock: its checks before the lock overlap the other's transaction, and it then waits for the lock
    behind it (PostgreSQL grants a row lock in request order), so batches still apply in arrival order."""

    batchers: dict[int, BidBatcher] = {}

    def __init__(self, round_id: int):
        self.round_id = round_id
        self.queue: list[tuple[services.BidAttempt, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    @classmethod
    async def place(cls, round_id: int, attempt: services.BidAttempt) -> dict:
        batcher = cls.batchers.get(round_id)
        if batcher is None:
            batcher = cls.batchers[round_id] = cls(round_id)
        future = asyncio.get_running_loop().create_future()
        batcher.queue.append((attempt, future))
        if batcher.task is None:
            batcher.task = asyncio.create_task(batcher.drain())
        return await asyncio.shield(future)  # a closing socket must not cancel its bid's answer mid-batch

    async def drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
                locked = loop.create_future()
                placing = asyncio.create_task(self._answer(batch, locked))
                # The next batch may go once this one holds the lock (or is over without taking it).
                await asyncio.wait({locked, placing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.task = None
            if self.queue:  # only if drain itself failed: start over for the rest
                self.task = asyncio.create_task(self.drain())
            elif self.batchers.get(self.round_id) is self:
                del self.batchers[self.round_id]

    async def _answer(self, batch: list[tuple[services.BidAttempt, asyncio.Future]], locked: asyncio.Future) -> None:
        loop = asyncio.get_running_loop()

        def on_locked() -> None:  # in the worker thread, right after SELECT ... FOR UPDATE returned
            loop.call_soon_threadsafe(lambda: locked.done() or locked.set_result(None))

        try:
            answers = await self._place([attempt for attempt, _ in batch], on_locked)
        finally:
            if not locked.done():
                locked.set_result(None)
        for (_, future), answer in zip(batch, answers):
            if not future.done():
                future.set_result(answer)

    async def _place(self, attempts: list[services.BidAttempt], on_locked=None) -> list[dict]:
        try:
            results = await _in_worker(services.place_bids, _DB_EXECUTOR)(self.round_id, attempts, on_locked=on_locked)
            return [result.as_ack() for result in results]
        except DomainError as exc:  # an unknown round
            code = ErrorCode.INVALID if exc.code == ErrorCode.NOT_FOUND else exc.code
            return [{"type": "rejected", "request_id": a.request_id, "code": code, "message": exc.message} for a in attempts]
        except Exception:  # nothing was committed: every bid of the batch is refused, none accepted
            logger.exception("bid batch on round %s failed", self.round_id)
            return [{"type": "rejected", "request_id": a.request_id, "code": ErrorCode.INVALID,
                     "message": "出价未能处理，请重试 / the bid could not be processed, try again"} for a in attempts]


class RoundRelay:
    """One per process and round: receives the round's events from the channel layer ONCE and relays
    each, serialised once, to every socket of this process watching the round (ARCHITECTURE.md, Live
    updates). Events published by several processes can arrive out of order: an early one waits up to
    REORDER_WAIT for the ones before it; a gap that does not fill is passed on (clients then resync).
    Each socket drops events it already has from its snapshot (seq <= its own last seq)."""

    relays: dict[int, RoundRelay] = {}

    def __init__(self, layer, round_id: int, seq: int):
        self.layer, self.round_id = layer, round_id
        self.sockets: set[RoundConsumer] = set()
        self.last_seq = seq
        self.held: dict[int, dict] = {}
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.flush_task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    @classmethod
    async def join(cls, layer, round_id: int, socket: RoundConsumer, seq: int) -> RoundRelay:
        relay = cls.relays.get(round_id)
        if relay is None:
            relay = cls.relays[round_id] = cls(layer, round_id, seq)
            relay.task = asyncio.create_task(relay.run())
        relay.sockets.add(socket)
        await relay.ready.wait()
        return relay

    async def leave(self, socket: RoundConsumer) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self.relays.get(self.round_id) is self:
            del self.relays[self.round_id]
            for task in (self.task, self.flush_task):
                if task is not None:
                    task.cancel()
            if self.channel:
                try:
                    await self.layer.group_discard(events.group_name(self.round_id), self.channel)
                except Exception:  # the layer is best-effort
                    logger.warning("group_discard failed for round %s", self.round_id, exc_info=True)

    async def run(self) -> None:
        try:
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(events.group_name(self.round_id), self.channel)
        finally:
            self.ready.set()
        while True:
            try:
                message = await self.layer.receive(self.channel)
                if not isinstance(message, dict):
                    continue
                # A committed batch of bids arrives as one message, its events in seq order.
                batch = message.get("events") if isinstance(message.get("events"), list) else [message.get("event")]
                await self.accept_events([event for event in batch if isinstance(event, dict)])
            except asyncio.CancelledError:
                raise
            except Exception:  # keep relaying; clients resync on gaps
                logger.warning("relay of round %s failed", self.round_id, exc_info=True)
                await asyncio.sleep(0.1)

    async def accept_events(self, batch: list[dict]) -> None:
        ready: list[tuple[int | None, dict]] = []
        for event in batch:
            seq = event.get("seq")
            if not isinstance(seq, int):
                ready.append((None, event))
            elif seq <= self.last_seq:
                ready.append((seq, event))  # late for the process, maybe still new to a socket
            else:
                self.held[seq] = event
                ready.extend(self.take(force=False))
        if ready:
            await self.relay(ready)
        if self.held and self.flush_task is None:
            self.flush_task = asyncio.create_task(self.flush_later())

    async def flush_later(self) -> None:
        await asyncio.sleep(REORDER_WAIT)
        self.flush_task = None
        ready = self.take(force=True)
        if ready:
            await self.relay(ready)

    def take(self, *, force: bool) -> list[tuple[int, dict]]:
        """The held events that are next in sequence; with force, also past a gap that did not fill."""
        out = []
        while self.held:
            nxt = self.last_seq + 1
            if nxt not in self.held:
                if not force:
                    break
                nxt = min(self.held)
            out.append((nxt, self.held.pop(nxt)))
            self.last_seq = nxt
        return out

    async def relay(self, ready: list[tuple[int | None, dict]]) -> None:
        """Write events to every local socket that does not have them yet, each event serialised and
        framed once for all sockets (autobahn's prepared messages), one write per socket per batch."""
        texts = [json.dumps(event, ensure_ascii=False, separators=(",", ":")) for _, event in ready]
        seqs = [seq for seq, _ in ready]
        in_order = None not in seqs and all(a < b for a, b in zip(seqs, seqs[1:]))
        frames = _Frames(texts)
        for socket in list(self.sockets):
            if in_order:
                if seqs[-1] <= socket.last_seq:
                    continue
                wanted = range(bisect_right(seqs, socket.last_seq), len(seqs))
            else:
                wanted = [i for i, seq in enumerate(seqs) if seq is None or seq > socket.last_seq]
                if not wanted:
                    continue
            socket.last_seq = max([socket.last_seq, *(seqs[i] for i in wanted if seqs[i] is not None)])
            try:
                await socket.send_frames(frames, wanted)
            except Exception:
                self.sockets.discard(socket)


class _Frames:
    """Serialised events of one relay step, framed at most once for all sockets of the process."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.framed: list[bytes] | None = None
        self.joined: bytes | None = None

    def wire(self, protocol: Any, wanted: range | list[int]) -> bytes:
        """The websocket frames of the wanted events (autobahn's prepared messages, framed once)."""
        if self.framed is None:
            self.framed = [_frame(protocol, text) for text in self.texts]
        if len(wanted) == len(self.texts):
            if self.joined is None:
                self.joined = b"".join(self.framed)
            return self.joined
        return b"".join(self.framed[i] for i in wanted)
