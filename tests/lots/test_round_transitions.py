"""The round's state machine (lots.rules.ROUND_TRANSITIONS): one writer, every illegal move refused."""

import importlib
import itertools
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from auction_site import clock
from auction_site.errors import Conflict
from auction_site.models import AuditRecord
from lots import rounds, rules, signals
from lots.models import Lot, Round
from tests.conftest import arrange_status

STATUSES = [s for s, _ in Round.Status.choices]


@pytest.fixture
def rnd(enforcement_case):
    lot = Lot.objects.create(case=enforcement_case, title="苏州市某路1号", category="real_estate", created_at=clock.now())
    now = clock.now()
    return Round.objects.create(lot=lot, number=1, status="draft", starting_price=100_00, deposit=10_00, increment=1_00,
                                starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=41),
                                scheduled_ends_at=now + timedelta(days=41), created_at=now)


def test_every_legal_move_has_an_article_and_only_known_statuses():
    for (a, b), article in rules.ROUND_TRANSITIONS.items():
        assert a in STATUSES and b in STATUSES and a != b
        assert article[0] in "ABC" and article[1:].isdigit()
    # terminal states lead nowhere: nothing comes back from withdrawn, failed, defaulted or settled
    for terminal in ("withdrawn", "failed", "defaulted", "settled"):
        assert not [b for a, b in rules.ROUND_TRANSITIONS if a == terminal]


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), [p for p in itertools.permutations(STATUSES, 2)])
def test_change_status_allows_exactly_the_table(rnd, current, target, django_capture_on_commit_callbacks):
    arrange_status(rnd, current)
    seq, records = rnd.seq, AuditRecord.objects.count()
    sent = []

    def receiver(sender, **change):
        sent.append(change)

    signals.round_status_changed.connect(receiver)
    legal = (current, target) in rules.ROUND_TRANSITIONS
    try:
        with django_capture_on_commit_callbacks(execute=True):
            if legal:
                with transaction.atomic():
                    rounds.change_status(rounds.lock(rnd.pk), target, actor="test")
            else:
                with pytest.raises(Conflict) as refused, transaction.atomic():
                    rounds.change_status(rounds.lock(rnd.pk), target, actor="test")
                assert refused.value.code == "illegal_transition"
    finally:
        signals.round_status_changed.disconnect(receiver)
    rnd.refresh_from_db()
    if legal:
        assert rnd.status == target and rnd.seq == seq + 1
        assert AuditRecord.objects.filter(chain=f"lots.round:{rnd.pk}", action=f"round.{target}").count() == 1
        assert [(c["status"], c["previous"], c["seq"]) for c in sent] == [(target, current, seq + 1)]  # once, after the commit
    else:
        assert (rnd.status, rnd.seq, AuditRecord.objects.count(), sent) == (current, seq, records, [])


@pytest.mark.django_db
def test_the_database_refuses_an_illegal_move_whoever_writes_it(rnd):
    if connection.vendor != "postgresql":
        pytest.skip("the guard is a PostgreSQL trigger")
    arrange_status(rnd, "open")
    with pytest.raises(IntegrityError, match="cannot move from open to draft"), transaction.atomic():
        Round.objects.filter(pk=rnd.pk).update(status="draft")
    with pytest.raises(IntegrityError, match="cannot move from open to paid"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE lots_round SET status = 'paid' WHERE id = %s", [rnd.pk])
    Round.objects.filter(pk=rnd.pk).update(status="sold")  # a legal move passes
    assert Round.objects.get(pk=rnd.pk).status == "sold"


def test_the_database_guard_lists_the_same_moves_as_the_rules():
    migration = importlib.import_module("lots.migrations.0005_round_transition_guard")
    assert set(migration.ALLOWED) == set(rules.ROUND_TRANSITIONS)


@pytest.mark.django_db(transaction=True)
def test_status_changes_outside_a_transaction_are_refused(rnd):
    with pytest.raises(RuntimeError):
        rounds.change_status(rnd, "announced")
