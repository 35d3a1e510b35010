"""The demo data: organisations, valuer accounts and valuations in different states, on PostgreSQL."""

from django.contrib.auth import authenticate

from auction_site import clock


def test_demo_loads_with_valuations_in_every_state(db):
    from avm import demo as avm_demo
    from lots import demo as lots_demo
    from valuation import demo
    from valuation.models import FeeAward, Organisation, Valuation

    lots_demo.load()
    avm_demo.load()
    demo.load()
    kinds = list(Organisation.objects.values_list("kind", "provider"))
    assert kinds.count(("inquiry_platform", "portal")) == 2 and ("inquiry_platform", "builtin_avm") in kinds
    assert kinds.count(("appraisal_institution", "portal")) >= 4 and ("agency", "portal") in kinds
    for username in ["valuer_platform1", "valuer_platform2", "valuer_agency", "valuer_appraiser1"]:
        user = authenticate(username=username, password="demo-pass-2024")
        assert user is not None and user.valuer.organisation
    states = set(Valuation.objects.values_list("method", "status"))
    assert {("network", "concluded"), ("network", "open"), ("network", "failed"), ("appraisal", "open")} <= states
    open_network = Valuation.objects.get(method="network", status="open")
    assert open_network.inquiries.filter(organisation__code="NP-JIA", status="pending").exists()
    assert FeeAward.objects.count() == 1
    for v in Valuation.objects.filter(status="concluded"):
        assert v.lot.reference_price == v.reference_price
    # one story per lot (issue 17): every reference price is a concluded valuation's, by the method its source names
    from lots.models import Lot
    from settlement.selectors import dashboard
    from valuation import selectors

    for lot in Lot.objects.all():
        ref = selectors.reference_of(lot)
        assert not ref.entered, lot.title
        if ref.valuation is not None:
            assert lot.reference_price_source.startswith(ref.valuation.get_method_display())
    assert Lot.objects.filter(title__contains="临沪大道", reference_price__isnull=True).exists()  # still being valued
    now = clock.now()
    per_org = sum(selectors.overdue_inquiries(now, organisation=o).count() for o in Organisation.objects.all())
    assert dashboard(None, now).overdue_inquiries == per_org == 3  # the agency's directed inquiry, two platforms on the excavator
    # 17.4: the demo parties, linked by the judge, have a negotiation to answer: the applicant's offer awaits the debtor.
    from django.test import Client

    negotiation = Valuation.objects.get(method="negotiated", status="open")
    assert [(o.party.side, o.party.user.username) for o in negotiation.offers.all()] == [("applicant", "party_applicant")]
    debtor = authenticate(username="party_debtor", password="demo-pass-2024")
    client = Client()
    client.force_login(debtor)
    page = client.get("/party/").content.decode()
    assert "接受对方报价 ¥98,000.00" in page and f"/party/cases/{negotiation.lot.case_id}/" in page
    assert client.get(f"/party/cases/{negotiation.lot.case_id}/").status_code == 200
