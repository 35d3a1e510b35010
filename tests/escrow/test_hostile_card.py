"""Card data is text in its exact form (issue 13, point 3): a card number or CVC sent as a JSON number,
or with whitespace around the digits, pays nothing; the registration stays pending."""

import pytest

from escrow.models import Registration
from tests.escrow.conftest import CARD


@pytest.mark.parametrize("change", [
    {"number": 4242424242424242}, {"cvc": 123}, {"number": " 4242424242424242"}, {"number": "4242424242424242\n"},
    {"cvc": "123 "}, {"number": "4242  4242 4242 4242"}, {"exp_month": "12"}, {"exp_year": 2035.0}, {"exp_month": True},
])
def test_a_card_in_the_wrong_type_or_form_pays_nothing(change, as_user, bidder, announced_round):
    client = as_user(bidder)
    reg_id = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": {**CARD, **change}}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert Registration.objects.get(pk=reg_id).status == "pending"


def test_a_grouped_card_number_still_pays(as_user, bidder, announced_round):
    client = as_user(bidder)
    reg_id = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": {**CARD, "number": "4242 4242 4242 4242"}}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "held"
