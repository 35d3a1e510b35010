"""B16: a lottery nobody can re-roll. The court's commitment, the draw time and the candidates are published first; the
parties may add committed secrets; the seed hashes the revealed secrets and the transcript root of the last round closed
before the draw time. Driven through the API, the clock, the public page and `manage.py replay_lottery`."""

import hashlib
from datetime import datetime, timedelta
from io import StringIO

from django.core.management import call_command

from auction_site import clock
from valuation import clockwork, rules
from valuation.models import Inquiry, LotteryDraw
from valuation.services import lottery

APPLICANT_SECRET = "applicant-secret-0123456789"
DEBTOR_SECRET = "debtor-secret-abcdefghijkl"


def sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tick():
    return clockwork.tick(clock.now())


def url(v, what=""):
    return f"/api/v1/valuations/{v['id']}/lottery/{what}"


def commit_both(v, parties, as_user):
    applicant, debtor = parties
    assert as_user(applicant).post(url(v, "commit/"), {"commitment": sha(APPLICANT_SECRET)}, format="json").status_code == 201
    assert as_user(debtor).post(url(v, "commit/"), {"commitment": sha(DEBTOR_SECRET)}, format="json").status_code == 201


def test_published_draw_with_revealed_secrets_replays_to_the_same_institutions(lot, parties, institutions, start, as_user,
                                                                                api_client, advance_clock, client):
    applicant, debtor = parties
    v = start(lot, "appraisal")
    assert v["lottery"]["candidates"] == ["I01", "I02", "I03", "I04", "I05"] and v["lottery"]["picks"] == []
    commit_both(v, parties, as_user)
    again = as_user(applicant).post(url(v, "commit/"), {"commitment": sha("another-secret-xxxxxxx")}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "lottery_already_committed"
    early = as_user(applicant).post(url(v, "reveal/"), {"secret": APPLICANT_SECRET}, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "lottery_reveal_not_open"
    assert api_client.post(url(v, "draw/")).json()["error"]["code"] == "lottery_not_due"

    advance_clock(days=1, seconds=1)
    late = as_user(applicant).post(url(v, "commit/"), {"commitment": sha("too-late-secret-xxxxxx")}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "lottery_commit_closed"
    assert tick()["drawn"] == 0  # a committed party has not revealed yet and the deadline has not passed
    assert as_user(applicant).post(url(v, "reveal/"), {"secret": APPLICANT_SECRET}, format="json").status_code == 200
    assert as_user(debtor).post(url(v, "reveal/"), {"secret": DEBTOR_SECRET}, format="json").status_code == 200
    assert tick()["drawn"] == 1  # every reveal is in: drawn at once

    draw = LotteryDraw.objects.get(valuation_id=v["id"])
    assert draw.beacon == rules.BEACON_FALLBACK and draw.beacon_round is None  # no round had closed
    assert len(draw.picks) == 3
    sent = list(Inquiry.objects.filter(valuation_id=v["id"]).order_by("position").values_list("organisation__code", "status"))
    assert sent == [(draw.picks[0], "pending"), (draw.picks[1], "queued"), (draw.picks[2], "queued")]

    body = api_client.get(url(v)).json()  # the public inputs
    assert body["matches"] is True and body["replayed"] == draw.picks and body["recomputed_seed"] == draw.seed
    court = next(c for c in body["commitments"] if c["role"] == "court")
    assert rules.lottery_commitment(court["secret"]) == court["commitment"]  # the court's secret is revealed at the draw
    # Anyone recomputes the draw from the published inputs alone, by the command.
    inputs = lottery.seed_inputs(draw)
    assert [label.split(":")[0] for label, _ in inputs] == ["court", "applicant", "respondent"]
    out = StringIO()
    call_command("replay_lottery", "--beacon", draw.beacon, *[a for label, s in inputs for a in ("--secret", f"{label}={s}")],
                 "--candidates", ",".join(reversed(draw.candidates)), stdout=out)
    assert out.getvalue().split() == [f"seed={draw.seed}", ",".join(draw.picks)]
    call_command("replay_lottery", str(v["id"]), stdout=StringIO())
    page = client.get(f"/valuations/{v['id']}/lottery/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "重放一致" in html and draw.seed in html and APPLICANT_SECRET in html


def test_changing_any_revealed_secret_changes_the_draw():
    inputs = [("court:", "c" * 32), ("applicant:7", APPLICANT_SECRET), ("respondent:8", DEBTOR_SECRET)]
    beacon = "ab" * 32
    codes = [f"I{n:02d}" for n in range(1, 11)]
    seed = rules.lottery_seed(inputs, beacon)
    picks = rules.draw_lottery(seed, codes)
    assert rules.lottery_seed(list(inputs), beacon) == seed and rules.draw_lottery(seed, list(reversed(codes))) == picks
    for n in range(len(inputs)):
        variants = []
        for change in "xyz":
            changed = list(inputs)
            changed[n] = (inputs[n][0], inputs[n][1][:-1] + change)
            other = rules.lottery_seed(changed, beacon)
            assert other != seed
            variants.append(rules.draw_lottery(other, codes))
        assert any(v != picks for v in variants)
    assert rules.lottery_seed(inputs, "cd" * 32) != seed  # the beacon too
    assert rules.lottery_seed(inputs[:2], beacon) != seed  # a secret left out


def test_a_reveal_that_does_not_match_its_commitment_is_refused(lot, parties, institutions, start, as_user, advance_clock):
    applicant, _ = parties
    v = start(lot, "appraisal")
    commit_both(v, parties, as_user)
    advance_clock(days=1, seconds=1)
    r = as_user(applicant).post(url(v, "reveal/"), {"secret": APPLICANT_SECRET + "!"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "lottery_reveal_mismatch"
    c = LotteryDraw.objects.get(valuation_id=v["id"]).commitments.get(role="applicant")
    assert c.revealed_at is None and c.secret == ""  # nothing changed
    bad = as_user(applicant).post(url(v, "reveal/"), {"secret": "short"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "lottery_secret_invalid"
    assert as_user(applicant).post(url(v, "reveal/"), {"secret": APPLICANT_SECRET}, format="json").status_code == 200


def test_reveal_after_the_deadline_is_refused_and_the_draw_goes_on_without_it(lot, parties, institutions, start, as_user, advance_clock,
                                                                               judge):
    applicant, debtor = parties
    v = start(lot, "appraisal")
    commit_both(v, parties, as_user)
    advance_clock(days=1, seconds=1)
    assert as_user(applicant).post(url(v, "reveal/"), {"secret": APPLICANT_SECRET}, format="json").status_code == 200
    advance_clock(days=1)
    r = as_user(debtor).post(url(v, "reveal/"), {"secret": DEBTOR_SECRET}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "lottery_reveal_closed"
    stranger = as_user(judge).post(url(v, "commit/"), {"commitment": sha(DEBTOR_SECRET)}, format="json")
    assert stranger.status_code == 409  # the court's commitment was fixed when the draw was published
    assert tick()["drawn"] == 1
    draw = LotteryDraw.objects.get(valuation_id=v["id"])
    assert [label.split(":")[0] for label, _ in lottery.seed_inputs(draw)] == ["court", "applicant"]


def test_the_draw_cannot_be_run_twice_with_another_result(lot, parties, institutions, start, as_user, api_client, advance_clock):
    v = start(lot, "appraisal")
    advance_clock(days=1, seconds=1)
    first = api_client.post(url(v, "draw/")).json()
    assert first["matches"] is True and len(first["picks"]) == 3
    second = api_client.post(url(v, "draw/")).json()
    assert (second["seed"], second["picks"], second["drawn_at"]) == (first["seed"], first["picks"], first["drawn_at"])
    assert tick()["drawn"] == 0
    assert Inquiry.objects.filter(valuation_id=v["id"]).count() == 3  # sent once


def test_the_beacon_is_the_transcript_root_of_the_last_round_closed_before_the_draw(lot, parties, institutions, start, advance_clock):
    from lots.models import Round
    from transparency.models import Transcript

    v = start(lot, "appraisal")
    draw = LotteryDraw.objects.get(valuation_id=v["id"])
    now = clock.now()
    for number, closed in [(1, draw.draw_at - timedelta(hours=5)), (2, draw.draw_at - timedelta(hours=1)), (3, draw.draw_at + timedelta(minutes=1))]:
        rnd = Round.objects.create(lot=lot, number=number, status="failed", starting_price=100_00, deposit=10_00, increment=1_00,
                                   starts_at=now - timedelta(days=2), ends_at=closed, scheduled_ends_at=closed, created_at=now)
        Transcript.objects.create(round=rnd, leaf_count=1, root=f"{number:02d}" * 32, leaf_hashes=[], closed_at=closed, signed_at=closed,
                                  signature="x", key_fingerprint="y")
    advance_clock(days=1, seconds=1)
    assert tick()["drawn"] == 1
    draw.refresh_from_db()
    second = Round.objects.get(lot=lot, number=2)
    assert (draw.beacon_round, draw.beacon) == (second.pk, "02" * 32)
    assert draw.seed == rules.lottery_seed(lottery.seed_inputs(draw), "02" * 32)


def test_the_judge_may_commit_the_courts_own_secret_and_reveal_it(lot, parties, institutions, start, as_user, judge, advance_clock):
    court_secret = "court-chosen-secret-42-abcdef"
    draw_at = clock.now() + timedelta(hours=6)
    v = start(lot, "appraisal", court_commitment=sha(court_secret), draw_at=draw_at.isoformat())
    assert datetime.fromisoformat(v["lottery"]["draw_at"]) == draw_at
    advance_clock(hours=6, seconds=1)
    assert tick()["drawn"] == 0  # the court's own reveal is awaited
    assert as_user(judge).post(url(v, "reveal/"), {"secret": court_secret}, format="json").status_code == 200
    assert tick()["drawn"] == 1
    draw = LotteryDraw.objects.get(valuation_id=v["id"])
    assert lottery.seed_inputs(draw) == [("court:", court_secret)]
