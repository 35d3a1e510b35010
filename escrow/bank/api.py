"""API of the bank path: the bank's signed host-to-host statement push, the operator's upload,
suspense decisions and reconciliation, and the sandbox bank's transfer (test/demo mode only)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, NotFound, error_body
from auction_site.fields import FenField
from escrow.bank import matching, sandbox, services
from escrow.bank.models import BankStatement
from escrow.bank.reconcile import reconcile_bank

logger = logging.getLogger("escrow.bank.api")
PUSH_TOLERANCE_S = 300
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def verify_push(body: bytes, header: str, secret: str, now: float | None = None) -> None:
    """`X-Bank-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`; older than 5 minutes is refused."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        at = int(parts.get("t", ""))
    except ValueError:
        raise DomainError(ErrorCode.INVALID_SIGNATURE, "缺少或无效的签名 / missing or invalid signature")
    expected = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise DomainError(ErrorCode.INVALID_SIGNATURE, "签名无效 / invalid signature")
    if abs((now or time.time()) - at) > PUSH_TOLERANCE_S:
        raise DomainError(ErrorCode.STALE_SIGNATURE, "签名已过期（超过 5 分钟）/ stale signature (older than 5 minutes)")


@method_decorator(csrf_exempt, name="dispatch")
class StatementPushView(View):
    """The bank's host-to-host link: a statement in the body, signed with the shared secret."""

    def post(self, request: HttpRequest) -> JsonResponse:
        body = request.body
        try:
            if len(body) > MAX_STATEMENT_BYTES:
                raise DomainError(ErrorCode.TOO_LARGE, "对账单过大 / statement too large", status=413)
            verify_push(body, request.META.get("HTTP_X_BANK_SIGNATURE", ""), settings.BANK_PUSH_SECRET)
            result = matching.import_statement(None, content=body, source=BankStatement.Source.PUSH)
        except DomainError as e:
            logger.warning("refused bank push: %s %s", e.code, e.message)
            return JsonResponse(error_body(e.code, e.message), status=e.status if e.status < 500 else 503)
        return JsonResponse(result.as_dict(), status=200)


class StatementUploadView(APIView):
    """An operator uploads a statement file (multipart `file`, or the raw file as the body)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FileUploadParser]

    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request) -> Response:
        services.ensure_operator(request.user)
        f = request.FILES.get("file")
        if f is None:
            raise DomainError(ErrorCode.NO_FILE, "请上传对账单文件 / upload a statement file")
        if f.size > MAX_STATEMENT_BYTES:
            raise DomainError(ErrorCode.TOO_LARGE, "对账单过大 / statement too large", status=413)
        result = matching.import_statement(request.user, content=f.read(), source=BankStatement.Source.UPLOAD)
        return Response(result.as_dict())


class ReconcileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        services.ensure_operator(request.user)
        return Response({"differences": [{"code": d.code, "ref": d.ref, "detail": d.detail} for d in reconcile_bank()]})


class SuspenseDecision(serializers.Serializer):
    action = serializers.ChoiceField(choices=["return", "assign"])
    reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SuspenseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SuspenseDecision, responses={200: None})
    def post(self, request: Request, entry_id: int) -> Response:
        ser = SuspenseDecision(data=request.data)
        ser.is_valid(raise_exception=True)
        if ser.validated_data["action"] == "return":
            ins = services.return_suspense(request.user, entry_id=entry_id, note=ser.validated_data.get("note", ""))
            return Response({"instruction": {"end_to_end_id": ins.end_to_end_id, "amount": ins.amount, "creditor_account": ins.creditor_account}})
        entry = matching.assign(request.user, entry_id=entry_id, reference=ser.validated_data.get("reference", ""))
        return Response({"entry": {"id": entry.pk, "verdict": entry.verdict, "held": entry.held, "refunded": entry.refunded}})


class SandboxTransfer(serializers.Serializer):
    reference = serializers.CharField(max_length=40)
    amount = FenField()
    payer_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    payer_account = serializers.RegexField(r"^[0-9]{8,30}$", required=False)


class SandboxTransferView(APIView):
    """Test/demo mode only: a 'transfer' by the signed-in payer; the sandbox bank sends a real camt.053."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SandboxTransfer, responses={200: None})
    def post(self, request: Request) -> Response:
        if not settings.BANK_SANDBOX:
            raise NotFound()
        ser = SandboxTransfer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        result = sandbox.transfer(request.user, reference=v["reference"], amount=v["amount"],
                                  payer_name=v.get("payer_name") or request.user.display_name(),
                                  payer_account=v.get("payer_account") or sandbox.DEMO_PAYER_ACCOUNT)
        return Response(result.as_dict())
