"""What valuers see through the API, and the audit trail every valuation step leaves."""

from auction_site.audit import verify_chains
from auction_site.models import AuditRecord
from tests.valuation.conftest import inquiry_of


def test_valuer_sees_only_its_own_organisations_inquiries(lot, platforms, start, as_user, bidder):
    v = start(lot, "network")
    org, user = platforms[0]
    body = as_user(user).get("/api/v1/valuer/inquiries/").json()
    assert body["organisation"]["code"] == "P1"
    assert [i["id"] for i in body["results"]] == [inquiry_of(v, "P1")]
    item = body["results"][0]
    assert item["open"] is True and 0 < item["seconds_left"] <= 3 * 86400 and item["lot"]["title"] == lot.title
    assert as_user(user).get(f"/api/v1/valuer/inquiries/{inquiry_of(v, 'P2')}/").status_code == 403
    assert as_user(bidder).get("/api/v1/valuer/inquiries/").status_code == 403


def test_every_step_is_audited_in_the_chain(lot, platforms, parties, start, quote, as_user, judge):
    v = start(lot, "network")
    for (org, user), price in zip(platforms, [100_00, 200_00, 300_00]):
        quote(user, inquiry_of(v, org.code), price)
    r = as_user(parties[0]).post(f"/api/v1/valuations/{v['id']}/objections/",
                                 {"ground": "wrong_facts", "reason": "错误", "inquiry": inquiry_of(v, "P1")}, format="json")
    as_user(judge).post(f"/api/v1/objections/{r.json()['id']}/decide/", {"decision": "upheld"}, format="json")
    actions = list(AuditRecord.objects.filter(action__startswith="valuation.").values_list("action", flat=True))
    for expected in ["valuation.started", "valuation.inquiry_sent", "valuation.quote_submitted", "valuation.concluded",
                     "valuation.delivered", "valuation.objection_filed", "valuation.objection_decided", "valuation.result_excluded",
                     "valuation.recomputed"]:
        assert expected in actions, expected
    assert actions.count("valuation.inquiry_sent") == 3 and actions.count("valuation.quote_submitted") == 3
    assert AuditRecord.objects.filter(action="lot.reference_price_set").count() == 2  # 200.00, then 250.00 without P1
    assert verify_chains() is None
