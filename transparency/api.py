"""Public API of transparency: a round's signed transcript, a bidder's inclusion proofs, the key, the anchors."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import NotAuthenticated, NotFound
from escrow.models import Registration
from transparency import selectors

ERROR = inline_serializer("TransparencyError", {"error": serializers.DictField()})


class TranscriptView(APIView):
    """GET: the round's signed transcript (root, leaf count, close time, signature, public key)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("Transcript", {
        "round": serializers.IntegerField(), "leaf_count": serializers.IntegerField(), "root": serializers.CharField(),
        "closed_at": serializers.DateTimeField(), "signature": serializers.CharField(), "public_key": serializers.CharField(),
        "key_fingerprint": serializers.CharField(), "statement": serializers.DictField(),
        "status_events": serializers.ListField(child=serializers.DictField()), "last_seq": serializers.IntegerField(),
    }), 404: OpenApiResponse(ERROR, description="no such round, or bidding has not ended")})
    def get(self, request: Request, round_id: int) -> Response:
        t = selectors.transcript_of(round_id)
        if t is None:
            raise NotFound("该轮次尚无签名记录(竞价未结束) / no signed transcript yet (bidding has not ended)")
        return Response(selectors.public_transcript(t))


class MyProofsView(APIView):
    """GET: an inclusion proof for each of the signed-in bidder's bids in the round's transcript."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("InclusionProofs", {"root": serializers.CharField(),
                                                                          "proofs": serializers.ListField(child=serializers.DictField())}),
                              401: OpenApiResponse(ERROR), 404: OpenApiResponse(ERROR)})
    def get(self, request: Request, round_id: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        t = selectors.transcript_of(round_id)
        reg = Registration.objects.filter(round_id=round_id, bidder=request.user).first()
        if t is None or reg is None:
            raise NotFound("没有您在该轮次的签名出价记录 / no signed bids of yours in this round")
        return Response({"root": t.root, "leaf_count": t.leaf_count, "proofs": selectors.inclusion_proofs(t, registration_id=reg.pk)})


class KeyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("SigningKey", {"algorithm": serializers.CharField(),
                                                                     "public_key": serializers.CharField(),
                                                                     "fingerprint": serializers.CharField()})})
    def get(self, request: Request) -> Response:
        return Response(selectors.public_key())


class AnchorsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("Anchors", {"anchors": serializers.ListField(child=serializers.DictField())})})
    def get(self, request: Request) -> Response:
        return Response({"anchors": [{"at": a.at.isoformat(), "reason": a.reason, "object_key": a.object_key, "root": a.root,
                                      "previous_root": a.previous_root, "chain_count": a.chain_count, "signature": a.signature}
                                     for a in selectors.recent_anchors()], **selectors.public_key()})
