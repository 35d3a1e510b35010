"""Valuation's locks (issue 11): only its own rows, and none held while an outside provider takes its time.

The providers are real servers in threads (tests/valuation/providers.py) that answer slowly or refuse; the other
writes run against the same PostgreSQL at the same time, and must not wait for the provider.
"""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from auction_site import clock
from tests.valuation.conftest import inquiry_of
from tests.valuation.providers import HTTPPlatform, MailServer
from valuation import clockwork, services
from valuation.models import Inquiry, Notification, Organisation, Valuation

SLOW = 5.0  # seconds the provider takes
PROMPT = 2.5  # what "not held up" allows a write on this shared 2-core machine: well under SLOW


def in_thread(work):
    """Run `work` in a thread with its own database connection; join() re-raises what it raised."""
    errors = []

    def run():
        try:
            work()
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def join():
        thread.join(30)
        assert not thread.is_alive()
        if errors:
            raise errors[0]

    return join


def timed(work) -> float:
    began = time.monotonic()
    work()
    return time.monotonic() - began


@pytest.fixture
def same_case(lot, enforcement_case, institutions, bidder):
    """What else goes on in the lot's case and court: the lot's draft round, an open round of another lot of the same
    case with a bidder whose deposit is held, and a third lot the judge is about to have valued."""
    from lots.models import Lot
    from tests.bidding.conftest import hold, make_lot, make_round

    draft = make_round(lot, status="draft", starts_in=timedelta(days=40))
    other_round = make_round(make_lot(enforcement_case, title="苏州市吴中区某小区车位"))
    hold(other_round, bidder, "A0001")
    third = Lot.objects.create(case=enforcement_case, title="苏州市姑苏区干将西路1号1202室", category="real_estate", city="苏州",
                               description="住宅", created_at=clock.now(), seized_at=clock.now())
    return {"draft": draft, "other_round": other_round, "third": third, "bidder": bidder}


def other_writes(judge, lot, same_case) -> dict[str, float]:
    """Writes on the lot, its case and its court that a valuation has no business holding up, all at once, each in a
    thread of its own -> seconds each took."""
    from bidding.services import place_bid
    from lots.services import create_case, update_draft_round, update_lot
    from tests.bidding.conftest import START

    def bid():
        assert place_bid(same_case["bidder"], round_id=same_case["other_round"].pk, amount=START).accepted

    writes = {
        "the judge changes the lot's draft round": lambda: update_draft_round(judge, round_id=same_case["draft"].pk, announcement="拍卖公告（修订）"),
        "the judge changes the lot": lambda: update_lot(judge, lot=lot, occupancy="空置"),
        "a bid on another lot of the case": bid,
        "another valuation in the case": lambda: services.start_valuation(judge, lot=same_case["third"], method="appraisal"),
        "a new case in the court": lambda: create_case(judge, case_number="(2024)苏05执456号", applicants=["苏州银行"],
                                                       respondents=["李四"], amount_owed=100_000_00),
    }
    took: dict[str, float] = {}
    joins = [in_thread(lambda what=what, work=work: took.__setitem__(what, timed(work))) for what, work in writes.items()]
    for join in joins:
        join()
    return took


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sender", ["on commit", "by the clock"])
def test_writes_on_the_lot_case_and_court_go_on_while_an_inquiry_is_posted(sender, lot, judge, same_case, settings, advance_clock):
    settings.VALUATION_HTTP_TIMEOUT = 3 * SLOW  # the slow platform's answer is awaited (and counted) rather than timed out
    # By the clock: the first POST (on commit) is refused at once, the clock's retry is the slow one.
    answers = {"on commit": lambda n: (202, SLOW), "by the clock": lambda n: (503, 0.0) if n == 1 else (202, SLOW)}[sender]
    with HTTPPlatform(answers) as platform:
        Organisation.objects.create(code="HX", kind="inquiry_platform", name="外部询价服务", provider="http", endpoint=platform.url,
                                    secret="s3cret")
        if sender == "on commit":
            join = in_thread(lambda: services.start_valuation(judge, lot=lot, method="network"))
        else:
            services.start_valuation(judge, lot=lot, method="network")
            assert platform.answered.wait(5) and len(platform.received) == 1
            platform.arrived.clear()
            platform.answered.clear()
            advance_clock(minutes=1, seconds=1)  # past the first backoff
            join = in_thread(lambda: clockwork.tick(clock.now()))
        assert platform.arrived.wait(10), "the platform was never called"
        took = other_writes(judge, lot, same_case)
        still_posting = not platform.answered.is_set()
        join()
    slow = {what: round(seconds, 2) for what, seconds in took.items() if seconds >= PROMPT}
    assert not slow, f"held up by the provider: {slow}"
    assert still_posting, f"the writes did not finish while the platform was still answering ({took})"
    inquiry = Inquiry.objects.get(organisation__code="HX")
    assert inquiry.dispatched_at is not None
    assert [h["Idempotency-Key"] for h, _ in platform.received] == [f"valuation-inquiry-{inquiry.pk}"] * len(platform.received)


