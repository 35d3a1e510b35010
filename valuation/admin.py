"""Django admin for operators: register valuer organisations (inquiry platforms, agencies, appraisal institutions) and
their valuer accounts. Valuations are read-only here: every state change goes through valuation.services (rules, audit)."""

from django.contrib import admin

from valuation.models import FeeAward, Inquiry, Organisation, Quote, Valuation, Valuer
from valuation.services import join_organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "provider", "active"]
    list_filter = ["kind", "provider", "active"]
    search_fields = ["code", "name"]


@admin.register(Valuer)
class ValuerAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "joined_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at"]

    def save_model(self, request, obj, form, change):
        join_organisation(obj.user, organisation_code=obj.organisation.code)  # audited, sets the valuer role


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InquiryInline(admin.TabularInline):
    model = Inquiry
    fields = ["position", "organisation", "status", "sent_at", "deadline", "extensions_granted"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Valuation)
class ValuationAdmin(ReadOnlyAdmin):
    list_display = ["id", "lot", "method", "status", "reference_price", "started_at", "valid_until"]
    list_filter = ["method", "status"]
    inlines = [InquiryInline]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["id", "inquiry", "price", "valid_until", "source", "submitted_at", "corrects"]


@admin.register(FeeAward)
class FeeAwardAdmin(ReadOnlyAdmin):
    list_display = ["valuation", "organisation", "sold_price", "awarded_at"]
