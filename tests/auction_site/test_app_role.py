"""Issue 13, point 15: bids, ledger entries and audit records stay append-only against TRUNCATE too,
and the site runs under a role that owns no table (`manage.py app_role`).

- TRUNCATE is refused by a statement-level trigger, to every role (the tables' owner included).
- Under the application role the site does its work (a deposit paid and held, bids placed, a deposit
  released by the clock, the audit chains verified), and can neither UPDATE, DELETE nor TRUNCATE an
  append-only table, nor lift the triggers (it owns nothing, is no superuser).
"""

import contextlib
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from auction_site import audit, clock
from bidding.models import Bid
from escrow import clockwork
from escrow.models import LedgerEntry, Registration
from tests.bidding.conftest import hold, make_lot, make_round
from tests.conftest import token_client
from tests.escrow.conftest import close_round, register_and_pay

pytestmark = pytest.mark.django_db(transaction=True)

APPEND_ONLY = ["auction_site_auditrecord", "bidding_bid", "escrow_ledgerentry", "escrow_ledgertransaction",
               "settlement_payout", "settlement_saledocument", "settlement_settlement"]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("roles and triggers are PostgreSQL's")


@pytest.fixture
def app_role(monkeypatch):
    name = f"app_test_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("APP_DB_PASSWORD", "app-test-password")
    call_command("app_role", "--role", name)
    yield name
    with connection.cursor() as cur:
        cur.execute("RESET ROLE")
        cur.execute(f"DROP OWNED BY {name}")
        cur.execute(f"DROP ROLE {name}")


@contextlib.contextmanager
def acting_as(role: str):
    """The test's connection acts as `role` (SET ROLE: its privileges, not the superuser's)."""
    with connection.cursor() as cur:
        cur.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET ROLE")


def _refused(sql: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql)


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_is_refused_even_to_the_owner(table):
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('is_superuser')")
        assert cur.fetchone()[0] == "on"  # the test database's owner, who could do anything the grants allow
    _refused(f"TRUNCATE {table} CASCADE", f"{table} is append-only \\(A29\\): TRUNCATE refused")


def test_the_site_works_under_the_app_role_which_cannot_rewrite_history(app_role, enforcement_case, bidder_factory, settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
    lot = make_lot(enforcement_case)
    rnd = make_round(lot, deposit=5_000_00, starting_price=50_000_00, increment=1_000_00)
    rival = bidder_factory()
    hold(rnd, rival, "R001")
    bidder = bidder_factory()
    with acting_as(app_role):
        with connection.cursor() as cur:
            cur.execute("SELECT current_user, current_setting('is_superuser')")
            assert cur.fetchone() == (app_role, "off")
        # What the site does: a deposit paid and held (registration, deposit, ledger, audit records) ...
        paid = register_and_pay(token_client(bidder), rnd.pk)
        assert paid["status"] == "held" and paid["code"]
        # ... bids (the bid engine's pipeline: round lock, ids, bids, audit records, live state) ...
        for user, amount in ((bidder, 50_000_00), (rival, 51_000_00), (bidder, 52_000_00)):
            r = token_client(user).post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": amount}, format="json")
            assert r.status_code in {200, 201}, r.content
        assert Bid.objects.filter(round=rnd).count() == 3
        # ... the clock releasing the loser's deposit after the close, and the audit chains read back.
        close_round(rnd, Registration.objects.get(round=rnd, bidder=rival))
        clockwork.tick(clock.now())
        assert Registration.objects.get(pk=paid["id"]).status == "released"
        assert LedgerEntry.objects.filter(transaction__kind="deposit_released").count() == 2
        assert audit.verify_chains() is None

        for table in APPEND_ONLY:
            with connection.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM {table}")  # reads are allowed
            _refused(f"UPDATE {table} SET id = id", f"permission denied for table {table}")
            _refused(f"DELETE FROM {table}", f"permission denied for table {table}")
            _refused(f"TRUNCATE {table}", f"permission denied for table {table}")
            _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER", f"must be owner of table {table}")
        _refused("SET session_replication_role = replica", "permission denied")
        _refused("CREATE TABLE app_scratch (id int)", "permission denied for schema public")
        _refused("UPDATE django_migrations SET app = app", "permission denied for table django_migrations")

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = %s", [app_role])
        assert cur.fetchone()[0] == 0


def test_app_role_refuses_to_make_the_owner_the_app_role():
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        me = cur.fetchone()[0]
    with pytest.raises(CommandError, match="is the role running this command"):
        call_command("app_role", "--role", me)


def test_app_role_grants_only_select_and_insert_on_append_only_tables(app_role):
    with connection.cursor() as cur:
        cur.execute("SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
                    "FROM information_schema.role_table_grants WHERE grantee = %s GROUP BY table_name", [app_role])
        grants = dict(cur.fetchall())
    for table in APPEND_ONLY:
        assert grants[table] == "INSERT,SELECT", table
    assert grants["django_migrations"] == "SELECT"
    assert grants["escrow_registration" if "escrow_registration" in grants else "bidding_registration"] == "DELETE,INSERT,SELECT,UPDATE"
    assert not any("TRUNCATE" in g or "TRIGGER" in g or "REFERENCES" in g for g in grants.values())
