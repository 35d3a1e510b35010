"""Shared fixtures: users of every role, a court with a case, and live Daphne servers.

The suite runs against the real services named by the environment (`scripts/test.sh` sets them:
PostgreSQL, Redis, an S3-protocol server and a Stripe-compatible server).
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from auction_site import clock

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


def _flush_with_triggers_off() -> None:
    """Between transactional tests Django empties every table with one TRUNCATE, which the append-only
    tables refuse (A29). The test database's superuser lifts user triggers for that one transaction
    (what no role of the site can do; see `manage.py app_role`)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush
    if getattr(flush, "triggers_off", False):
        return

    def execute_sql_flush(self, sql_list):
        return flush(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    execute_sql_flush.triggers_off = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush


_flush_with_triggers_off()

# Valid test identities (GB 11643 / GB 32100 checksums hold).
ID_NUMBERS = ["11010519491231002X", "110101199003070134", "32050219850612001X", "320502198506120036",
              "440305199912310011", "510104198001010014", "33010619750606002X", "120101196610100014"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _committer_connection_closed(django_db_setup, django_db_blocker):
    """The cross-round bid committer (bidding.committer) keeps a connection of its own: closed before
    the test database is dropped."""
    yield
    from bidding import committer

    committer.close_connections()


@pytest.fixture(autouse=True)
def _own_anchor_place(settings, tmp_path, request):
    """Anchors live in object storage and outlive the test database's rollback: each test anchors into
    a bucket (or folder) of its own, so one test's anchors never name another test's records."""
    settings.TRANSPARENCY_ANCHOR_BUCKET = f"anchors-{abs(hash(request.node.nodeid)):x}"[:63]
    settings.TRANSPARENCY_ANCHOR_DIR = str(tmp_path / "anchors")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language (zh-hans): a request in English through the test
    client leaves English active in this thread, and a later test rendering a template would read it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def court(db):
    from accounts.models import Court

    return Court.objects.create(name="江苏省苏州市中级人民法院", code="苏05", province="江苏", city="苏州", contact="0512-12345678")


@pytest.fixture
def other_court(db):
    from accounts.models import Court

    return Court.objects.create(name="浙江省杭州市中级人民法院", code="浙01", province="浙江", city="杭州", contact="0571-87654321")


def make_user(username: str, role: str, **extra):
    from accounts.models import User

    user = User.objects.create_user(username=username, password="pass-1234-word", role=role, **extra)
    return user


@pytest.fixture
def judge(court):
    return make_user("judge_su", "judge", court=court, real_name="王法官")


@pytest.fixture
def other_judge(other_court):
    return make_user("judge_zhe", "judge", court=other_court, real_name="李法官")


@pytest.fixture
def bidder_factory(db):
    counter = {"n": 0}

    def make(**extra):
        n = counter["n"]
        counter["n"] += 1
        defaults = {"real_name": f"竞买人{n}", "id_kind": "resident_id", "id_number": ID_NUMBERS[n % len(ID_NUMBERS)] if n < len(ID_NUMBERS) else "",
                    "phone": f"1380000{n:04d}"}
        defaults.update(extra)
        return make_user(f"bidder{n}", "bidder", **defaults)

    return make


@pytest.fixture
def bidder(bidder_factory):
    return bidder_factory()


@pytest.fixture
def enforcement_case(court):
    from lots.models import EnforcementCase

    return EnforcementCase.objects.create(
        court=court, case_number="(2024)苏05执123号", applicants=["苏州银行股份有限公司"], respondents=["张三"],
        amount_owed=500_000_000, created_at=clock.now(),
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def token_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user():
    """as_user(user) -> an APIClient authenticated with the user's token."""
    return token_client


@pytest.fixture
def advance_clock(db):
    def advance(**kwargs):
        return clock.advance(int(timedelta(**kwargs).total_seconds()))

    return advance


class DaphneServer:
    def __init__(self, port: int, proc: subprocess.Popen):
        self.port = port
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


def _test_env(channel_prefix: str) -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env["CHANNEL_PREFIX"] = channel_prefix
    env["AUCTION_MODE"] = "test"
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_daphne(channel_prefix: str, port: int | None = None, extra_env: dict | None = None) -> DaphneServer:
    port = port or free_port()
    log = open(ARTIFACTS / f"daphne-{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "auction_site.asgi:application"],
        cwd=ROOT, env={**_test_env(channel_prefix), **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited early; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return DaphneServer(port, proc)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("daphne did not start in 30 s")


def stop_daphne(server: DaphneServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture
def channel_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def daphne_servers(transactional_db, channel_prefix):
    """daphne_servers(n) -> n live Daphne processes sharing the test database and Redis."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    started: list[DaphneServer] = []

    def start(n: int = 1, env: dict | None = None) -> list[DaphneServer]:
        servers = [start_daphne(channel_prefix, extra_env=env) for _ in range(n)]
        started.extend(servers)
        return servers

    yield start
    for s in started:
        stop_daphne(s)


@pytest.fixture
def live_daphne(daphne_servers):
    """One live Daphne serving the whole site (pages, API, websockets) against the test database."""
    return daphne_servers(1)[0]


def arrange_status(rnd, status: str, **fields) -> None:
    """Put a round into `status` for a test, along a path lots.rules.ROUND_TRANSITIONS allows (the
    database refuses any other move), then set `fields`; `rnd` is refreshed."""
    from collections import deque

    from lots.models import Round
    from lots.rules import ROUND_TRANSITIONS

    current = Round.objects.values_list("status", flat=True).get(pk=rnd.pk)
    paths, seen = deque([[current]]), {current}
    while paths and paths[0][-1] != status:
        path = paths.popleft()
        for a, b in ROUND_TRANSITIONS:
            if a == path[-1] and b not in seen:
                seen.add(b)
                paths.append([*path, b])
    if not paths:
        raise ValueError(f"no path from {current} to {status}")
    for step in paths[0][1:]:
        Round.objects.filter(pk=rnd.pk).update(status=step)
    if fields:
        Round.objects.filter(pk=rnd.pk).update(**fields)
    rnd.refresh_from_db()


def rewind_status(rnd, status: str) -> None:
    """Test arrangement only: show the same round in an earlier status. The state machine never goes
    back, so the database guard is lifted for this one UPDATE, inside the test's transaction."""
    from django.db import connection

    from lots.models import Round

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")  # user triggers off (superuser only)
        Round.objects.filter(pk=rnd.pk).update(status=status)
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = origin")
    rnd.refresh_from_db()
