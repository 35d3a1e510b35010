"""Case intake: a court's enforcement case system creates and updates case mirrors, so nobody re-keys a case.

A request is accepted only when (in this order, each refusal changing nothing):

1. it names a court that has a shared secret (settings.CASE_INTAKE_SECRETS, one per court);
2. its `X-Signature: t=<unix seconds>,v1=<hex>` is HMAC-SHA256(secret, "<t>." + message) (the scheme of
   auction_site.signing), the message being "<court code>\n<Idempotency-Key>\n" + raw body (`signed_message`),
   and `t` is within the replay window (auction_site.signing.TOLERANCE_SECONDS);
3. that exact signature was never accepted before (a captured request replayed as is is refused);
4. its Idempotency-Key was not used by the court for a different body (the same key and body: the stored
   answer again, nothing changed);
5. the body is a well-formed case of that court (lots.services.sync_case, the one writer of cases).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Court
from auction_site import clock, signing
from auction_site.errors import Conflict, DomainError, ErrorCode
from lots import services
from lots.models import IntakeRequest

COURT_HEADER = "X-Court"
KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class IntakeAnswer:
    status: int
    body: dict
    repeated: bool = False


def _unauthorised(code: ErrorCode, message: str) -> DomainError:
    return DomainError(code, message, status=401)


def signed_message(court_code: str, key: str, body: bytes) -> bytes:
    """What the case system signs: the court, the Idempotency-Key and the raw body, bound together."""
    return f"{court_code}\n{key}\n".encode() + body


def authenticate(court_code: str, key: str, signature_header: str, body: bytes, now_ts: int) -> tuple[Court, str]:
    """The court whose case system signed (court, key, `body`), and the signature's hex (refusals: 401)."""
    court = Court.objects.filter(code=(court_code or "").strip()).first() if court_code else None
    secret = settings.CASE_INTAKE_SECRETS.get(court.code, "") if court else ""
    if court is None or not secret:
        raise _unauthorised(ErrorCode.BAD_SIGNATURE, "未知法院或未配置密钥 / unknown court or no shared secret for it")
    problem = signing.check(signature_header, signed_message(court.code, key, body), secret, now_ts)
    if problem == "stale":
        raise _unauthorised(ErrorCode.STALE_TIMESTAMP, "签名时间超出允许范围 / the signature's timestamp is outside the replay window")
    if problem is not None:
        raise _unauthorised(ErrorCode.BAD_SIGNATURE, "签名无效 / invalid signature")
    return court, signing.parse(signature_header)[1]


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"须提供 {KEY_HEADER}(1–{MAX_KEY_LENGTH} 字符) / an {KEY_HEADER} header is required",
                          field="idempotency_key")
    return key


def case_json(case) -> dict:
    return {"id": case.pk, "case_number": case.case_number, "court": case.court.code, "applicants": case.applicants,
            "respondents": case.respondents, "amount_owed": case.amount_owed, "status": case.status}


def _stored(court: Court, key: str, body_sha256: str) -> IntakeAnswer | None:
    done = IntakeRequest.objects.filter(court=court, idempotency_key=key).first()
    if done is None:
        return None
    if done.body_sha256 != body_sha256:
        raise Conflict(ErrorCode.IDEMPOTENCY_KEY_REUSED, "该 Idempotency-Key 已用于不同的请求 / this Idempotency-Key was used for another request")
    return IntakeAnswer(done.status_code, done.response, repeated=True)


def receive_case(system: Any, /, *, court: Court, signature: str, idempotency_key: str, body: bytes, case: dict) -> IntakeAnswer:
    """Create or update the case in `case` (validated fields) for `court`, once per key; audited."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            if IntakeRequest.objects.filter(signature=signature).exists():
                raise Conflict(ErrorCode.REPLAYED, "该请求已处理过(签名重复) / this exact request was already received")
            answer = _stored(court, idempotency_key, digest)
            if answer is not None:
                return answer
            mirror, outcome = services.sync_case(system, court=court, **case)
            status = 201 if outcome == "created" else 200
            response = {"outcome": outcome, "case": case_json(mirror)}
            IntakeRequest.objects.create(court=court, idempotency_key=idempotency_key, body_sha256=digest, signature=signature,
                                         case=mirror, outcome=outcome, status_code=status, response=response,
                                         received_at=clock.now())
            return IntakeAnswer(status, response)
    except IntegrityError:
        # The same key (or case) committed by a concurrent request: answer as a repeat.
        answer = _stored(court, idempotency_key, digest)
        if answer is None:
            raise Conflict(ErrorCode.DUPLICATE_CASE, "并发请求冲突，请重试 / a concurrent request won; retry") from None
        return answer
