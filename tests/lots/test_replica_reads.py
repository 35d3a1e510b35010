"""Reads that may lag go to a real PostgreSQL streaming replica (DATABASE_REPLICA_URL), the rest to the primary.

A second PostgreSQL cluster on this machine, fed by streaming replication (tests/lots/replica.py), and a
live Daphne with DATABASE_REPLICA_URL set: with the replica's replay paused, the catalogue (API and page)
does not show a lot published since, while the round's own page, a judge's write and the judge's token
(primary reads) work; once replay resumes the catalogue shows it.
"""

import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
import requests
from django.conf import settings

from auction_site import clock
from auction_site.replica import REPLICA, ReplicaRouter, reads_may_lag
from tests.conftest import start_daphne, stop_daphne
from tests.lots.replica import ReplicaUnavailable, start_replica


@pytest.fixture(scope="module")
def replica():
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("a streaming replica needs PostgreSQL")
    try:
        server = start_replica(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    except ReplicaUnavailable as exc:
        pytest.skip(f"cannot start a streaming replica on this machine: {exc}")
    yield server
    server.stop()


def publish_lot(case, title: str):
    from django.db import transaction

    from lots import rounds
    from tests.lots.conftest import make_lot

    with transaction.atomic():
        return _publish(make_lot(case, title=title), rounds)


def _publish(lot, rounds):
    starts = clock.now() + timedelta(days=20)
    return rounds.create(actor=None, action="round.test_loaded", data={}, lot=lot, number=1, status="announced", starting_price=100_000_00,
                         deposit=10_000_00, increment=1_000_00, starts_at=starts, ends_at=starts + timedelta(days=1),
                         scheduled_ends_at=starts + timedelta(days=1), published_at=clock.now(), created_at=clock.now())


def wait_for(check, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def catalogue_ids(server) -> set[int]:
    return {r["id"] for r in requests.get(f"{server.url}/api/v1/rounds/", params={"page_size": 100}, timeout=30).json()["results"]}


@pytest.mark.django_db(transaction=True)
def test_catalogue_reads_the_replica_and_writes_go_to_the_primary(replica, enforcement_case, judge, channel_prefix, monkeypatch):
    from rest_framework.authtoken.models import Token

    name = settings.DATABASES["default"]["NAME"]
    first = publish_lot(enforcement_case, "平江路住宅")
    token = Token.objects.create(user=judge)
    with replica.connect(name, autocommit=True) as standby:
        wait_for(lambda: standby.execute("SELECT count(*) FROM lots_round WHERE id = %s", [first.pk]).fetchone()[0] == 1,
                 "the replica to replay the first round")
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        monkeypatch.setenv("DATABASE_REPLICA_URL", f"postgres://postgres@127.0.0.1:{replica.port}/{name}")
        server = start_daphne(channel_prefix)
        try:
            assert catalogue_ids(server) == {first.pk}
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                second = publish_lot(enforcement_case, "观前街商铺")
                # The catalogue (replica, paused) does not have it yet; the round itself is read on the primary.
                assert catalogue_ids(server) == {first.pk}
                assert "观前街商铺" not in requests.get(f"{server.url}/", timeout=30).text
                assert requests.get(f"{server.url}/api/v1/rounds/{second.pk}/", timeout=30).json()["id"] == second.pk
                # A judge's write goes to the primary; the token is read there too.
                resp = requests.post(f"{server.url}/api/v1/cases/", timeout=30, headers={"Authorization": f"Token {token.key}"},
                                     json={"case_number": f"(2024)苏05执{uuid.uuid4().int % 10000}号", "applicants": ["甲"],
                                           "respondents": ["乙"], "amount_owed": 1_000_00})
                assert resp.status_code == 201, resp.text
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
            wait_for(lambda: catalogue_ids(server) == {first.pk, second.pk}, "the catalogue to show the new lot after replay resumed")
            assert "观前街商铺" in urllib.request.urlopen(f"{server.url}/", timeout=30).read().decode()
        finally:
            stop_daphne(server)


def test_router_sends_only_lagging_reads_to_a_configured_replica(monkeypatch):
    from accounts.models import User
    from lots.models import Round

    router = ReplicaRouter()
    assert router.db_for_read(Round) is None  # no replica configured
    monkeypatch.setitem(settings.DATABASES, REPLICA, dict(settings.DATABASES["default"]))
    assert router.db_for_read(Round) is None  # not inside a view whose reads may lag
    with reads_may_lag():
        assert router.db_for_read(Round) == REPLICA
        assert router.db_for_read(User) is None  # accounts, sessions and tokens: always the primary
    assert router.db_for_write(Round) == "default" and router.allow_migrate(REPLICA, "lots") is False
