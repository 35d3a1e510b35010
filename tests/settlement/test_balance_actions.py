"""The court's round page after a sale: tax rows prefilled by who pays the transfer taxes (A13), the balance
chase (催缴, A25) and the default (悔拍, A24) declared by the judge."""

import pytest

from auction_site.models import AuditRecord
from escrow.models import Registration
from notifications.models import Notification
from settlement import rules

pytestmark = pytest.mark.django_db


def test_tax_rows_follow_who_pays_the_transfer_taxes():
    assert rules.tax_rows_for("each") == ["seller"]
    assert rules.tax_rows_for("seller") == ["seller", "buyer"]
    assert rules.tax_rows_for("buyer") == []


def test_settlement_form_starts_with_the_tax_rows_of_the_announcement(paid_round, client, judge):
    client.force_login(judge)
    url = f"/court/rounds/{paid_round.pk}/settlement/"
    assert client.get(url).content.decode().count('<option value="tax" selected>') == 1  # "each": the seller's only
    paid_round.lot.transfer_tax_payer = "buyer"
    paid_round.lot.save()
    assert client.get(url).content.decode().count('<option value="tax" selected>') == 0


def test_judge_chases_the_balance_then_declares_the_default_once_overdue(sold_round, client, judge, other_judge, advance_clock):
    url = f"/court/rounds/{sold_round.pk}/balance/"
    client.force_login(other_judge)
    assert client.post(url + "chase/").status_code == 403
    client.force_login(judge)
    page = client.get(f"/court/rounds/{sold_round.pk}/settlement/").content.decode()
    assert 'id="balance-actions"' in page and "认定悔拍" not in page  # not overdue yet
    buyer = Registration.objects.get(pk=sold_round.leader_id).bidder
    r = client.post(url + "chase/", follow=True)
    assert "已向买受人催缴尾款" in r.content.decode()
    client.post(url + "chase/")  # a second chase is told again
    assert AuditRecord.objects.filter(action="balance.chased").count() == 2
    told = Notification.objects.filter(user=buyer, kind="balance_due")  # inbox and e-mail (the notifications outbox)
    assert told.count() == 2 and "¥" in told.first().body
    r = client.post(url + "default/", follow=True)
    assert "尾款期限未届满" in r.content.decode() and "the balance is not overdue" not in r.content.decode()
    sold_round.refresh_from_db()
    assert sold_round.status == "sold"
    advance_clock(days=11)
    assert "认定悔拍" in client.get(f"/court/rounds/{sold_round.pk}/settlement/").content.decode()
    client.post(url + "default/")
    sold_round.refresh_from_db()
    assert sold_round.status == "defaulted"
    assert Registration.objects.get(pk=sold_round.leader_id).status == Registration.Status.FORFEITED
