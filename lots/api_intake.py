"""Thin API view of the case intake (lots/intake.py): the court's case system creates or updates case mirrors."""

from __future__ import annotations

import json
import logging
import time

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site import signing
from auction_site.errors import DomainError, ErrorCode
from auction_site.fields import FenField, StrictCharField
from lots import intake

logger = logging.getLogger("lots.intake")

ERROR = OpenApiResponse(description="{'error': {'code', 'message'}}: bad_signature / stale_timestamp (401), invalid / "
                                    "malformed / case_number_court_mismatch (400), other_court (403), replayed / "
                                    "idempotency_key_reused / case_not_open (409)")


class IntakeCaseSerializer(serializers.Serializer):
    case_number = StrictCharField(max_length=64)
    applicants = serializers.ListField(child=StrictCharField(max_length=200), min_length=1, max_length=50)
    respondents = serializers.ListField(child=StrictCharField(max_length=200), min_length=1, max_length=50)
    amount_owed = FenField(allow_zero=True)


ANSWER = inline_serializer("IntakeAnswer", {
    "outcome": serializers.ChoiceField(choices=["created", "updated", "unchanged"]),
    "case": inline_serializer("IntakeCase", {"id": serializers.IntegerField(), "case_number": serializers.CharField(),
                                             "court": serializers.CharField(), "applicants": serializers.ListField(),
                                             "respondents": serializers.ListField(), "amount_owed": serializers.IntegerField(),
                                             "status": serializers.CharField()}),
})


class CaseIntakeView(APIView):
    """POST one case (create or update) signed by the court's case system."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=IntakeCaseSerializer,
        parameters=[
            OpenApiParameter(intake.COURT_HEADER, str, OpenApiParameter.HEADER, required=True, description="the court's code, e.g. 苏05"),
            OpenApiParameter(signing.HEADER, str, OpenApiParameter.HEADER, required=True,
                             description="t=<unix seconds>,v1=<hex HMAC-SHA256(court secret, '<t>.<court>\\n<Idempotency-Key>\\n' + raw body)>; "
                                         f"t within {signing.TOLERANCE_SECONDS} s; each signature is accepted once"),
            OpenApiParameter(intake.KEY_HEADER, str, OpenApiParameter.HEADER, required=True,
                             description="unique per change; a repeat with the same key and body returns the first answer"),
        ],
        responses={201: ANSWER, 200: ANSWER, 400: ERROR, 401: ERROR, 403: ERROR, 409: ERROR},
        summary="Case intake: the enforcement case system creates or updates a case mirror (signed, idempotent)",
    )
    def post(self, request: Request) -> Response:
        body = request.body
        raw_key = request.headers.get(intake.KEY_HEADER, "")
        court, signature = intake.authenticate(request.headers.get(intake.COURT_HEADER, ""), raw_key,
                                               request.headers.get(signing.HEADER, ""), body, int(time.time()))
        key = intake.check_key(raw_key)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise DomainError(ErrorCode.MALFORMED, "请求体须为 JSON / the body must be JSON") from None
        ser = IntakeCaseSerializer(data=data if isinstance(data, dict) else {})
        ser.is_valid(raise_exception=True)
        answer = intake.receive_case(f"case-system:{court.code}", court=court, signature=signature, idempotency_key=key,
                                     body=body, case=dict(ser.validated_data))
        logger.info("intake %s %s: %s%s", court.code, key, answer.body["outcome"], " (repeat)" if answer.repeated else "")
        return Response(answer.body, status=answer.status, headers={"Idempotent-Replayed": "true"} if answer.repeated else {})
