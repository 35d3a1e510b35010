"""Open data API (public, read only): statistics per court and for the platform, the change feed of rounds.

For researchers and other court systems; the figures are defined in settlement/opendata.py and docs/settlement.md.
"""

import csv
import io
import json

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, NotFound
from settlement import opendata

ERROR = OpenApiResponse(description="{'error': {'code', 'message'}}")


class CSVRenderer(BaseRenderer):
    """text/csv; the view hands it the CSV text (an error body is rendered as JSON text)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _court_or_404(key: str):
    court = opendata.court_by_key(key)
    if court is None:
        raise NotFound("法院不存在 / no such court")
    return court


MONTHS = inline_serializer("StatisticsMonth", many=True, fields={
    "month": serializers.CharField(), "lots_auctioned": serializers.IntegerField(), "lots_sold": serializers.IntegerField(),
    "sale_rate_bp": serializers.IntegerField(allow_null=True), "amount": serializers.IntegerField(),
    "commission_saved": serializers.IntegerField()})
STATISTICS = inline_serializer("Statistics", {
    "court": inline_serializer("StatisticsCourt", {"id": serializers.IntegerField(), "code": serializers.CharField(),
                                                   "name": serializers.CharField()}, allow_null=True),
    "lots_auctioned": serializers.IntegerField(help_text="lots with at least one ended round"),
    "lots_sold": serializers.IntegerField(help_text="lots with a round ended in a deal (counted once)"),
    "sale_rate_bp": serializers.IntegerField(allow_null=True, help_text="lots sold / lots auctioned, basis points"),
    "rounds_ended": serializers.IntegerField(),
    "deal_starting_total": serializers.IntegerField(help_text="fen"), "deal_price_total": serializers.IntegerField(help_text="fen"),
    "premium_rate_bp": serializers.IntegerField(allow_null=True),
    "days_to_sale_mean": serializers.FloatField(allow_null=True), "days_to_sale_median": serializers.FloatField(allow_null=True),
    "days_to_sale_lots": serializers.IntegerField(),
    "commission_saved": serializers.IntegerField(help_text="fen, [C] scale"),
    "months": MONTHS,
    "courts": serializers.ListField(child=serializers.DictField(), help_text="platform only: one row per court"),
})


class StatisticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: STATISTICS}, summary="Open data: statistics of the whole platform (and a row per court)")
    def get(self, request: Request) -> Response:
        return Response(opendata.statistics(None).as_json())


class CourtStatisticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: STATISTICS, 404: ERROR}, summary="Open data: statistics of one court (code, e.g. 苏05, or id)")
    def get(self, request: Request, court: str) -> Response:
        return Response(opendata.statistics(_court_or_404(court)).as_json())


FEED_ITEMS = inline_serializer("FeedRound", many=True, fields={
    "round": serializers.IntegerField(), "lot": serializers.DictField(), "court": serializers.DictField(),
    "case_number": serializers.CharField(), "number": serializers.IntegerField(), "kind": serializers.CharField(),
    "status": serializers.CharField(), "result": serializers.CharField(allow_null=True, help_text="sold, failed, withdrawn, defaulted or null"),
    "starting_price": serializers.IntegerField(), "deposit": serializers.IntegerField(), "increment": serializers.IntegerField(),
    "sold_price": serializers.IntegerField(allow_null=True), "premium_rate_bp": serializers.IntegerField(allow_null=True),
    "commission_saved": serializers.IntegerField(allow_null=True),
    "starts_at": serializers.DateTimeField(), "ends_at": serializers.DateTimeField(), "closed_at": serializers.DateTimeField(allow_null=True),
    "bid_count": serializers.IntegerField(), "changed_at": serializers.DateTimeField(),
})
FEED_PAGE = inline_serializer("FeedPage", {"results": FEED_ITEMS,
                                           "next_cursor": serializers.CharField(allow_null=True),
                                           "has_more": serializers.BooleanField()})
FEED_PARAMS = [
    OpenApiParameter("cursor", str, description="opaque; the next_cursor of the previous page (absent: from the start)"),
    OpenApiParameter("page_size", int, description=f"1–{opendata.FEED_MAX_PAGE_SIZE}, default {opendata.FEED_PAGE_SIZE}"),
    OpenApiParameter("court", str, description="court code or id: only that court's rounds"),
]


class FeedRoundsView(APIView):
    """Published rounds and their results in the order they last changed ((changed_at, id)); cursor-paged."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, CSVRenderer]
    csv_only = False

    def _page(self, request: Request) -> tuple[list[dict], str | None, bool]:
        raw = request.query_params.get("page_size", "")
        size = opendata.FEED_PAGE_SIZE
        if raw:
            if not raw.isdigit() or not 1 <= int(raw) <= opendata.FEED_MAX_PAGE_SIZE:
                raise DomainError(ErrorCode.INVALID, f"page_size 须为 1–{opendata.FEED_MAX_PAGE_SIZE} / page_size out of range", field="page_size")
            size = int(raw)
        court_key = request.query_params.get("court", "")
        court = _court_or_404(court_key) if court_key else None
        return opendata.feed_page(request.query_params.get("cursor") or None, size=size, court=court)

    @extend_schema(parameters=FEED_PARAMS, responses={200: FEED_PAGE, (200, "text/csv"): OpenApiTypes.STR, 400: ERROR},
                   summary="Open data: change feed of published rounds and results (JSON; ?format=csv for CSV)")
    def get(self, request: Request) -> Response:
        items, next_cursor, has_more = self._page(request)
        if self.csv_only or request.accepted_renderer.format == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(opendata.FEED_CSV_HEADER)
            writer.writerows(opendata.feed_csv_row(i) for i in items)
            headers = {"X-Next-Cursor": next_cursor or "", "X-Has-More": "true" if has_more else "false"}
            return Response(out.getvalue(), headers=headers, content_type="text/csv; charset=utf-8")
        return Response({"results": items, "next_cursor": next_cursor, "has_more": has_more})


class FeedRoundsCSVView(FeedRoundsView):
    renderer_classes = [CSVRenderer, JSONRenderer]
    csv_only = True

    @extend_schema(parameters=FEED_PARAMS, responses={(200, "text/csv"): OpenApiTypes.STR, 400: ERROR},
                   summary="Open data: the change feed as CSV (next cursor in the X-Next-Cursor header)")
    def get(self, request: Request) -> Response:
        return super().get(request)
