"""Bidding parts of the public API (ARCHITECTURE.md, Public contract). Thin: services do the work."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, NotFound
from auction_site.fields import FenField, StrictCharField, parse_digits
from bidding import selectors, services

# HTTP status of each refusal code of the contract.
REFUSAL_STATUS = {
    "invalid": 400, "not_on_increment": 400, "too_low": 409, "closed": 409, "not_open": 409,
    "not_registered": 403, "barred": 403, "rate_limited": 429,
}


class BidIn(serializers.Serializer):
    amount = FenField()
    request_id = StrictCharField(max_length=64, required=False, allow_blank=True)


class ProxyIn(serializers.Serializer):
    ceiling = FenField()


class BidOut(serializers.Serializer):
    seq = serializers.IntegerField()
    code = serializers.CharField()
    amount = FenField()
    current_price = FenField()
    ends_at = serializers.DateTimeField()
    extended = serializers.BooleanField()
    status = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)


class RoundBidsView(APIView):
    """GET: the bid history (codes only). POST {amount}: place a bid with the same engine as the websocket."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses={200: inline_serializer("BidHistory", {"bids": serializers.ListField(child=serializers.DictField())})})
    def get(self, request: Request, round_id: int) -> Response:
        snap = selectors.snapshot(round_id)
        if snap is None:
            raise NotFound("拍卖轮次不存在 / no such round")
        try:
            after = parse_digits(request.query_params.get("after_seq", "0"))
        except ValueError:
            raise DomainError("invalid", "after_seq 须为整数 / after_seq must be an integer")
        return Response({"round": snap["round"], "bids": selectors.bid_history(round_id, after_seq=after)})

    @extend_schema(request=BidIn, responses={201: BidOut})
    def post(self, request: Request, round_id: int) -> Response:
        ser = BidIn(data=request.data)
        ser.is_valid(raise_exception=True)
        result = services.place_bid(round_id, request.user, ser.validated_data["amount"],
                                    request_id=ser.validated_data.get("request_id") or None, via="http")
        if not result.accepted:
            raise DomainError(result.code or "invalid", result.message, status=REFUSAL_STATUS.get(result.code or "", 400))
        return Response(BidOut({
            "seq": result.seq, "code": result.bidder_code, "amount": result.amount, "current_price": result.current_price,
            "ends_at": result.ends_at, "extended": result.extended, "status": result.status, "request_id": result.request_id,
        }).data, status=201)


class RoundLiveView(APIView):
    """GET: the same snapshot the websocket sends on connect (for clients without a websocket)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: None})
    def get(self, request: Request, round_id: int) -> Response:
        snap = selectors.snapshot(round_id, request.user)
        if snap is None:
            raise NotFound("拍卖轮次不存在 / no such round")
        return Response(snap)


class ProxyView(APIView):
    """POST {ceiling}: set the caller's proxy ceiling (代理出价) where the round allows it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ProxyIn, responses={200: None})
    def post(self, request: Request, round_id: int) -> Response:
        ser = ProxyIn(data=request.data)
        ser.is_valid(raise_exception=True)
        return Response(services.set_proxy(round_id, request.user, ser.validated_data["ceiling"]))
