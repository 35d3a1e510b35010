"""Thin API views of the lots app (contract: /work/shared/ARCHITECTURE.md, Public contract).

Judges act on their own court only; the public reads the catalogue. Every write goes through lots.services.
"""

from __future__ import annotations

import logging

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from auction_site.errors import ErrorCode, NotFound, error_body
from auction_site.replica import reads_may_lag
from lots import media as media_storage
from lots import selectors, services
from lots.access import ensure_judge_of, is_judge_of
from lots.models import EnforcementCase, Lot, Media, Round, Subtype
from lots.permissions import IsJudge, IsJudgeOrReadOnly
from lots.serializers import (
    CaseCreateSerializer,
    CaseSerializer,
    CatalogueQuerySerializer,
    LotPublicSerializer,
    LotSerializer,
    LotWriteSerializer,
    MediaRequestSerializer,
    MediaSerializer,
    MediaUploadResponseSerializer,
    ReasonSerializer,
    RoundBriefSerializer,
    RoundCreateSerializer,
    RoundDetailSerializer,
    RoundSerializer,
    RoundUpdateSerializer,
)

logger = logging.getLogger("lots.api")

ERROR = OpenApiResponse(
    response=inline_serializer("Error", {"error": inline_serializer("ErrorBody", {"code": serializers.CharField(), "message": serializers.CharField()})}),
    description="{'error': {'code', 'message', 'details'?}}",
)
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}


