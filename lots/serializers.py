"""Serializers of the lots API. Money is integer fen (FenField: floats and strings refused).

Inputs: CaseCreateSerializer, LotWriteSerializer, RoundCreateSerializer, ReasonSerializer, MediaRequestSerializer,
CatalogueQuerySerializer. Outputs: CaseSerializer, LotSerializer (judge), LotPublicSerializer, RoundSerializer
(catalogue row and live state), RoundDetailSerializer, MediaSerializer. Bidder identities never appear: the
leader is shown by bidder code only (A18).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from accounts.rules import identity_kind
from auction_site.fields import (
    DigitsField,
    FenField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictRegexField,
    WholeItemsField,
)
from lots import media as media_storage
from lots.models import Category, EnforcementCase, Lot, Media, PriorityHolder, Round, Subtype
from lots.selectors import CATALOGUE_SORTS, ROUND_KINDS

MAX_TEXT = 20_000
# An ID number as typed: 18 characters, digits and capital letters (GB 11643 / GB 32100), nothing around them.
ID_NUMBER_FORM = r"^[0-9A-Za-z]{18}$"


class FenFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: money fields (auction_site.fields.FenField) are integers of fen, for every app's serializers."""

    target_class = "auction_site.fields.FenField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "format": "int64", "description": "分 / fen (integer; floats and strings refused)"}


# ----------------------------------------------------------------------------------------------- cases


class CaseCreateSerializer(serializers.Serializer):
    case_number = StrictCharField(max_length=64)
    applicants = serializers.ListField(child=StrictCharField(max_length=200), min_length=1, max_length=100)
    respondents = serializers.ListField(child=StrictCharField(max_length=200), min_length=1, max_length=100)
    amount_owed = FenField(allow_zero=True)


class CaseSerializer(serializers.ModelSerializer):
    court = serializers.CharField(source="court.code", read_only=True)
    court_name = serializers.CharField(source="court.name", read_only=True)
    account = serializers.SerializerMethodField()

    class Meta:
        model = EnforcementCase
        fields = ["id", "case_number", "court", "court_name", "applicants", "respondents", "amount_owed", "status", "created_at", "account"]

    def get_account(self, case) -> str:
        return f"case:{case.pk}"


# ------------------------------------------------------------------------------------------------ lots


class PriorityHolderSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    id_number = StrictRegexField(ID_NUMBER_FORM, max_length=18)
    rank = StrictIntegerField(min_value=1, max_value=99, default=1)
    basis = StrictCharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_id_number(self, value: str) -> str:
        value = value.strip().upper()
        if identity_kind(value) is None:
            raise serializers.ValidationError("证件号码校验失败 / not a valid ID number (GB 11643) or credit code (GB 32100)")
        return value


class PriorityHolderOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityHolder
        fields = ["name", "id_number", "rank", "basis"]


class LotWriteSerializer(serializers.Serializer):
    case = StrictPrimaryKeyRelatedField(queryset=EnforcementCase.objects.select_related("court"))
    title = StrictCharField(max_length=300)
    category = serializers.ChoiceField(choices=Category.choices)
    description = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    location = StrictCharField(max_length=300, required=False, allow_blank=True)
    city = StrictCharField(max_length=50, required=False, allow_blank=True)
    province = StrictCharField(max_length=20, required=False, allow_blank=True)
    district = StrictCharField(max_length=50, required=False, allow_blank=True)
    subtype = serializers.ChoiceField(choices=Subtype.choices, required=False, allow_blank=True)
    size = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True)
    size_unit = StrictCharField(max_length=16, required=False, allow_blank=True)
    year_built = StrictIntegerField(min_value=1800, max_value=2100, required=False, allow_null=True)
    defects_and_encumbrances = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    occupancy = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    title_status = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    judgment_enforced = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    transfer_tax_payer = serializers.ChoiceField(choices=Lot.TaxPayer.choices, required=False)
    # Each holder validated whole, on PATCH as on POST (a name alone is refused, never stored with rank 1).
    priority_holders = WholeItemsField(child=PriorityHolderSerializer(), required=False, max_length=50)
    reference_price = FenField(required=False, allow_null=True)
    reference_price_source = StrictCharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        if self.partial and "case" in attrs:
            raise serializers.ValidationError({"case": "不能更改标的所属案件 / a lot cannot move to another case"})
        return attrs


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Media
        fields = ["id", "kind", "title", "content_type", "size", "status", "position", "created_at", "url"]

    def get_url(self, item) -> str | None:
        if item.status != Media.Status.READY:
            return None
        return media_storage.url_for(item)


class RoundBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ["id", "number", "kind", "status", "starting_price", "starts_at", "ends_at", "published_at"]


class LotSerializer(serializers.ModelSerializer):
    """The judge's view of a lot (drafts included)."""

    court = serializers.CharField(source="case.court.code", read_only=True)
    case_number = serializers.CharField(source="case.case_number", read_only=True)
    priority_holders = PriorityHolderOutSerializer(many=True, read_only=True)
    rounds = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = ["id", "case", "case_number", "court", "title", "category", "description", "location", "city", "size", "size_unit",
                  "year_built", "defects_and_encumbrances", "occupancy", "title_status", "judgment_enforced", "transfer_tax_payer",
                  "reference_price", "reference_price_source", "reference_price_fixed_at", "reference_price_valid_until",
                  "priority_holders", "rounds", "media", "created_at", "province", "district", "subtype"]

    def get_rounds(self, lot) -> list[dict]:
        return RoundBriefSerializer(lot.rounds.order_by("number"), many=True).data

    def get_media(self, lot) -> list[dict]:
        return MediaSerializer(lot.media.order_by("position", "id"), many=True).data


class LotPublicSerializer(serializers.ModelSerializer):
    """What the announcement publishes about a lot (A13–14); priority holders by name and rank only."""

    court = serializers.CharField(source="case.court.code", read_only=True)
    court_name = serializers.CharField(source="case.court.name", read_only=True)
    court_contact = serializers.CharField(source="case.court.contact", read_only=True)
    case_number = serializers.CharField(source="case.case_number", read_only=True)
    priority_holders = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = ["id", "case_number", "court", "court_name", "court_contact", "title", "category", "description", "location", "city",
                  "size", "size_unit", "year_built", "defects_and_encumbrances", "occupancy", "title_status", "judgment_enforced",
                  "transfer_tax_payer", "reference_price", "reference_price_source", "priority_holders", "media", "province", "district",
                  "subtype"]

    def get_priority_holders(self, lot) -> list[dict]:
        return [{"name": h.name, "rank": h.rank} for h in lot.priority_holders.all()]

    def get_media(self, lot) -> list[dict]:
        return MediaSerializer(lot.media.filter(status=Media.Status.READY).order_by("position", "id"), many=True).data


class LotSummarySerializer(serializers.ModelSerializer):
    court = serializers.CharField(source="case.court.code", read_only=True)
    court_name = serializers.CharField(source="case.court.name", read_only=True)
    case_number = serializers.CharField(source="case.case_number", read_only=True)
    cover_url = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = ["id", "title", "category", "location", "city", "size", "size_unit", "court", "court_name", "case_number",
                  "reference_price", "cover_url", "province", "district", "subtype"]

    def get_cover_url(self, lot) -> str | None:
        photos = [m for m in lot.media.all() if m.status == Media.Status.READY and m.kind == Media.Kind.PHOTO]
        return media_storage.url_for(photos[0]) if photos else None


# ---------------------------------------------------------------------------------------------- rounds


class RoundCreateSerializer(serializers.Serializer):
    starting_price = FenField()
    deposit = FenField()
    increment = FenField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    announcement = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    balance_due_days = StrictIntegerField(min_value=1, max_value=90, required=False, default=10)
    proxy_bidding_enabled = StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "结束时间须晚于开始时间 / ends_at must be after starts_at"})
        return attrs


