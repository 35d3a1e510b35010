"""Live events to websocket watchers (ARCHITECTURE.md, Live updates).

Call these only from `transaction.on_commit`: an event is sent only for a committed change.
Delivery is at-most-once; every event carries the round's sequence number so clients resync.
"""

import asyncio
import logging
import threading
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger("bidding.events")


def group_name(round_id: int) -> str:
    return f"round_{round_id}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _send(round_id: int, message: dict) -> None:
    _send_many(round_id, [message])


def _send_many(round_id: int, messages: list[dict]) -> None:
    """Publish events of one round in order."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    # One channel-layer message (one Redis PUBLISH) for the whole batch: its events reach every
    # process together and in order; the relay there writes them to each socket.
    payload = _payload(messages)
    loop = _server_loop
    if loop is not None and loop.is_running() and threading.get_ident() != _server_thread:
        # In a server process, from a worker thread (a committed bid batch): hand the publish to the
        # event loop and return at once, so the next batch need not wait for Redis. Publishes of one
        # round still leave in commit order (each waits for the one before).
        loop.call_soon_threadsafe(_start_publish, loop, layer, round_id, payload)
        return
    try:
        async_to_sync(layer.group_send)(group_name(round_id), payload)
    except Exception:  # the channel layer is best-effort; clients resync from the snapshot
        logger.warning("could not publish %d event(s) for round %s", len(messages), round_id, exc_info=True)


def publish_rounds(batches: list[tuple[int, list[dict]]]) -> None:
    """The events of several rounds' committed bids (the cross-round group commit), each round's in
    order: handed in one go to the server process's loop, or to this module's own publisher loop."""
    layer = get_channel_layer()
    if layer is None or not batches:
        return
    loop = _server_loop
    if loop is None or not loop.is_running() or threading.get_ident() == _server_thread:
        loop = _publisher_loop()
    # one wake-up of the loop for the whole batch, however many rounds it wrote
    loop.call_soon_threadsafe(_start_publishes, loop, layer, [(round_id, _payload(messages)) for round_id, messages in batches])


def _start_publishes(loop: asyncio.AbstractEventLoop, layer, payloads: list[tuple[int, dict]]) -> None:
    for round_id, payload in payloads:
        _start_publish(loop, layer, round_id, payload)


_own_loop: asyncio.AbstractEventLoop | None = None
_own_loop_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """An event loop of this module's own, in a thread, for a process without a server loop (one
    serving HTTP only): publishing never waits for Redis in the committing thread, and the channel
    layer's connections are kept instead of opened for each publish."""
    global _own_loop
    with _own_loop_lock:
        if _own_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="bidding-publisher", daemon=True).start()
            _own_loop = loop
    return _own_loop


def _payload(messages: list[dict]) -> dict:
    return {"type": "round.event", "event": messages[0]} if len(messages) == 1 else {"type": "round.event", "events": messages}


_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread: int | None = None
_publishing: dict[int, asyncio.Task] = {}  # round id -> its latest publish (touched on the loop only)


def use_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the websocket consumer: this process's event loop (Daphne's), for publishing from worker threads."""
    global _server_loop, _server_thread
    if _server_loop is not loop:
        _server_loop, _server_thread = loop, threading.get_ident()


def _start_publish(loop: asyncio.AbstractEventLoop, layer, round_id: int, payload: dict) -> None:
    task = loop.create_task(_publish_after(_publishing.get(round_id), layer, round_id, payload))
    _publishing[round_id] = task
    task.add_done_callback(lambda done: _publishing.pop(round_id, None) if _publishing.get(round_id) is done else None)


PUBLISH_TIMEOUT = 2.0  # seconds: a hung Redis must not hold every later publish of the round behind it


async def _publish_after(previous: asyncio.Task | None, layer, round_id: int, payload: dict) -> None:
    if previous is not None and previous.get_loop() is asyncio.get_running_loop():
        await asyncio.wait([previous])
    try:
        await asyncio.wait_for(layer.group_send(group_name(round_id), payload), PUBLISH_TIMEOUT)
    except Exception:  # the channel layer is best-effort; clients resync from the snapshot
        logger.warning("could not publish event(s) for round %s", round_id, exc_info=True)


def publish_events(round_id: int, messages: list[dict]) -> None:
    """Several events of one round (built with bid_event/status_event), in order: a committed batch of bids."""
    _send_many(round_id, messages)


def bid_event(*, seq: int, code: str, amount: int, at: datetime, priority: bool, current_price: int,
              ends_at: datetime, proxy: bool = False) -> dict:
    return {"type": "bid", "seq": seq, "code": code, "amount": amount, "at": _iso(at), "priority": priority,
            "current_price": current_price, "ends_at": _iso(ends_at), "proxy": proxy}


def status_event(status: str, seq: int, ends_at: datetime | None) -> dict:
    return {"type": "status", "status": status, "seq": seq, "ends_at": _iso(ends_at)}


def publish_status(round_id: int, status: str, seq: int, ends_at: datetime | None) -> None:
    """`{"type":"status","status":..,"seq":n,"ends_at":..}` to everyone watching the round."""
    _send(round_id, {"type": "status", "status": status, "seq": seq, "ends_at": _iso(ends_at)})


def on_round_status_changed(sender, *, round_id: int, status: str, seq: int, ends_at: datetime | None, **_: object) -> None:
    """Receiver of lots.signals.round_status_changed (sent on commit): the `status` event to every watcher."""
    publish_status(round_id, status, seq, ends_at)


def publish_bid(round_id: int, *, seq: int, code: str, amount: int, at: datetime, priority: bool,
                current_price: int, ends_at: datetime, proxy: bool = False) -> None:
    """`{"type":"bid",...}` to everyone watching the round (the contract's shape)."""
    _send(round_id, {
        "type": "bid", "seq": seq, "code": code, "amount": amount, "at": _iso(at), "priority": priority,
        "current_price": current_price, "ends_at": _iso(ends_at), "proxy": proxy,
    })
