"""The cross-round group commit (docs/bidding.md, Many rounds at once): one queue per process.

Single bids arriving together on different rounds — HTTP bids, and the bids of the process's
threads — are handed to ONE committer thread, which places everything queued (up to MAX_BATCH, in
arrival order) with the function it was made with (`services.place_across`: one lock statement for
all their rounds, one write, one COMMIT). While a batch is in the database the next bids queue, so the batch size follows the load (a
lone bid is a batch of one). Each caller gets its result only after the commit.

Used for callers outside a transaction of their own, on PostgreSQL; inside one (a caller's
`transaction.atomic()`, the tests' transactions) `place_bid` places the bid in that transaction.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import load_backend

from auction_site.errors import DomainError

logger = logging.getLogger("bidding.committer")

MAX_BATCH = int(os.environ.get("BIDDING_ACROSS_MAX_BATCH", "64"))  # bids placed in one transaction, at most
IDLE_SECONDS = 5.0  # the committer's database connection is closed after this long without a bid


def enabled() -> bool:
    """Whether `place_bid` hands bids to the committer here: PostgreSQL, outside a transaction of the
    caller's, unless BIDDING_ACROSS=0."""
    return (os.environ.get("BIDDING_ACROSS", "1") != "0" and connection.vendor == "postgresql"
            and not connection.in_atomic_block)


Item = tuple[int, Any, Callable[[], None] | None]  # (round id, attempt, on_locked)


class Committer:
    """The queue and its `threads` committer threads: each takes everything queued (up to MAX_BATCH)
    when it is free and hands it to `place_batch` (items -> one result per item, in order; a
    DomainError result is raised to its caller). If `place_batch` raises, nothing was committed and
    every caller of the batch gets `refuse(attempt)`."""

    def __init__(self, place_batch: Callable[[list[Item]], list[Any]], refuse: Callable[[Any], Any], threads: int) -> None:
        self._place_batch, self._refuse = place_batch, refuse
        self._queue: list[tuple[Item, Future]] = []
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._size = threads
        self._close_asked = 0  # close_connections() asked this many times
        self._closed = 0  # threads that closed their connection since
        _ALL.append(self)

    def place(self, round_id: int, attempt: Any, on_locked: Callable[[], None] | None = None) -> Any:
        """Queue one bid and wait for its result, or raise its DomainError."""
        return _outcome(self.submit(round_id, attempt, on_locked).result())

    async def place_async(self, round_id: int, attempt: Any, on_locked: Callable[[], None] | None = None) -> Any:
        """`place` from an event loop: the loop awaits the committer's answer, no thread waits for it
        (a socket's bid costs no worker thread, and any number of them may be queued at once)."""
        # shielded: a cancelled caller (a closing socket) never cancels a bid the committer may be placing
        return _outcome(await asyncio.shield(asyncio.wrap_future(self.submit(round_id, attempt, on_locked))))

    def submit(self, round_id: int, attempt: Any, on_locked: Callable[[], None] | None = None) -> Future:
        """Queue one bid; the future gets its result once the batch is over (see `place`)."""
        future: Future = Future()
        with self._wake:
            self._queue.append(((round_id, attempt, on_locked), future))
            self._threads = [t for t in self._threads if t.is_alive()]
            if len(self._threads) < self._size:
                thread = threading.Thread(target=self._run, name="bidding-committer", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._wake.notify()
        return future

    def _run(self) -> None:
        own = False
        close_seen = self._close_asked
        while True:
            with self._wake:
                while not self._queue:
                    if close_seen != self._close_asked:
                        _close()
                        close_seen = self._close_asked
                        self._closed += 1
                        self._wake.notify_all()
                    if not self._wake.wait(timeout=IDLE_SECONDS) and not self._queue:
                        _close()  # idle: give the connection back
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            results: list[Any] = []
            try:  # the connection is kept from batch to batch (closed when idle or after an error)
                if not own:
                    _own_connection()
                    own = True
                results = self._place_batch([item for item, _ in batch])
            except Exception:  # nothing was committed: every bid of the batch is refused, none accepted
                logger.exception("cross-round bid batch of %d failed", len(batch))
                _close()
            finally:  # every caller is answered, whatever happened
                if len(results) != len(batch):
                    results = [self._refuse(item[1]) for item, _ in batch]
                for (_, future), result in zip(batch, results):
                    if not future.cancelled():
                        future.set_result(result)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Have every committer thread close its database connection now (the tests' end, before the
        test database is dropped); each opens a new one for its next batch."""
        with self._wake:
            alive = sum(1 for t in self._threads if t.is_alive())
            if not alive:
                return
            self._close_asked += 1
            self._closed = 0
            self._wake.notify_all()
            self._wake.wait_for(lambda: self._closed >= alive, timeout)


def _outcome(result: Any) -> Any:
    if isinstance(result, DomainError):
        raise result
    return result


def _close() -> None:
    try:
        connection.close()
    except Exception:  # a broken connection: it is dropped all the same, the next batch opens another
        logger.warning("closing the committer's connection failed", exc_info=True)


def _own_connection() -> None:
    """This thread's database connection: a connection of its own, never one of the process's pool
    (Django's OPTIONS["pool"]). The callers wait for the committer while they hold pooled connections
    (an HTTP request keeps one to its end), so a committer waiting for the pool could wait for ever."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.get("OPTIONS", {}).pop("pool", None)
    settings_dict["CONN_MAX_AGE"] = None  # kept: closed when idle (IDLE_SECONDS) or after an error
    connections["default"] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)


_ALL: list[Committer] = []


def close_connections() -> None:
    """Every committer's threads close their database connections now (the tests' end)."""
    for committer in _ALL:
        committer.close_connections()