class RoundUpdateSerializer(RoundCreateSerializer):
    """PATCH of a draft round: any of the creation fields."""

    def validate(self, attrs):
        if "starts_at" in attrs and "ends_at" in attrs and attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "结束时间须晚于开始时间 / ends_at must be after starts_at"})
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RoundSerializer(serializers.ModelSerializer):
    """Catalogue row and live state; the leader appears by bidder code only (A18)."""

    leader_code = serializers.SerializerMethodField()
    lot = LotSummarySerializer(read_only=True)

    class Meta:
        model = Round
        fields = ["id", "number", "kind", "status", "current_price", "starting_price", "deposit", "increment", "starts_at", "ends_at",
                  "scheduled_ends_at", "seq", "bid_count", "leader_code", "published_at", "status_reason", "lot", "discount"]
        extra_kwargs = {"discount": {"help_text": "starting price as a whole percentage of the reference price, rounded half up "
                                                  "(70 = 7折); null without a reference price"}}

    def get_leader_code(self, rnd) -> str | None:
        return rnd.leader_code or None


class RoundDetailSerializer(RoundSerializer):
    lot = LotPublicSerializer(read_only=True)
    publishable_from = serializers.DateTimeField(read_only=True, allow_null=True, help_text="A16: parties_notified_at + 3 days")
    resume_due_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                              help_text="A28: suspension_cause_ended_at + 5 days, while suspended")

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "announcement", "balance_due_days", "proxy_bidding_enabled", "closed_at", "sold_price",
                  "parties_notified_at", "publishable_from", "suspended_at", "suspension_cause_ended_at", "resume_due_at"]


# ----------------------------------------------------------------------------------------------- media


class MediaRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Media.Kind.choices)
    filename = StrictCharField(max_length=200)
    content_type = StrictCharField(max_length=100)
    size = StrictIntegerField(min_value=1)
    title = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class UploadTargetSerializer(serializers.Serializer):
    url = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField())
    method = serializers.CharField()


class MediaUploadResponseSerializer(serializers.Serializer):
    media = MediaSerializer()
    upload = UploadTargetSerializer()


# ------------------------------------------------------------------------------------------- catalogue


class CatalogueQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.CharField(required=False, allow_blank=True, max_length=200)
    court = serializers.CharField(required=False, allow_blank=True, max_length=50)
    min_price = DigitsField(required=False, min_value=0)
    max_price = DigitsField(required=False, min_value=0)
    sort = serializers.ChoiceField(choices=list(CATALOGUE_SORTS), required=False, default="ends_at")
    province = serializers.CharField(required=False, allow_blank=True, max_length=20)
    city = serializers.CharField(required=False, allow_blank=True, max_length=50)
    district = serializers.CharField(required=False, allow_blank=True, max_length=50)
    subtype = serializers.CharField(required=False, allow_blank=True, max_length=300)
    round = serializers.CharField(required=False, allow_blank=True, max_length=50)
    min_discount = DigitsField(required=False, min_value=0, max_value=9999)
    max_discount = DigitsField(required=False, min_value=0, max_value=9999)

    def _split_checked(self, value: str, allowed: list[str], name: str) -> list[str]:
        items = [v.strip() for v in (value or "").split(",") if v.strip()]
        bad = [v for v in items if v not in allowed]
        if bad:
            raise serializers.ValidationError(f"未知{name} / unknown value(s): {', '.join(bad)}")
        return items

    def validate_category(self, value: str) -> list[str]:
        return self._split_checked(value, Category.values, "类别")

    def validate_status(self, value: str) -> list[str]:
        return self._split_checked(value, [s for s in Round.Status.values if s != Round.Status.DRAFT], "状态")

    def validate_subtype(self, value: str) -> list[str]:
        return self._split_checked(value, Subtype.values, "标的类型")

    def validate_round(self, value: str) -> list[str]:
        return self._split_checked(value, list(ROUND_KINDS), "拍次")


def media_limits() -> dict[str, dict]:
    return {kind: {"types": sorted(types), "max_bytes": settings.MEDIA_MAX_BYTES[kind]} for kind, types in media_storage.ALLOWED_TYPES.items()}
