"""Admin: read-only views of records kept forever (A29: bids, audit records, ledger entries, settlements).

Nothing here offers add, change or delete. Bids and ledger entries are registered read-only here
only when their own apps have not registered them (settlement's admin loads last).
"""

from django.contrib import admin

from auction_site.models import AuditRecord
from bidding.models import Bid
from escrow.models import LedgerEntry, LedgerTransaction
from settlement.models import OutboxMessage, Payout, SaleDocument, Settlement


class ReadOnlyAdmin(admin.ModelAdmin):
    """A29: records are kept, never edited or deleted, from the admin or anywhere else."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor", "action", "object_type", "object_id", "hash"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor", "hash"]


@admin.register(SaleDocument)
class SaleDocumentAdmin(ReadOnlyAdmin):
    list_display = ["id", "round", "kind", "size", "created_at"]


class PayoutInline(admin.TabularInline):
    model = Payout
    extra = 0
    can_delete = False
    readonly_fields = ["position", "kind", "payee", "amount", "borne_by", "claim", "account"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["id", "round", "case", "available", "distributed", "created_at"]
    inlines = [PayoutInline]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "case", "attempts", "next_attempt_at", "delivered_at", "last_status", "last_error"]
    list_filter = ["kind"]


if not admin.site.is_registered(AuditRecord):
    admin.site.register(AuditRecord, AuditRecordAdmin)
for _model in (Bid, LedgerEntry, LedgerTransaction):
    if not admin.site.is_registered(_model):
        admin.site.register(_model, ReadOnlyAdmin)