class CataloguePagination(PageNumberPagination):
    """DRF's page-number shape {count, next, previous, results} plus `count_is_estimate` (additive): the count
    is exact up to 1,000 rows and the planner's estimate above (lots.selectors_catalogue.catalogue_page)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def page_of(self, rounds, request: Request) -> selectors.CataloguePage:
        self.request = request
        self.catalogue = selectors.catalogue_page(rounds, request.query_params.get(self.page_query_param), self.get_page_size(request),
                                                  prefetch=("lot__media",))
        return self.catalogue

    def get_next_link(self):
        if not self.catalogue.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.catalogue.next_page_number)

    def get_previous_link(self):
        if not self.catalogue.has_previous:
            return None
        url = self.request.build_absolute_uri()
        if self.catalogue.previous_page_number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.catalogue.previous_page_number)

    def get_paginated_response(self, data):
        return Response({"count": self.catalogue.count, "count_is_estimate": self.catalogue.count_is_estimate,
                         "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count_is_estimate"] = {"type": "boolean", "description": "count is the planner's estimate (over 1,000 rows)"}
        return shape


class LotsAPIView(APIView):
    """Base view: a refused publication answers 400 with every violation in error.details."""

    def handle_exception(self, exc):
        if isinstance(exc, services.RulesViolated):
            logger.info("refused %s %s: %s", self.request.method, self.request.path, exc.message)
            return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
        return super().handle_exception(exc)


# ----------------------------------------------------------------------------------------------- cases


class CaseListView(LotsAPIView):
    permission_classes = [IsJudge]

    @extend_schema(responses={200: CaseSerializer(many=True), **ERRORS}, summary="Cases of the judge's court")
    def get(self, request: Request) -> Response:
        return Response(CaseSerializer(selectors.judge_cases(request.user)[:500], many=True).data)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer, **ERRORS}, summary="Mirror an enforcement case (judge)")
    def post(self, request: Request) -> Response:
        ser = CaseCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = services.create_case(request.user, **ser.validated_data)
        return Response(CaseSerializer(case).data, status=201)


class CaseDetailView(LotsAPIView):
    permission_classes = [IsJudge]

    @extend_schema(responses={200: CaseSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        case = get_object_or_404(EnforcementCase.objects.select_related("court"), pk=pk)
        ensure_judge_of(request.user, case)
        return Response(CaseSerializer(case).data)


# ------------------------------------------------------------------------------------------------ lots


class LotListView(LotsAPIView):
    permission_classes = [IsJudge]

    @extend_schema(responses={200: LotSerializer(many=True), **ERRORS}, summary="Lots of the judge's court")
    def get(self, request: Request) -> Response:
        return Response(LotSerializer(selectors.judge_lots(request.user)[:500], many=True).data)

    @extend_schema(request=LotWriteSerializer, responses={201: LotSerializer, **ERRORS}, summary="Create a draft lot (judge)")
    def post(self, request: Request) -> Response:
        ser = LotWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        case = data.pop("case")
        lot = services.create_lot(request.user, case=case, **data)
        return Response(LotSerializer(lot).data, status=201)


class LotDetailView(LotsAPIView):
    permission_classes = [IsJudgeOrReadOnly]

    def _lot(self, pk: int) -> Lot:
        return get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=pk)

    @extend_schema(responses={200: PolymorphicProxySerializer(component_name="LotView", serializers=[LotSerializer, LotPublicSerializer],
                                                              resource_type_field_name=None),
                              **ERRORS}, summary="A lot: full for its court's judges (Lot), published particulars for others (LotPublic)")
    def get(self, request: Request, pk: int) -> Response:
        lot = self._lot(pk)
        if is_judge_of(request.user, lot):
            return Response(LotSerializer(lot).data)
        if not selectors.is_published(lot):
            raise NotFound("标的不存在 / no such lot")
        return Response(LotPublicSerializer(lot).data)

    @extend_schema(request=LotWriteSerializer, responses={200: LotSerializer, **ERRORS}, summary="Change a lot while no round is published")
    def patch(self, request: Request, pk: int) -> Response:
        lot = self._lot(pk)
        ensure_judge_of(request.user, lot)
        ser = LotWriteSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        lot = services.update_lot(request.user, lot=lot, **ser.validated_data)
        return Response(LotSerializer(lot).data)


class LotRoundsView(LotsAPIView):
    permission_classes = [IsJudgeOrReadOnly]

    @extend_schema(responses={200: RoundBriefSerializer(many=True), **ERRORS}, summary="Rounds of a lot")
    def get(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case"), pk=pk)
        rounds = selectors.lot_rounds(lot)
        if not is_judge_of(request.user, lot):
            rounds = rounds.exclude(status=Round.Status.DRAFT)
            if not rounds.exists():
                raise NotFound("标的不存在 / no such lot")
        return Response(RoundBriefSerializer(rounds, many=True).data)

    @extend_schema(request=RoundCreateSerializer, responses={201: RoundDetailSerializer, **ERRORS},
                   summary="Create a draft round (A10, A17, A20, A26 checked)")
    def post(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=pk)
        ensure_judge_of(request.user, lot)
        ser = RoundCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rnd = services.create_round(request.user, lot=lot, **ser.validated_data)
        return Response(RoundDetailSerializer(rnd).data, status=201)


# ---------------------------------------------------------------------------------------------- rounds


class RoundCatalogueView(LotsAPIView):
    permission_classes = [AllowAny]
    pagination_class = CataloguePagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="words matched in title, case number, location, city; a word also finds its synonyms "
                             "(汽车: 轿车, 货车; 房产: 住宅, 商铺)"),
            OpenApiParameter("category", str, description="comma-separated: real_estate, vehicle, equity, movable, other"),
            OpenApiParameter("status", str, description="comma-separated round statuses (drafts are never listed)"),
            OpenApiParameter("court", str, description="court id or code (e.g. 苏05)"),
            OpenApiParameter("min_price", int, description="fen; current price, else starting price"),
            OpenApiParameter("max_price", int, description="fen"),
            OpenApiParameter("province", str, description="the lot's province, short name as courts have it (江苏; 江苏省 is the same)"),
            OpenApiParameter("city", str, description="the lot's city (苏州; 苏州市 is the same)"),
            OpenApiParameter("district", str, description="the lot's district or county (姑苏区)"),
            OpenApiParameter("subtype", str, description="comma-separated sub-types: " + ", ".join(Subtype.values)),
            OpenApiParameter("round", str, description="comma-separated: first (一拍), second (二拍), selloff (变卖)"),
            OpenApiParameter("min_discount", int, description="whole percent of the reference price, on the starting price (70 = 7折)"),
            OpenApiParameter("max_discount", int, description="whole percent of the reference price (80 = 8折)"),
            OpenApiParameter("sort", str, enum=list(selectors.CATALOGUE_SORTS),
                             description="ending_soon: only the rounds still open, ending first"),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int),
        ],
        responses={200: RoundSerializer(many=True), 400: ERROR, 404: ERROR},
        summary="Public catalogue: the latest published round of each lot",
    )
    @reads_may_lag  # may be a moment behind the primary (auction_site.replica)
    def get(self, request: Request) -> Response:
        query = CatalogueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.catalogue_rounds(**query.validated_data)
        paginator = self.pagination_class()
        page = paginator.page_of(qs, request)
        return paginator.get_paginated_response(RoundSerializer(page.rows, many=True).data)


class RoundDetailView(LotsAPIView):
    permission_classes = [IsJudgeOrReadOnly]

    @extend_schema(responses={200: RoundDetailSerializer, 404: ERROR}, summary="A round with its live state (drafts: the court's judges only)")
    def get(self, request: Request, pk: int) -> Response:
        rnd = get_object_or_404(Round.objects.select_related("lot", "lot__case", "lot__case__court"), pk=pk)
        if rnd.status == Round.Status.DRAFT and not is_judge_of(request.user, rnd):
            raise NotFound("拍卖轮次不存在 / no such round")
        return Response(RoundDetailSerializer(rnd).data)

    @extend_schema(request=RoundUpdateSerializer, responses={200: RoundDetailSerializer, **ERRORS},
                   summary="Change a draft round (A10, A17, A20, A26 checked again)")
    def patch(self, request: Request, pk: int) -> Response:
        if not Round.objects.filter(pk=pk).exists():
            raise NotFound("拍卖轮次不存在 / no such round")
        ser = RoundUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        rnd = services.update_draft_round(request.user, round_id=pk, **ser.validated_data)
        return Response(RoundDetailSerializer(rnd).data)


class RoundActionView(LotsAPIView):
    permission_classes = [IsJudge]
    round_action = ""

    def post(self, request: Request, pk: int) -> Response:
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        reason = ser.validated_data["reason"]
        if not Round.objects.filter(pk=pk).exists():
            raise NotFound("拍卖轮次不存在 / no such round")
        if self.round_action == "publish":
            rnd = services.publish_round(request.user, round_id=pk)
        elif self.round_action == "notify-parties":
            rnd = services.notify_parties(request.user, round_id=pk)
        elif self.round_action == "cause-ended":
            rnd = services.record_suspension_cause_ended(request.user, round_id=pk)
        elif self.round_action == "suspend":
            rnd = services.suspend_round(request.user, round_id=pk, reason=reason)
        elif self.round_action == "resume":
            rnd = services.resume_round(request.user, round_id=pk, reason=reason)
        else:
            rnd = services.withdraw_round(request.user, round_id=pk, reason=reason)
        return Response(RoundDetailSerializer(rnd).data)


def _action_view(name: str, summary: str, request=ReasonSerializer):
    view = type(f"Round{name.title().replace('-', '')}View", (RoundActionView,), {"round_action": name})
    view.post = extend_schema(request=request, responses={200: RoundDetailSerializer, **ERRORS}, summary=summary)(view.post)
    return view


RoundNotifyPartiesView = _action_view("notify-parties", "Record that the parties were notified of a draft round (A16: publication "
                                      "3 days later; a repeated call keeps the first notice)", request=None)
RoundPublishView = _action_view("publish", "Publish a draft round: A10, A12/A26, A13–14, A16, A17, A20 enforced; all violations in error.details")
RoundCauseEndedView = _action_view("cause-ended", "Record that the cause of a suspension ended (A28: resume due within 5 days; "
                                   "a repeated call keeps the first time)", request=None)
RoundSuspendView = _action_view("suspend", "Suspend an announced or open round (A28; reason required)")
RoundResumeView = _action_view("resume", "Resume a suspended round (A28)")
RoundWithdrawView = _action_view("withdraw", "Withdraw a round (A28; reason required)")


# ----------------------------------------------------------------------------------------------- media


class LotMediaView(LotsAPIView):
    permission_classes = [IsJudgeOrReadOnly]

    @extend_schema(responses={200: MediaSerializer(many=True), **ERRORS}, summary="Ready media with signed, expiring URLs")
    def get(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case"), pk=pk)
        items = selectors.visible_media(lot, request.user)
        if not items.exists() and not selectors.is_published(lot) and not selectors.can_view_lot_drafts(request.user, lot):
            raise NotFound("标的不存在 / no such lot")
        return Response(MediaSerializer(items, many=True).data)

    @extend_schema(request=MediaRequestSerializer, responses={201: MediaUploadResponseSerializer, 413: ERROR, **ERRORS},
                   summary="Ask for an upload URL (type and size checked before it is issued)")
    def post(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=pk)
        ensure_judge_of(request.user, lot)
        ser = MediaRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item, upload = services.request_media_upload(request.user, lot=lot, **ser.validated_data)
        return Response({"media": MediaSerializer(item).data, "upload": upload}, status=201)


class MediaCompleteView(LotsAPIView):
    permission_classes = [IsJudge]

    @extend_schema(request=None, responses={200: MediaSerializer, **ERRORS},
                   summary="Check the uploaded object (size, type, content) and mark it ready, or rejected and deleted")
    def post(self, request: Request, pk: int) -> Response:
        item = services.complete_media_upload(request.user, media_id=pk)
        if item.status == Media.Status.REJECTED:
            problem = getattr(item, "rejection", "") or "文件被拒绝 / the upload was rejected"
            return Response(error_body(ErrorCode.UPLOAD_REJECTED, problem, {"media": MediaSerializer(item).data}), status=400)
        return Response(MediaSerializer(item).data)


class LocalUploadView(LotsAPIView):
    """Embedded default only: receives the multipart upload (fields: token, file) a presigned POST would."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=None, responses={204: None, **ERRORS}, summary="Local storage upload (embedded default only)")
    def post(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(Media, pk=pk)
        media_storage.save_local_upload(item, request.data.get("token", ""), request.FILES.get("file"))
        return Response(status=204)


class LocalFileView(LotsAPIView):
    """Embedded default only: serves a ready file to whoever holds a signed, unexpired link."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="the file"), 403: ERROR, 404: ERROR})
    def get(self, request: Request, pk: int):
        item = get_object_or_404(Media, pk=pk)
        handle = media_storage.open_local(item, request.query_params.get("token", ""))
        return FileResponse(handle, content_type=item.content_type)
