"""Bidding parts of the public API (ARCHITECTURE.md, Public contract). Thin: services do the work."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, NotFound
from auction_site.fields import FenField, StrictCharField, parse_digits
from bidding import selectors, services

# HTTP status of each refusal code of the contract.
REFUSAL_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID: 400, ErrorCode.NOT_ON_INCREMENT: 400, ErrorCode.TOO_LOW: 409, ErrorCode.CLOSED: 409, ErrorCode.NOT_OPEN: 409,
    ErrorCode.NOT_REGISTERED: 403, ErrorCode.BARRED: 403, ErrorCode.RATE_LIMITED: 429,
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
            raise DomainError(ErrorCode.INVALID, "after_seq 须为整数 / after_seq must be an integer")
        return Response({"round": snap["round"], "bids": selectors.bid_history(round_id, after_seq=after)})

    @extend_schema(request=BidIn, responses={201: BidOut})
    def post(self, request: Request, round_id: int) -> Response:
        ser = BidIn(data=request.data)
        ser.is_valid(raise_exception=True)
        result = services.place_bid(request.user, round_id=round_id, amount=ser.validated_data["amount"], request_id=ser.validated_data.get("request_id") or None, via="http")
        if not result.accepted:
            raise DomainError(result.code or ErrorCode.INVALID, result.message, status=REFUSAL_STATUS.get(result.code or "", 400))
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
        return Response(services.set_proxy(request.user, round_id=round_id, ceiling=ser.validated_data["ceiling"]))
