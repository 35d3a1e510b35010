"""API of the commit-reveal appraisal lottery (B16) and of the valuers' public record (scorecards).

Errors in the one shape {"error": {"code", "message"}}: 400 bad secret or a reveal that does not match its commitment
(lottery_reveal_mismatch), 401/403 not a party or the judge, 404, 409 outside the commit or reveal window or not due.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.fields import StrictCharField
from valuation import selectors, services
from valuation.api import ERRORS, _get
from valuation.models import Valuation

LotteryOut = inline_serializer("LotteryDraw", {
    "candidates": serializers.ListField(child=serializers.CharField()), "draw_at": serializers.DateTimeField(),
    "reveal_until": serializers.DateTimeField(), "drawn_at": serializers.DateTimeField(allow_null=True),
    "commitments": serializers.ListField(child=serializers.DictField()), "beacon_round": serializers.IntegerField(allow_null=True),
    "beacon": serializers.CharField(allow_null=True), "seed": serializers.CharField(allow_null=True),
    "picks": serializers.ListField(child=serializers.CharField()), "recomputed_seed": serializers.CharField(allow_null=True),
    "replayed": serializers.ListField(child=serializers.CharField()), "matches": serializers.BooleanField()})


class CommitSerializer(serializers.Serializer):
    commitment = StrictCharField(min_length=64, max_length=64, help_text="SHA-256 (64 lowercase hex) of your secret's UTF-8 bytes")


class RevealSerializer(serializers.Serializer):
    secret = StrictCharField(min_length=1, max_length=200, help_text="16-128 printable ASCII characters")


class LotteryCommitView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CommitSerializer, responses={201: inline_serializer("LotteryCommitOut", {
        "role": serializers.CharField(), "commitment": serializers.CharField(), "committed_at": serializers.DateTimeField()}), **ERRORS},
        summary="A party commits to a secret before the draw time (B16)")
    def post(self, request: Request, pk: int) -> Response:
        ser = CommitSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        out = services.commit_lottery(request.user, valuation=_get(Valuation, pk, "估价"), commitment=ser.validated_data["commitment"])
        return Response(out, status=201)


class LotteryRevealView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RevealSerializer, responses={200: inline_serializer("LotteryRevealOut", {
        "role": serializers.CharField(), "commitment": serializers.CharField(), "secret": serializers.CharField(),
        "revealed_at": serializers.DateTimeField()}), **ERRORS},
        summary="Reveal the committed secret between the draw time and the reveal deadline (B16); a mismatch is refused")
    def post(self, request: Request, pk: int) -> Response:
        ser = RevealSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return Response(services.reveal_lottery(request.user, valuation=_get(Valuation, pk, "估价"), secret=ser.validated_data["secret"]))


class LotteryDrawView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: LotteryOut, **ERRORS},
                   summary="Run a due draw (B16; anyone, idempotent: a second call returns the same draw)")
    def post(self, request: Request, pk: int) -> Response:
        return Response(services.run_lottery(request.user, valuation=_get(Valuation, pk, "估价")))


class ValuerRecordView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("ValuerRecord", {"results": serializers.ListField(child=inline_serializer(
        "ValuerScore", {"code": serializers.CharField(), "name": serializers.CharField(), "kind": serializers.CharField(),
                        "count": serializers.IntegerField(), "mape_percent": serializers.FloatField(allow_null=True)}))})},
        summary="Public record of each inquiry platform and the built-in model: mean absolute % error against sale prices")
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.scorecards()})
