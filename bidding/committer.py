"""The cross-round group commit (docs/bidding.md, Many rounds at once): one queue per process.

Single bids arriving together on different rounds — HTTP bids, and the bids of the process's
threads — are handed to ONE committer thread, which places everything queued (up to MAX_BATCH, in
arrival order) with `services.place_across`: one lock statement for all their rounds, one write, one
COMMIT. While a batch is in the database the next bids queue, so the batch size follows the load (a
lone bid is a batch of one). Each caller gets its result only after the commit.

Used for callers outside a transaction of their own, on PostgreSQL; inside one (a caller's
`transaction.atomic()`, the tests' transactions) `place_bid` places the bid in that transaction.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import load_backend

from auction_site.errors import DomainError, ErrorCode

logger = logging.getLogger("bidding.committer")

MAX_BATCH = int(os.environ.get("BIDDING_ACROSS_MAX_BATCH", "64"))  # bids placed in one transaction, at most
IDLE_SECONDS = 5.0  # the committer's database connection is closed after this long without a bid


def enabled() -> bool:
    """Whether `place_bid` hands bids to the committer here: PostgreSQL, outside a transaction of the
    caller's, unless BIDDING_ACROSS=0."""
    return (os.environ.get("BIDDING_ACROSS", "1") != "0" and connection.vendor == "postgresql"
            and not connection.in_atomic_block)


class Committer:
    """The queue and its THREADS committer threads: each takes everything queued (up to MAX_BATCH) when
    it is free, so while one batch waits for its COMMIT the next one is already locking its rounds
    (rounds are locked in id order by every batch, so two batches never deadlock)."""

    def __init__(self, threads: int) -> None:
        self._queue: list[tuple[int, Any, Future, Callable[[], None] | None]] = []
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._size = threads
        self._close_asked = 0  # close_connections() asked this many times
        self._closed = 0  # threads that closed their connection since

    def place(self, round_id: int, attempt: Any, on_locked: Callable[[], None] | None = None) -> Any:
        """Queue one bid and wait for its result (a BidResult), or raise its DomainError. `on_locked`:
        see `services.place_across`."""
        future: Future = Future()
        with self._wake:
            self._queue.append((round_id, attempt, future, on_locked))
            self._threads = [t for t in self._threads if t.is_alive()]
            if len(self._threads) < self._size:
                thread = threading.Thread(target=self._run, name="bidding-committer", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._wake.notify()
        result = future.result()
        if isinstance(result, DomainError):
            raise result
        return result

    def _run(self) -> None:
        from bidding import services

        _own_connection()
        close_seen = self._close_asked
        while True:
            with self._wake:
                while not self._queue:
                    if close_seen != self._close_asked:
                        connection.close()
                        close_seen = self._close_asked
                        self._closed += 1
                        self._wake.notify_all()
                    if not self._wake.wait(timeout=IDLE_SECONDS) and not self._queue:
                        connection.close()  # idle: give the connection back
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:  # the connection is kept from batch to batch (closed when idle or after an error)
                results = services.place_across([(item[0], item[1]) for item in batch],
                                                on_locked=[item[3] for item in batch])
            except Exception:  # nothing was committed: every bid of the batch is refused, none accepted
                logger.exception("cross-round bid batch of %d failed", len(batch))
                connection.close()
                refusal = services.BidResult(accepted=False, code=ErrorCode.INVALID,
                                             message="出价未能处理，请重试 / the bid could not be processed, try again")
                results = [services.BidResult(**{**refusal.__dict__, "request_id": item[1].request_id}) for item in batch]
            for item, result in zip(batch, results):
                item[2].set_result(result)

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


def _own_connection() -> None:
    """This thread's database connection: a connection of its own, never one of the process's pool
    (Django's OPTIONS["pool"]). The callers wait for the committer while they hold pooled connections
    (an HTTP request keeps one to its end), so a committer waiting for the pool could wait for ever."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.get("OPTIONS", {}).pop("pool", None)
    settings_dict["CONN_MAX_AGE"] = None  # kept: closed when idle (IDLE_SECONDS) or after an error
    connections["default"] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)


COMMITTER = Committer(int(os.environ.get("BIDDING_ACROSS_THREADS", "1")))
