"""Django admin for operators. Rounds and media are read-only here: their state changes go through
lots.services (rules, audit, live events), never through a form."""

from django.contrib import admin

from accounts.models import Court
from lots.models import CaseParty, EnforcementCase, Lot, Media, PriorityHolder, Round


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "province", "city", "contact"]
    search_fields = ["name", "code"]


class CasePartyInline(admin.TabularInline):
    model = CaseParty
    extra = 0
    fields = ["side", "name", "id_number", "user"]
    raw_id_fields = ["user"]


@admin.register(EnforcementCase)
class EnforcementCaseAdmin(admin.ModelAdmin):
    list_display = ["case_number", "court", "amount_owed", "status", "created_at"]
    list_filter = ["court", "status"]
    search_fields = ["case_number"]
    inlines = [CasePartyInline]
    readonly_fields = ["created_at"]


class PriorityHolderInline(admin.TabularInline):
    model = PriorityHolder
    extra = 0


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RoundInline(ReadOnlyInline):
    model = Round
    fields = ["number", "status", "starting_price", "deposit", "starts_at", "ends_at", "current_price", "bid_count"]
    readonly_fields = fields
    fk_name = "lot"


class MediaInline(ReadOnlyInline):
    model = Media
    fields = ["kind", "title", "content_type", "size", "status", "key"]
    readonly_fields = fields


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "city", "case", "reference_price", "created_at"]
    list_filter = ["category", "case__court"]
    search_fields = ["title", "location", "case__case_number"]
    inlines = [PriorityHolderInline, RoundInline, MediaInline]
    readonly_fields = ["created_at", "reference_price_fixed_at", "reference_price_valid_until"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "starting_price", "current_price", "starts_at", "ends_at", "seq", "bid_count"]
    list_filter = ["status", "kind", "lot__category", "lot__case__court"]
    search_fields = ["lot__title", "lot__case__case_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ["lot", "kind", "title", "content_type", "size", "status", "created_at"]
    list_filter = ["kind", "status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
