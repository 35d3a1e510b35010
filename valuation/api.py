"""Valuation API (ARCHITECTURE.md contract; docs/valuation.md). Thin: parse, call a service, return a selector's view."""

from __future__ import annotations

import hmac

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, Forbidden, NotAuthenticated, NotFound
from auction_site.fields import FenField, StrictCharField, StrictIntegerField, parse_digits
from lots.access import ensure_judge_of
from lots.models import Lot
from valuation import access, selectors, services
from valuation.models import Inquiry, Objection, Organisation, Valuation

ERROR = OpenApiResponse(description="{'error': {'code', 'message'}}")


# Response shapes (documentation of what selectors return; the views return the selectors' dicts).
class QuoteOut(serializers.Serializer):
    id = serializers.IntegerField()
    inquiry = serializers.IntegerField()
    organisation = serializers.CharField()
    organisation_name = serializers.CharField()
    price = serializers.IntegerField(help_text="fen")
    valid_until = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=["portal", "http", "builtin_avm"])
    corrects = serializers.IntegerField(allow_null=True, help_text="the quote this one corrects (B12)")
    report_url = serializers.URLField(allow_null=True)
    basis = serializers.DictField()
    used = serializers.BooleanField(help_text="counted in the reference price")
    on_time = serializers.BooleanField()


class InquiryOut(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField()
    organisation_name = serializers.CharField()
    provider = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Inquiry.Status.values)
    sent_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    extension_requested_at = serializers.DateTimeField(allow_null=True)
    extensions_granted = serializers.IntegerField()
    correction_due = serializers.DateTimeField(allow_null=True)
    correction_reason = serializers.CharField()
    excluded_reason = serializers.CharField()


class ObjectionOut(serializers.Serializer):
    id = serializers.IntegerField()
    valuation = serializers.IntegerField()
    inquiry = serializers.IntegerField(allow_null=True)
    side = serializers.CharField()
    ground = serializers.ChoiceField(choices=Objection.Ground.values)
    reason = serializers.CharField()
    filed_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Objection.Status.values)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


class ValuationOut(serializers.Serializer):
    id = serializers.IntegerField()
    lot = serializers.IntegerField()
    method = serializers.ChoiceField(choices=["negotiated", "directed", "network", "appraisal"])
    status = serializers.ChoiceField(choices=Valuation.Status.values)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    price_basis = serializers.CharField()
    reference_price = serializers.IntegerField(allow_null=True, help_text="fen")
    valid_until = serializers.DateTimeField(allow_null=True)
    fixed_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    sale_due_by = serializers.DateTimeField(allow_null=True, help_text="B30: start the sale within 10 days of fixing")
    failure_reason = serializers.CharField()
    previous = serializers.IntegerField(allow_null=True)
    next = serializers.IntegerField(allow_null=True)
    inquiries = InquiryOut(many=True)
    quotes = QuoteOut(many=True)
    offers = serializers.ListField(child=serializers.DictField())
    objections = ObjectionOut(many=True)
    lottery = serializers.DictField(allow_null=True)


class ValuerInquiryOut(InquiryOut):
    valuation = serializers.IntegerField()
    method = serializers.CharField()
    open = serializers.BooleanField()
    seconds_left = serializers.IntegerField()
    lot = serializers.DictField()
    my_quote = serializers.DictField(allow_null=True)
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}
TOKEN_HEADER = "HTTP_X_INQUIRY_TOKEN"


def _get(model, pk: int, what: str):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{what}不存在 / no such {model.__name__.lower()}")
    return obj


class StartSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["negotiated", "directed", "network", "appraisal"])
    deadline = serializers.DateTimeField(required=False, help_text="negotiated/directed: the judge's deadline")
    agency = StrictCharField(required=False, max_length=40, help_text="directed: the agency's organisation code")
    price_basis = serializers.ChoiceField(choices=["tax_base", "government"], required=False)
    institutions = serializers.ListField(child=StrictCharField(max_length=40), required=False, max_length=3,
                                         help_text="appraisal: three institution codes agreed by the parties, in order; omit for a lottery")
    fallback_agency = StrictCharField(required=False, max_length=40)
    fallback_basis = serializers.ChoiceField(choices=["tax_base", "government"], required=False)
    draw_at = serializers.DateTimeField(required=False, help_text="appraisal by lottery: the draw time (B16; default one day on)")
    court_commitment = StrictCharField(required=False, min_length=64, max_length=64,
                                       help_text="appraisal by lottery: SHA-256 hex of the court's secret (B16; default: made and held by the platform)")


class LotValuationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: inline_serializer("ValuationList", {"results": ValuationOut(many=True)}), **ERRORS}, summary="Valuations of a lot (judge, parties)")
    def get(self, request: Request, pk: int) -> Response:
        lot = _get(Lot, pk, "标的")
        items = [v for v in selectors.valuations_of_lot(lot)]
        if items:
            access.ensure_can_view(request.user, items[0])
        else:
            ensure_judge_of(request.user, lot)
        return Response({"results": [selectors.valuation_dict(v, viewer=request.user) for v in items]})

    @extend_schema(request=StartSerializer, responses={201: ValuationOut, **ERRORS}, summary="Start a valuation (judge)")
    def post(self, request: Request, pk: int) -> Response:
        lot = _get(Lot, pk, "标的")
        ensure_judge_of(request.user, lot)
        ser = StartSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        v = services.start_valuation(request.user, lot=lot, method=d["method"], deadline=d.get("deadline"), agency=d.get("agency"), price_basis=d.get("price_basis", ""), institutions=d.get("institutions"), fallback_agency=d.get("fallback_agency"), fallback_basis=d.get("fallback_basis", ""),
                                     draw_at=d.get("draw_at"), court_commitment=d.get("court_commitment"))
        return Response(selectors.valuation_dict(v), status=201)


class ValuationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ValuationOut, **ERRORS}, summary="A valuation: status, quotes, reference_price (judge, parties)")
    def get(self, request: Request, pk: int) -> Response:
        v = _get(Valuation, pk, "估价")
        access.ensure_can_view(request.user, v)
        return Response(selectors.valuation_dict(v, viewer=request.user))


class OfferSerializer(serializers.Serializer):
    price = FenField()


class OfferView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=OfferSerializer, responses={201: ValuationOut, **ERRORS}, summary="A party's negotiated price (B4)")
    def post(self, request: Request, pk: int) -> Response:
        v = _get(Valuation, pk, "估价")
        ser = OfferSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.submit_offer(request.user, valuation=v, price=ser.validated_data["price"])
        v.refresh_from_db()
        return Response(selectors.valuation_dict(v, viewer=request.user), status=201)


class ObjectionSerializer(serializers.Serializer):
    ground = serializers.ChoiceField(choices=Objection.Ground.values)
    reason = StrictCharField(max_length=4000)
    inquiry = StrictIntegerField(required=False, min_value=1, help_text="network: the platform result objected to")


class ObjectionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ObjectionSerializer, responses={201: ObjectionOut, **ERRORS}, summary="Object to a result (B22, B24)")
    def post(self, request: Request, pk: int) -> Response:
        v = _get(Valuation, pk, "估价")
        access.ensure_party(request.user, v)
        ser = ObjectionSerializer(data=request.data)
        if not ser.is_valid():
            if "ground" in ser.errors:
                raise DomainError(ErrorCode.OBJECTION_GROUND_INVALID, "[B22] 异议理由只能是：wrong_facts, out_of_scope, unqualified, unlawful_procedure",
                                  field="ground")
            ser.is_valid(raise_exception=True)
        d = ser.validated_data
        inquiry = Inquiry.objects.filter(pk=d["inquiry"], valuation=v).first() if d.get("inquiry") else None
        o = services.file_objection(request.user, valuation=v, ground=d["ground"], reason=d["reason"], inquiry=inquiry)
        return Response(selectors.objection_dict(o), status=201)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["upheld", "dismissed"])
    note = StrictCharField(required=False, allow_blank=True, max_length=4000)


class ObjectionDecideView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DecideSerializer, responses={200: ObjectionOut, **ERRORS}, summary="The judge decides an objection")
    def post(self, request: Request, pk: int) -> Response:
        o = _get(Objection, pk, "异议")
        ser = DecideSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        o = services.decide_objection(request.user, objection=o, upheld=ser.validated_data["decision"] == "upheld", note=ser.validated_data.get("note", ""))
        return Response(selectors.objection_dict(o))


class CorrectionSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class CorrectionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CorrectionSerializer, responses={200: InquiryOut, **ERRORS}, summary="Ask a platform to correct its result (B12)")
    def post(self, request: Request, pk: int) -> Response:
        inquiry = _get(Inquiry, pk, "询价")
        ser = CorrectionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        inquiry = services.request_correction(request.user, inquiry=inquiry, reason=ser.validated_data["reason"])
        return Response(selectors.inquiry_dict(inquiry))


class LotteryReplayView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: None, **ERRORS}, summary="The lottery's public inputs and its replay from them (B16; public)")
    def get(self, request: Request, pk: int) -> Response:
        return Response(services.replay_lottery(_get(Valuation, pk, "估价")))


# ------------------------------------------------------------------------------------------ valuer portal


class ValuerInquiriesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: inline_serializer("ValuerInbox", {"organisation": serializers.DictField(), "results": ValuerInquiryOut(many=True)}), **ERRORS}, summary="The valuer's inquiries (open first)")
    def get(self, request: Request) -> Response:
        org = access.valuer_organisation(request.user)
        items = [selectors.valuer_inquiry_dict(i) for i in selectors.valuer_inquiries(org)]
        items.sort(key=lambda i: (not i["open"], i["seconds_left"]))
        if request.query_params.get("open") in {"1", "true"}:
            items = [i for i in items if i["open"]]
        return Response({"organisation": {"code": org.code, "name": org.name, "kind": org.kind}, "results": items})


class ValuerInquiryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ValuerInquiryOut, **ERRORS}, summary="One inquiry with the lot facts")
    def get(self, request: Request, pk: int) -> Response:
        inquiry = _get(Inquiry, pk, "询价")
        access.ensure_valuer_of(request.user, inquiry)
        return Response(selectors.valuer_inquiry_dict(inquiry))


def _price_from(request: Request) -> int:
    """JSON: an integer only (FenField). Multipart forms carry text: digits only, no sign, no decimal point."""
    raw = request.data.get("price")
    if isinstance(request.data, dict) and not hasattr(request.data, "getlist"):
        try:
            return FenField().to_internal_value(raw)
        except serializers.ValidationError as exc:
            raise DomainError(ErrorCode.INVALID_PRICE, f"price: {exc.detail[0]}", field="price")
    try:
        value = parse_digits(raw, positive=True) if isinstance(raw, str) else None  # the whole text: no "\n", no spaces
    except ValueError:
        value = None
    if value is None:
        raise DomainError(ErrorCode.INVALID_PRICE, "price 须为以分为单位的正整数 / price must be a positive integer of fen", field="price")
    return value


def _body(request: Request):
    if not hasattr(request.data, "get"):
        raise DomainError(ErrorCode.MALFORMED, "请求体须为 JSON 对象或表单 / the body must be a JSON object or a form")
    return request.data


def _inquiry_caller(request: Request, inquiry: Inquiry) -> tuple[object | None, bool]:
    """(actor, via_token): a valuer account, or an HTTP provider calling back with the inquiry's token."""
    token = request.META.get(TOKEN_HEADER)
    if token:
        if inquiry.organisation.provider != Organisation.Provider.HTTP or not hmac.compare_digest(token, inquiry.token):
            raise Forbidden("询价令牌无效 / invalid inquiry token", code=ErrorCode.BAD_TOKEN)
        return None, True
    if not request.user.is_authenticated:
        raise NotAuthenticated("请登录 / log in")
    access.ensure_valuer_of(request.user, inquiry)
    return request.user, False


class QuoteView(APIView):
    permission_classes = [AllowAny]  # a valuer account, or an HTTP provider with X-Inquiry-Token

    @extend_schema(
        request=inline_serializer("QuoteRequest", {"price": serializers.IntegerField(), "valid_until": serializers.DateTimeField(),
                                                   "report": serializers.FileField(required=False), "report_key": serializers.CharField(required=False)}),
        responses={201: QuoteOut, **ERRORS}, summary="Answer (or correct) an inquiry: price in fen, validity, PDF report")
    def post(self, request: Request, pk: int) -> Response:
        inquiry = _get(Inquiry, pk, "询价")
        actor, via_token = _inquiry_caller(request, inquiry)
        _body(request)
        price = _price_from(request)
        valid = serializers.DateTimeField().run_validation(request.data.get("valid_until"))
        upload = request.FILES.get("report")
        report_key = request.data.get("report_key") or ""
        if not isinstance(report_key, str):
            raise DomainError(ErrorCode.REPORT_KEY_INVALID, "report_key 须为字符串 / report_key must be a string", field="report")
        stored = None
        if upload is not None:
            stored, _ = services.store_report(None, inquiry=inquiry, uploaded=upload)
            report_key = stored
        try:
            quote = services.submit_quote(actor, inquiry=inquiry, price=price, valid_until=valid, report_key=report_key, via_token=via_token)
        except Exception:
            if stored:  # nothing changed: drop the file we stored for a refused quote
                transaction.on_commit(lambda: services.discard_report(stored))
            raise
        return Response(selectors.quote_dict(quote), status=201)


class ReportUploadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=inline_serializer("ReportUpload", {"report": serializers.FileField()}), responses={201: None, **ERRORS},
                   summary="Upload a PDF report for an inquiry -> report_key")
    def post(self, request: Request, pk: int) -> Response:
        inquiry = _get(Inquiry, pk, "询价")
        access.ensure_valuer_of(request.user, inquiry)
        upload = request.FILES.get("report")
        if upload is None:
            raise DomainError(ErrorCode.REPORT_REQUIRED, "须上传 PDF 报告 / upload a PDF report", field="report")
        key, size = services.store_report(request.user, inquiry=inquiry, uploaded=upload)
        return Response({"report_key": key, "size": size}, status=201)


class ExtensionSerializer(serializers.Serializer):
    days = StrictIntegerField(required=False, min_value=1, max_value=365)


class ExtensionView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=ExtensionSerializer, responses={200: InquiryOut, **ERRORS}, summary="Ask for an extension (B11 network, B19 appraisal)")
    def post(self, request: Request, pk: int) -> Response:
        inquiry = _get(Inquiry, pk, "询价")
        actor, via_token = _inquiry_caller(request, inquiry)
        raw = _body(request).get("days")
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
            raise DomainError(ErrorCode.INVALID_DAYS, "days 须为整数 / days must be an integer", field="days")
        inquiry = services.request_extension(actor, inquiry=inquiry, days=raw, via_token=via_token)
        return Response(selectors.inquiry_dict(inquiry))
