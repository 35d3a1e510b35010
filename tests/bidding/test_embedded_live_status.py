"""The embedded mode (`make run` with no Redis): the in-memory channel layer does not cross processes,
yet a status change made by another process (the clock) reaches an open live page as the contract's
`status` event. Daphne runs here without REDIS_URL; this test process stands in for the clock."""

import asyncio

import pytest
from django.db import transaction

from lots import rounds
from tests.bidding.conftest import WsClient, make_lot, make_round
from tests.conftest import start_daphne, stop_daphne

pytestmark = [pytest.mark.live]


def test_a_status_change_by_another_process_reaches_the_live_page_without_redis(transactional_db, enforcement_case,
                                                                               channel_prefix):
    rnd = make_round(make_lot(enforcement_case))
    server = start_daphne(channel_prefix, extra_env={"REDIS_URL": ""})
    try:
        async def main():
            watcher = await WsClient.connect(server, rnd.pk)
            seq = watcher.snapshot["round"]["seq"]
            assert watcher.snapshot["round"]["status"] == "open"

            def suspend():  # what the clock process (or a judge's request in another process) commits
                with transaction.atomic():
                    rounds.change_status(rounds.lock(rnd.pk), "suspended", reason="财产权属争议")

            await asyncio.to_thread(suspend)
            event = await watcher.wait_for(lambda m: m.get("type") == "status", timeout=10)
            assert event["status"] == "suspended" and event["seq"] == seq + 1
            await watcher.ws.close()

        asyncio.run(main())
    finally:
        stop_daphne(server)
