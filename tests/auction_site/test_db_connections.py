"""Issue 13, point 12: persistent database connections under Daphne.

Daphne runs each HTTP request's Django code in a thread of its own: with a plain CONN_MAX_AGE every
request left one idle PostgreSQL connection behind (30 requests, 30 connections, until the server
refused clients). Connections are now reused through psycopg's pool: a real Daphne process serving
200 requests with DB_CONN_MAX_AGE=600 holds at most the pool's size, counted by the server itself.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connection

import auction_site.settings as site_settings
from tests.conftest import ROOT, start_daphne, stop_daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

DB_POOL_DEFAULT_MAX_SIZE = getattr(site_settings, "DB_POOL_DEFAULT_MAX_SIZE", 10)
REQUESTS = 200
CLIENTS = 8  # requests in flight at once


def _server_connections(application_name: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                    [application_name])
        return cur.fetchone()[0]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as r:
        r.read()
        return r.status


def test_200_requests_to_daphne_with_persistent_connections_leave_at_most_the_pool(channel_prefix):
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's own connections")
    name = f"conn-test-{uuid.uuid4().hex[:8]}"  # libpq names the server's connections after PGAPPNAME
    server = start_daphne(channel_prefix, extra_env={"DB_CONN_MAX_AGE": "600", "PGAPPNAME": name})
    try:
        urls = [f"{server.url}/", f"{server.url}/healthz"]  # the public home page (the catalogue) and the health check
        done = 0
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            while done < REQUESTS:  # in batches, so a leak stops the test long before the server's limit
                statuses = list(pool.map(_get, [urls[i % 2] for i in range(done, done + 20)]))
                assert statuses == [200] * 20
                done += 20
                held = _server_connections(name)
                assert held <= DB_POOL_DEFAULT_MAX_SIZE, f"{held} connections after {done} requests"
        assert 0 < _server_connections(name) <= DB_POOL_DEFAULT_MAX_SIZE
    finally:
        stop_daphne(server)


def _settings_of(env: dict) -> dict:
    script = ("import django, json; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
              "print(json.dumps({'max_age': d['CONN_MAX_AGE'], 'pool': d.get('OPTIONS', {}).get('pool')}))")
    base = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "auction_site.settings", **env},
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_pool_settings():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the pool is PostgreSQL's")
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    assert _settings_of({"DATABASE_URL": url}) == {"max_age": 0, "pool": None}  # default: a connection per request
    persistent = _settings_of({"DATABASE_URL": url, "DB_CONN_MAX_AGE": "600"})
    assert persistent["max_age"] == 0  # never a thread's own persistent connection
    assert persistent["pool"]["max_size"] == DB_POOL_DEFAULT_MAX_SIZE and persistent["pool"]["max_lifetime"] == 600
    sized = _settings_of({"DATABASE_URL": url, "DB_POOL_MAX_SIZE": "4", "DB_POOL_TIMEOUT": "3"})
    assert sized["pool"]["max_size"] == 4 and sized["pool"]["timeout"] == 3 and sized["max_age"] == 0
    # SQLite (the embedded default) has no pool: the setting is used as it is.
    assert _settings_of({"DATABASE_URL": "sqlite:///var/x.sqlite3", "DB_CONN_MAX_AGE": "60"}) == {"max_age": 60, "pool": None}
