"""A29: bids, audit records and ledger entries are kept: the database refuses deletes and updates,
the admin offers neither, and a tampered audit row is named by `verify_audit`."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from auction_site import audit
from auction_site.models import AuditRecord
from bidding.models import Bid
from escrow.models import LedgerEntry, LedgerTransaction
from settlement.models import Payout, SaleDocument, Settlement

pytestmark = pytest.mark.django_db


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


def test_bid_audit_record_and_ledger_entry_cannot_be_deleted_or_updated(sold_round, paid_round):
    needs_postgres()
    bid = Bid.objects.filter(round=sold_round).first()
    rec = AuditRecord.objects.order_by("id").first()
    entry = LedgerEntry.objects.first()
    assert bid and rec and entry
    assert refused(lambda: Bid.objects.filter(pk=bid.pk).delete())
    assert refused(lambda: Bid.objects.filter(pk=bid.pk).update(amount=1))
    assert refused(lambda: bid.delete())
    assert refused(lambda: AuditRecord.objects.filter(pk=rec.pk).delete())
    assert refused(lambda: AuditRecord.objects.filter(pk=rec.pk).update(action="nothing happened"))
    assert refused(lambda: LedgerEntry.objects.filter(pk=entry.pk).delete())
    assert refused(lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=entry.amount + 1))
    assert refused(lambda: LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="x"))
    # Still there, unchanged.
    assert Bid.objects.get(pk=bid.pk).amount == bid.amount
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


def test_settlements_and_documents_cannot_be_deleted(paid_round, judge):
    needs_postgres()
    from settlement import services

    paid_round.lot.case.__class__.objects.filter(pk=paid_round.lot.case_id).update(amount_owed=paid_round.sold_price)
    services.settle_round(judge, round_id=paid_round.pk, raw_payouts=[{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": paid_round.sold_price}])
    s = Settlement.objects.get()
    assert refused(lambda: Payout.objects.filter(settlement=s).update(amount=1))
    assert refused(lambda: Payout.objects.filter(settlement=s).delete())

    def raw_delete():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM settlement_settlement WHERE id = %s", [s.pk])

    assert refused(raw_delete)
    assert refused(lambda: SaleDocument.objects.filter(round=paid_round).delete())


def test_admin_offers_no_delete_or_change_for_kept_records(django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model(is_superuser=True, is_staff=True)
    for model in (Bid, AuditRecord, LedgerEntry, LedgerTransaction, Settlement, SaleDocument):
        model_admin = admin.site._registry.get(model)
        assert model_admin is not None, f"{model.__name__} is visible (read-only) in the admin"
        assert model_admin.has_delete_permission(request) is False
        assert model_admin.has_change_permission(request) is False
        assert model_admin.has_add_permission(request) is False
        assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_the_changed_row_after_a_settlement_trail(paid_round):
    with transaction.atomic():
        for i in range(3):
            audit.record("settlement.test", object_type="lots.round", object_id=paid_round.pk, data={"i": i})
    call_command("verify_audit")
    victim = AuditRecord.objects.filter(action="ledger.posted").order_by("id").last()
    with connection.cursor() as cur:  # a superuser switching the guard off: the chain still tells
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord DISABLE TRIGGER USER")
        cur.execute("UPDATE auction_site_auditrecord SET actor = %s WHERE id = %s", ["mallory", victim.pk])
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord ENABLE TRIGGER USER")
    with pytest.raises(CommandError, match=f"#{victim.pk}"):
        call_command("verify_audit")
