"""`/ws/rounds/{id}/`: live bidding over a websocket (ARCHITECTURE.md, websocket contract).

The protocol only: parse a frame, dispatch it, answer. Bids go to the batcher (`bidding.batcher`, the
one engine behind it), events come from the relay (`bidding.relay`), frames leave through the
transport (`bidding.transport`, the one module on Daphne's, Twisted's and autobahn's internals).
Who the socket is was decided once, by the auth middleware (`auction_site.ws_auth`: `scope["user"]`,
`scope["auth"]`). Anyone may watch; bidders are shown only by their code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from auction_site.errors import DomainError, ErrorCode
from auction_site.parsers import json_depth, too_deep_message
from bidding import events, selectors, services, transport
from bidding.batcher import DB_EXECUTOR, BidBatcher, in_worker
from bidding.relay import RoundRelay
from bidding.throttle import TokenBucket

logger = logging.getLogger("bidding.consumers")

MAX_FRAME_CHARS = 4096  # a real message is < 200 bytes; Daphne closes frames over 1 MB itself (1009)
MAX_DEPTH = 8  # nesting of arrays/objects in a frame; a real message has depth 1
# Per connection, any message type (operators may change it per process; the benchmark's capacity phase does).
MESSAGES_PER_SECOND = int(os.environ.get("BIDDING_MAX_MESSAGES_PER_SECOND", "20"))
MESSAGE_BURST = 2 * MESSAGES_PER_SECOND
FLOOD_CLOSE_AFTER = 200  # refusals for flooding in a row before the socket is closed (1008)

__all__ = ["RoundConsumer", "BidBatcher", "RoundRelay"]


class Invalid(Exception):
    """A frame the protocol refuses with `invalid`; the message is the one the sender reads."""


def parse_frame(text_data: str | None) -> dict[str, Any]:
    """A client frame as a JSON object, or Invalid."""
    if text_data is None or len(text_data) > MAX_FRAME_CHARS:
        raise Invalid("消息格式错误或过大 / malformed or oversized message")
    if json_depth(text_data, MAX_DEPTH) > MAX_DEPTH:  # before the parser, which recurses (2,000 brackets overflow it)
        raise Invalid(too_deep_message(MAX_DEPTH))
    try:
        msg = json.loads(text_data)
    except (ValueError, RecursionError):
        raise Invalid("消息不是合法的JSON / the message is not valid JSON") from None
    if not isinstance(msg, dict):
        raise Invalid("消息须为JSON对象 / the message must be a JSON object")
    return msg


def clean_request_id(value: Any) -> Any:
    """The client's request id (a string of at most 64 characters or a safe integer), or Invalid."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and len(value) <= 64:
        return value
    raise Invalid("request_id 须为不超过64个字符的字符串 / request_id must be a short string")


class RoundConsumer(AsyncWebsocketConsumer):
    # No per-socket channel: events reach sockets through the process's RoundRelay, one subscription
    # per round and process instead of one per socket.
    channel_layer_alias = "__relay_only__"
    wire: transport.Wire | None = None  # the direct writer under Daphne, once accepted
    relay: RoundRelay | None = None

    async def connect(self) -> None:
        try:
            self.round_id = int(self.scope["url_route"]["kwargs"]["round_id"])
        except (KeyError, TypeError, ValueError):
            await self.close(code=4400)
            return
        self.user = self.scope["user"]  # decided by auction_site.ws_auth (token, same-site session, or anonymous)
        self.bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        events.use_server_loop(asyncio.get_running_loop())
        self.flood = 0
        snap = await in_worker(selectors.snapshot)(self.round_id, self.user)
        if snap is None:
            await self.close(code=4404)
            return
        self.last_seq = snap["round"]["seq"]
        await self.accept()
        self.wire = transport.attach(self.base_send)
        await self.send_json(snap)
        layer = get_channel_layer()
        if layer is not None:
            self.relay = await RoundRelay.join(layer, self.round_id, self, snap["round"]["seq"])

    async def dispatch(self, message: dict) -> None:
        # Like channels' dispatch, without its per-message hop to the shared sync thread to close old
        # DB connections: every DB call here already runs in in_worker, which closes them itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.relay is not None:
            await self.relay.leave(self)

    # -- answers -------------------------------------------------------------------------------

    async def send_json(self, payload: dict) -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        wire = self.wire
        if wire is None:
            await self.send(text_data=text)
        elif wire.open:
            wire.write(wire.frame(text))

    async def send_frames(self, frames: transport.Frames, wanted: range | list[int]) -> None:
        """Relayed events: under Daphne, frames prepared once for all sockets and written in one go;
        elsewhere, one ASGI send per event. Raises on a closed socket (the relay drops it)."""
        wire = self.wire
        if wire is None:
            for i in wanted:
                await self.send(text_data=frames.texts[i])
            return
        if not wire.open:
            raise ConnectionError("socket closed")
        wire.write(frames.wire(wire, wanted))

    async def resync(self) -> bool:
        """A fresh snapshot (asked by the client, or by the relay after it missed events); False if
        the round is gone."""
        snap = await in_worker(selectors.snapshot)(self.round_id, self.user)
        if snap is None:
            return False
        self.last_seq = max(self.last_seq, snap["round"]["seq"])
        await self.send_json(snap)
        return True

    async def reject(self, request_id: Any, code: str, message: str) -> None:
        await self.send_json({"type": "rejected", "request_id": request_id, "code": code, "message": message})

    # -- protocol ------------------------------------------------------------------------------

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
        request_id = None
        try:
            msg = parse_frame(text_data)
            request_id = clean_request_id(msg.get("request_id"))
            await self.answer(msg, request_id)
        except Invalid as exc:
            await self.reject(request_id, ErrorCode.INVALID, str(exc))
        except Exception:  # never a 1011 for one frame: this sender is refused, the socket stays
            logger.exception("websocket frame on round %s failed", self.round_id)
            await self.reject(request_id, ErrorCode.INVALID, "消息未能处理 / the message could not be processed")

    async def answer(self, msg: dict[str, Any], request_id: Any) -> None:
        kind = msg.get("type")
        if kind == "bid":
            await self.send_json(await BidBatcher.place(self.round_id, services.BidAttempt(self.user, msg.get("amount"), request_id, "ws")))
        elif kind == "sync":
            if not await self.resync():
                raise Invalid("no such round")
        elif kind == "proxy":
            await self.send_json(await in_worker(self._proxy, DB_EXECUTOR)(msg.get("ceiling"), request_id))
        elif kind == "ping":
            await self.send_json({"type": "pong", "request_id": request_id})
        else:
            raise Invalid("未知的消息类型 / unknown message type")

    def _proxy(self, ceiling: Any, request_id: Any) -> dict:
        try:
            out = services.set_proxy(self.user, round_id=self.round_id, ceiling=ceiling)
        except DomainError as exc:
            return {"type": "rejected", "request_id": request_id, "code": exc.code, "message": exc.message}
        return {"type": "proxy_ack", "request_id": request_id, **out}
