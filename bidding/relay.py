"""Fan-out inside a process (docs/bidding.md, Fan-out): one RoundRelay per round with watchers here.

It receives the round's events from the channel layer ONCE, puts events from several processes back
in sequence order and writes each, serialised and framed once, to every local socket. A relay whose
subscription fails (Redis away) keeps retrying with backoff and serves its sockets once Redis is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from bisect import bisect_right
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from bidding import events, presence
from bidding.transport import Frames
from lots.models import Round

logger = logging.getLogger("bidding.relay")

REORDER_WAIT = 0.25  # seconds an early event waits for the ones before it
JOIN_WAIT = 2.0  # seconds a joining socket waits for the relay's first subscription attempt, at most
SUBSCRIBE_TIMEOUT = 2.0  # one attempt to subscribe (a hung Redis must not hold the relay forever)
RETRY_FIRST, RETRY_MAX = 0.2, 5.0  # backoff between attempts: doubling from RETRY_FIRST up to RETRY_MAX
# The embedded mode's in-memory channel layer does not cross processes: a status change made by the
# clock process reaches this process's sockets by a look at the round's row this often instead.
EMBEDDED_STATUS_POLL = 1.0


class Socket(Protocol):
    """What the relay needs of a websocket consumer."""

    last_seq: int

    async def send_frames(self, frames: Frames, wanted: range | list[int]) -> None: ...

    async def resync(self) -> bool: ...


class RoundRelay:
    """Events published by several processes can arrive out of order: an early one waits up to
    REORDER_WAIT for the ones before it; a gap that does not fill is passed on (clients then resync).
    Each socket drops events it already has from its snapshot (seq <= its own last seq)."""

    relays: dict[int, RoundRelay] = {}

    def __init__(self, layer: Any, round_id: int, seq: int):
        self.layer, self.round_id = layer, round_id
        self.sockets: set[Socket] = set()
        self.last_seq = seq
        self.held: dict[int, dict] = {}
        self.channel: str | None = None
        self.subscribed = False
        self.task: asyncio.Task | None = None
        self.flush_task: asyncio.Task | None = None
        self.watch_task: asyncio.Task | None = None
        self.known_status: str | None = None
        self.attempted = asyncio.Event()  # the first subscription attempt is over (either way)

    @classmethod
    async def join(cls, layer: Any, round_id: int, socket: Socket, seq: int) -> RoundRelay:
        relay = cls.relays.get(round_id)
        if relay is None or relay.task is None or relay.task.done():
            relay = cls.relays[round_id] = cls(layer, round_id, seq)
            relay.task = asyncio.create_task(relay.run())
            if isinstance(layer, InMemoryChannelLayer):
                relay.watch_task = asyncio.create_task(relay.watch_status())
        relay.sockets.add(socket)
        presence.changed(round_id, len(relay.sockets))
        try:  # events published after this returns reach the socket (unless Redis is away: then later)
            await asyncio.wait_for(relay.attempted.wait(), JOIN_WAIT)
        except TimeoutError:
            pass
        return relay

    async def leave(self, socket: Socket) -> None:
        self.sockets.discard(socket)
        presence.changed(self.round_id, len(self.sockets))
        if not self.sockets and self.relays.get(self.round_id) is self:
            del self.relays[self.round_id]
            for task in (self.task, self.flush_task, self.watch_task):
                if task is not None:
                    task.cancel()
            if self.channel and self.subscribed:
                try:
                    await self.layer.group_discard(events.group_name(self.round_id), self.channel)
                except Exception:  # the layer is best-effort
                    logger.warning("group_discard failed for round %s", self.round_id, exc_info=True)

    async def subscribe(self) -> None:
        """Subscribe to the round's group, retrying with backoff until it works. If it did not work at
        once, the sockets that joined meanwhile may have missed events: each gets a fresh snapshot."""
        delay, failures = RETRY_FIRST, 0
        while True:
            try:
                if self.channel is None:
                    self.channel = await asyncio.wait_for(self.layer.new_channel(), SUBSCRIBE_TIMEOUT)
                await asyncio.wait_for(self.layer.group_add(events.group_name(self.round_id), self.channel), SUBSCRIBE_TIMEOUT)
                break
            except Exception as exc:
                failures += 1
                logger.warning("relay of round %s cannot subscribe (attempt %d, next in %.1f s): %r",
                               self.round_id, failures, delay, exc)
            finally:
                self.attempted.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)
        self.subscribed = True
        if failures:
            logger.info("relay of round %s subscribed after %d failed attempt(s)", self.round_id, failures)
            for socket in list(self.sockets):
                try:
                    await socket.resync()
                except Exception:
                    self.sockets.discard(socket)

    async def run(self) -> None:
        await self.subscribe()
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

    async def watch_status(self) -> None:
        """Embedded mode only: relay a status change another process committed (its seq moved past
        ours and the status differs from the last one seen) as the contract's `status` event."""
        read = database_sync_to_async(
            lambda: Round.objects.filter(pk=self.round_id).values_list("status", "seq", "ends_at").first())
        while True:
            await asyncio.sleep(EMBEDDED_STATUS_POLL)
            try:
                row = await read()
            except Exception:
                logger.warning("round %s: status look failed", self.round_id, exc_info=True)
                continue
            if row is None:
                continue
            status, seq, ends_at = row
            if status != self.known_status and seq > self.last_seq:
                await self.accept_events([events.status_event(status, seq, ends_at)])
            self.known_status = status

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
        framed once for all sockets, one write per socket per batch."""
        texts = [json.dumps(event, ensure_ascii=False, separators=(",", ":")) for _, event in ready]
        seqs = [seq for seq, _ in ready]
        in_order = None not in seqs and all(a < b for a, b in zip(seqs, seqs[1:]))
        frames = Frames(texts)
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
