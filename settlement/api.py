"""Thin API views of settlement (the contract: ARCHITECTURE.md, Public contract)."""

import time

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, Forbidden, NotAuthenticated, NotFound
from auction_site.fields import FenField, StrictCharField
from auction_site.replica import reads_may_lag
from lots.access import ensure_judge_of
from lots.models import EnforcementCase, Round
from settlement import documents, selectors, services, signing


class PayoutSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cost", "tax", "creditor"])
    payee = StrictCharField(max_length=200)
    amount = FenField()
    borne_by = serializers.ChoiceField(choices=["buyer", "seller"], required=False)
    claim = FenField(required=False)


class SettleSerializer(serializers.Serializer):
    payouts = PayoutSerializer(many=True, allow_empty=True, max_length=50)


def _round_or_404(pk: int) -> Round:
    round = Round.objects.select_related("lot__case__court").filter(pk=pk).first()
    if round is None:
        raise NotFound("拍次不存在 / no such round")
    return round


def settlement_json(result: services.SettleResult) -> dict:
    s = result.settlement
    return {
        "settlement": s.pk, "round": s.round_id, "case": s.case_id, "available": s.available,
        "distributed": s.distributed, "remainder_to_debtor": result.remainder,
        "payouts": [{"position": p.position, "kind": p.kind, "payee": p.payee, "amount": p.amount,
                     "borne_by": p.borne_by or None, "claim": p.claim} for p in s.payouts.all()],
        "round_status": s.round.status, "case_status": s.case.status,
    }


class RoundSettleView(APIView):
    """The judge distributes the case account to payees; the outcome is reported to the case system."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SettleSerializer, responses={200: OpenApiResponse(description="the settlement")})
    def post(self, request: Request, pk: int) -> Response:
        ser = SettleSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        result = services.settle_round(request.user, round_id=pk, raw_payouts=ser.validated_data["payouts"])
        result.settlement.refresh_from_db()
        return Response(settlement_json(result))


class RoundResultView(APIView):
    """Public outcome: price, bid history by codes; the buyer's real name only after a deal (A18, A22)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiResponse(description="round outcome")})
    @reads_may_lag  # a moment behind is fine (auction_site.replica)
    def get(self, request: Request, pk: int) -> Response:
        round = _round_or_404(pk)
        if round.status == Round.Status.DRAFT:
            raise NotFound("拍次不存在 / no such round")
        return Response(selectors.round_result(round))


class RoundDocumentsView(APIView):
    """The sale documents of a round with signed URLs (judge of the court, operator); POST generates due ones."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiResponse(description="documents")})
    def get(self, request: Request, pk: int) -> Response:
        round = _round_or_404(pk)
        ensure_judge_of(request.user, round.lot.case, allow_operator=True)
        return Response({"documents": [_doc_json(d) for d in selectors.round_documents(round)]})

    @extend_schema(request=None, responses={200: OpenApiResponse(description="documents")})
    def post(self, request: Request, pk: int) -> Response:
        round = _round_or_404(pk)
        ensure_judge_of(request.user, round.lot.case)
        try:
            docs = services.generate_due_documents(round)
        except documents.FontMissing as exc:
            raise DomainError(ErrorCode.FONT_MISSING, str(exc), status=503) from exc
        return Response({"documents": [_doc_json(d) for d in docs]})


def _doc_json(doc) -> dict:
    return {"kind": doc.kind, "title": doc.get_kind_display(), "sha256": doc.sha256, "size": doc.size,
            "created_at": doc.created_at.isoformat(), "url": services.document_url(doc)}


class CaseOutcomeView(APIView):
    """The outcome of a case: judge of the court / operator, or the case system with a signed pull."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiResponse(description="case outcome")})
    def get(self, request: Request, pk: int) -> Response:
        case = EnforcementCase.objects.select_related("court").filter(pk=pk).first()
        header = request.headers.get(signing.HEADER, "")
        if header:
            ok = signing.verify(header, signing.pull_message(request.path), settings.CASE_SYSTEM_WEBHOOK_SECRET, int(time.time()))
            if not ok:
                raise Forbidden("签名无效或已过期 / invalid or expired signature", code=ErrorCode.BAD_SIGNATURE)
        else:
            if case is None and request.user.is_authenticated:
                raise NotFound("案件不存在 / no such case")
            if case is None:
                raise NotAuthenticated()
            ensure_judge_of(request.user, case, allow_operator=True)
        if case is None:
            raise NotFound("案件不存在 / no such case")
        data = selectors.case_outcome(case)
        data["reports"] = [{"id": m.pk, "kind": m.kind, "attempts": m.attempts, "delivered_at": m.delivered_at and m.delivered_at.isoformat(),
                            "last_error": m.last_error} for m in selectors.outbox_for_case(case)]
        return Response(data)


class InKindIn(serializers.Serializer):
    creditor = StrictCharField(max_length=200)


class InKindView(APIView):
    """POST {creditor}: the judge settles the lot in kind (以物抵债) after a second failure ([C] A16)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=InKindIn, responses={201: None})
    def post(self, request: Request, round_id: int) -> Response:
        ser = InKindIn(data=request.data)
        ser.is_valid(raise_exception=True)
        settlement = services.settle_in_kind(request.user, round_id=round_id, creditor=ser.validated_data["creditor"])
        return Response({"lot": settlement.lot_id, "round": settlement.round_id, "creditor": settlement.creditor,
                         "price": settlement.price, "decided_at": settlement.decided_at.isoformat()}, status=201)