@pytest.mark.django_db(transaction=True)
def test_a_slow_mail_server_holds_no_lock_and_a_refused_e_mail_is_retried_from_the_outbox(lot, parties, judge, settings, advance_clock):
    from accounts.models import User

    # The first message is answered slowly, and then refused (a temporary failure); the others are accepted at once.
    with MailServer(lambda n: (b"451 4.3.0 try again later", SLOW) if n == 1 else (b"250 queued", 0.0)) as mail:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", mail.port, 3 * SLOW
        applicant, debtor = parties
        deadline = clock.now() + timedelta(days=7)
        # Starting a negotiation notifies both parties; their e-mails go out once it has committed.
        join = in_thread(lambda: services.start_valuation(judge, lot=lot, method="negotiated", deadline=deadline))
        assert mail.data_arrived.wait(10), "no e-mail was sent"
        valuation = Valuation.objects.get(lot=lot)
        # The offer below tells the debtor in the site only (no address now): the mail server sees the two notices above.
        User.objects.filter(pk=debtor.pk).update(email="")

        def lock_what_the_e_mail_is_about():
            with transaction.atomic():  # NOWAIT: fails at once if the sender still held any of these rows
                list(User.objects.select_for_update(nowait=True).filter(pk__in=[applicant.pk, debtor.pk]))
                list(Notification.objects.select_for_update(nowait=True).filter(valuation=valuation))
                Valuation.objects.select_for_update(nowait=True).get(pk=valuation.pk)

        took = {"lock the parties, their notices and the valuation": timed(lock_what_the_e_mail_is_about),
                "a party's offer": timed(lambda: services.submit_offer(applicant, valuation=valuation, price=350_000_000))}
        still_sending = not mail.answered.is_set()
        join()
        slow = {what: round(seconds, 2) for what, seconds in took.items() if seconds >= PROMPT}
        assert not slow and still_sending, f"held up by the mail server: {took}"

        notes = Notification.objects.filter(valuation=valuation, kind="negotiation")
        assert notes.count() == 2 and notes.filter(emailed_at__isnull=True).count() == 1 and len(mail.accepted) == 1
        refused = notes.get(emailed_at__isnull=True).outbox_message
        assert refused.attempts == 1 and "451" in refused.last_error and refused.sent_at is None
        # Retried by the clock, after the backoff, once.
        assert clockwork.tick(clock.now())["mailed"] == 0
        advance_clock(minutes=1, seconds=1)
        assert clockwork.tick(clock.now())["mailed"] == 1
        assert clockwork.tick(clock.now())["mailed"] == 0
    assert not notes.filter(emailed_at__isnull=True).exists() and len(mail.accepted) == 2
    ids = [re.search(rb"^Message-ID: <([^@>]+)@", m, re.M | re.I)[1].decode() for m in mail.accepted]
    assert sorted(ids) == sorted(f"valuation-notification-{n.pk}" for n in notes)  # each once, under its outbox key
    refused.refresh_from_db()
    assert refused.attempts == 2 and refused.sent_at is not None


# ------------------------------------------------------------------------- every lock and every audit record


LOCKING = re.compile(r"\bFOR (?:NO KEY )?UPDATE(?: OF (?P<of>.+?))?(?: SKIP LOCKED| NOWAIT)?\s*$", re.S)


def _locked_tables(sql: str) -> tuple[str, set[str]] | None:
    """(the table a locking query selects from, the tables whose rows it locks), or None for a query that locks nothing."""
    found = LOCKING.search(sql)
    if found is None:
        return None
    tables = re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)
    locked = set(re.findall(r'"(\w+)"', found["of"])) if found["of"] else set(tables)
    return tables[0], locked


