"""Group commit of websocket bids (docs/bidding.md, Group commit): one queue per round and process.

Also the worker threads every blocking call of the websocket runs in (`in_worker`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from auction_site.errors import DomainError, ErrorCode
from bidding import committer, services

logger = logging.getLogger("bidding.batcher")

MAX_BATCH = int(os.environ.get("BIDDING_MAX_BATCH", "200"))  # bids placed in one transaction, at most
# A small pool: bids of one round are placed by ONE batch at a time per process, and fewer threads
# competing for the GIL keep the round's lock hold time short.
DB_EXECUTOR = ThreadPoolExecutor(max_workers=int(os.environ.get("BIDDING_DB_THREADS", "3")), thread_name_prefix="bidding-db")


def in_worker(func, executor: ThreadPoolExecutor | None = None):
    """Run blocking DB work in a worker thread with its own connection (not the one shared thread):
    reads in the default pool, bids in the small DB_EXECUTOR pool."""

    def call(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    # asgiref's wrapper (not a bare run_in_executor) so that async_to_sync in on_commit broadcasts
    # runs on this process's event loop and channel-layer connections.
    return sync_to_async(call, thread_sensitive=False, executor=executor)


class BidBatcher:
    """Sockets queue their bids here; ONE drain task per round and process hands everything queued (up to
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
    async def place(cls, round_id: int, attempt: services.BidAttempt) -> dict[str, Any]:
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

    async def _place(self, attempts: list[services.BidAttempt], on_locked=None) -> list[dict[str, Any]]:
        try:
            if len(attempts) == 1 and committer.enabled():
                # a lone bid: with the lone bids of other rounds (bidding.committer), awaited here
                results = [await services.place_one_async(self.round_id, attempts[0], on_locked=on_locked)]
            elif len(attempts) == 1:
                results = [await in_worker(services.place_one, DB_EXECUTOR)(self.round_id, attempts[0], on_locked=on_locked)]
            else:
                results = await in_worker(services.place_bids, DB_EXECUTOR)(self.round_id, attempts, on_locked=on_locked)
            return [result.as_ack() for result in results]
        except DomainError as exc:  # an unknown round
            code = ErrorCode.INVALID if exc.code == ErrorCode.NOT_FOUND else exc.code
            return [{"type": "rejected", "request_id": a.request_id, "code": code, "message": exc.message} for a in attempts]
        except Exception:  # nothing was committed: every bid of the batch is refused, none accepted
            logger.exception("bid batch on round %s failed", self.round_id)
            return [{"type": "rejected", "request_id": a.request_id, "code": ErrorCode.INVALID,
                     "message": "出价未能处理，请重试 / the bid could not be processed, try again"} for a in attempts]