def _every_use_case(lot, platforms, institutions, parties, judge, start, quote, as_user, advance_clock):
    """Every write of the valuation app once: negotiation, network inquiry with a correction, an objection and the fee,
    an appraisal by lottery with an extension and a late institution, a valuer joining."""
    from lots.models import Lot, Round

    applicant, debtor = parties
    v = start(lot, "network")
    for (org, user), price in zip(platforms, [100_00, 200_00, 300_00]):
        assert quote(user, inquiry_of(v, org.code), price).status_code == 201
    assert as_user(judge).post(f"/api/v1/inquiries/{inquiry_of(v, 'P2')}/correction/", {"reason": "面积有误"}, format="json").status_code == 200
    r = as_user(applicant).post(f"/api/v1/valuations/{v['id']}/objections/",
                                {"ground": "wrong_facts", "reason": "面积错误", "inquiry": inquiry_of(v, "P1")}, format="json")
    assert r.status_code == 201
    assert as_user(judge).post(f"/api/v1/objections/{r.json()['id']}/decide/", {"decision": "upheld"}, format="json").status_code == 200
    now = clock.now()
    rnd = Round.objects.create(lot=lot, number=1, status="sold", starting_price=100_00, deposit=10_00, increment=1_00, starts_at=now - timedelta(days=1),
                               ends_at=now, scheduled_ends_at=now, sold_price=250_00, created_at=now)
    assert services.award_network_fee(rnd) is not None

    other = Lot.objects.create(case=lot.case, title="苏州市姑苏区干将西路1号1202室", category="real_estate", created_at=now, seized_at=now)
    n = start(other, "negotiated", deadline=(now + timedelta(hours=1)).isoformat())
    as_user(applicant).post(f"/api/v1/valuations/{n['id']}/offers/", {"price": 350_000_000}, format="json")
    as_user(debtor).post(f"/api/v1/valuations/{n['id']}/offers/", {"price": 300_000_000}, format="json")  # a counter-offer
    advance_clock(hours=1, seconds=1)
    assert clockwork.tick(clock.now())["failed"] == 1  # B4: the deadline passed without agreement -> network
    advance_clock(days=3, seconds=1)
    report = clockwork.tick(clock.now())  # B12: P2 never corrected; B11: nobody answered the second network -> appraisal
    assert report["corrections_missed"] == 1 and report["failed"] == 1
    advance_clock(days=1, seconds=1)  # B16: the lottery is drawn at its time, then the first institution is sent
    assert clockwork.tick(clock.now())["drawn"] == 1
    appraisal = Valuation.objects.get(lot=other, method="appraisal")
    first = appraisal.inquiries.get(position=1)
    user = next(u for org, u in institutions if org.pk == first.organisation_id)
    assert as_user(user).post(f"/api/v1/valuer/inquiries/{first.pk}/extension/", {"days": 10}, format="json").status_code == 200
    advance_clock(days=40, seconds=1)
    assert clockwork.tick(clock.now())["replaced"] == 1
    services.join_organisation(applicant, organisation_code=platforms[0][0].code)


def test_every_lock_valuation_takes_is_on_its_own_rows(lot, platforms, institutions, parties, judge, start, quote, as_user, advance_clock):
    with CaptureQueriesContext(connection) as queries:
        _every_use_case(lot, platforms, institutions, parties, judge, start, quote, as_user, advance_clock)
    locking = [(q["sql"], _locked_tables(q["sql"])) for q in queries.captured_queries]
    locking = [(sql, found) for sql, found in locking if found]
    assert any(table.startswith("valuation_") for _, (table, _) in locking)
    wider = {sql[:160]: sorted(locked) for sql, (table, locked) in locking if locked != {table}}
    assert not wider, f"locks on rows of joined tables: {wider}"
    valuation_rows = {table for _, (table, _) in locking if table.startswith("valuation_")}
    assert valuation_rows <= {"valuation_valuation", "valuation_inquiry", "valuation_objection", "valuation_organisation", "valuation_valuer"}


def test_every_valuation_audit_record_joins_its_aggregates_chain(lot, platforms, institutions, parties, judge, start, quote, as_user,
                                                                 advance_clock, monkeypatch):
    from auction_site import audit

    seen = []
    original = audit.record

    def spy(action, obj=None, *, chain=None, **kwargs):
        seen.append((action, obj, chain))
        return original(action, obj, chain=chain, **kwargs)

    monkeypatch.setattr(audit, "record", spy)
    _every_use_case(lot, platforms, institutions, parties, judge, start, quote, as_user, advance_clock)

    def aggregate_of(obj):
        if isinstance(obj, Valuation):
            return obj.pk
        if hasattr(obj, "valuation_id"):
            return obj.valuation_id
        if hasattr(obj, "inquiry"):
            return obj.inquiry.valuation_id
        return None

    mine = [(action, obj, chain) for action, obj, chain in seen if action.startswith("valuation.") or action == "lot.reference_price_cleared"]
    assert len({action for action, _, _ in mine}) >= 15
    for action, obj, chain in mine:
        if action == "valuation.valuer_joined":
            assert isinstance(chain, Organisation) and chain.pk == obj.organisation_id, action
        elif action == "lot.reference_price_cleared":
            assert isinstance(chain, Valuation), action
        else:
            assert isinstance(chain, Valuation) and chain.pk == aggregate_of(obj), (action, obj, chain)


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_open_one_valuation(lot, judge, platforms):
    from auction_site.errors import Conflict
    from tests.concurrency import run_at_once

    def go():
        try:
            return services.start_valuation(judge, lot=lot, method="network").pk
        except Conflict as exc:
            return exc.code

    assert sorted(map(str, run_at_once(go))) == sorted([str(Valuation.objects.get(lot=lot).pk), "valuation_open"])
