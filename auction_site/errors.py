"""Errors as types: every refusal's code, the refusal itself, and the one error shape of the API.

The API answers a refusal with HTTP 4xx and ``{"error": {"code", "message"}}``; the websocket with
``{"type": "rejected", "code", "message"}`` (ARCHITECTURE.md). Every code either sends is a member of
`ErrorCode` (clients switch on the values, so a value never changes); the websocket's are `WS_REFUSALS`.
A rule's verdict is a `Refusal` (code, message, the article it applies, the field at fault); a service
raises it as a `DomainError`. Access checks (who is a judge of which court) live in lots/access.py.
"""

import logging
import re
from dataclasses import dataclass
from enum import StrEnum, unique
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("auction_site.errors")


@unique
class ErrorCode(StrEnum):
    """Every error code the API and the websocket send. The values are the contract: never change one."""

    # the websocket's refusals of a bid (ARCHITECTURE.md), also the bid API's
    TOO_LOW = "too_low"
    NOT_ON_INCREMENT = "not_on_increment"
    NOT_REGISTERED = "not_registered"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    BARRED = "barred"
    RATE_LIMITED = "rate_limited"
    # access (lots/access.py): 401 not signed in / bad token; 403 not a judge; 403 a judge of another court; 404
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    FORBIDDEN = "forbidden"
    OTHER_COURT = "other_court"
    NOT_FOUND = "not_found"
    # the request itself
    INVALID = "invalid"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    ERROR = "error"
    BAD_REQUEST = "bad_request"  # a 4xx given below the API layer (Django, the server) with no code of its own
    CONFLICT = "conflict"  # the same, for a bare 409
    # the rules and services, by name
    ALREADY_DECIDED = "already_decided"
    ALREADY_PAID = "already_paid"
    ALREADY_REGISTERED = "already_registered"
    ALREADY_SETTLED = "already_settled"
    ALREADY_SETTLED_IN_KIND = "already_settled_in_kind"
    ALREADY_SUBMITTED = "already_submitted"
    ALREADY_UPLOADED = "already_uploaded"
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_SIGNATURE = "bad_signature"
    BAD_TOKEN = "bad_token"
    BALANCE_NOT_DUE = "balance_not_due"  # A24: a default is declared only once the A25 deadline passed unpaid
    BALANCE_OVERDUE = "balance_overdue"
    BIDDING_ENDED = "bidding_ended"
    BIDDING_PERIOD_TOO_SHORT = "bidding_period_too_short"
    CANNOT_CANCEL = "cannot_cancel"
    CANNOT_REFUND = "cannot_refund"
    CARD_DECLINED = "card_declined"
    CARD_NOT_ACCEPTED = "card_not_accepted"
    CASE_NOT_OPEN = "case_not_open"
    CASE_NUMBER_COURT_MISMATCH = "case_number_court_mismatch"
    CODE_EXHAUSTED = "code_exhausted"
    CORRECTION_PENDING = "correction_pending"
    CORRECTION_TOO_LATE = "correction_too_late"
    COURT_REQUIRED = "court_required"
    CREDITOR_ORDER = "creditor_order"
    CUT_TOO_DEEP = "cut_too_deep"
    DAYS_REQUIRED = "days_required"
    DEADLINE_PASSED = "deadline_passed"
    DEADLINE_REQUIRED = "deadline_required"
    DEADLINE_TOO_FAR = "deadline_too_far"
    DEPOSIT_OUT_OF_RANGE = "deposit_out_of_range"
    DOCUMENT_NOT_DUE = "document_not_due"
    DUPLICATE_CASE = "duplicate_case"
    DUPLICATE_ID_NUMBER = "duplicate_id_number"
    DUPLICATE_PRIORITY_HOLDER = "duplicate_priority_holder"
    DUPLICATE_REFERENCE = "duplicate_reference"
    DUPLICATE_USERNAME = "duplicate_username"
    EMPTY_TRANSACTION = "empty_transaction"
    EXTENSION_TOO_LATE = "extension_too_late"
    EXTENSION_TOO_LONG = "extension_too_long"
    EXTENSION_USED = "extension_used"
    FILE_REQUIRED = "file_required"
    FONT_MISSING = "font_missing"
    CO_BIDDER_INVALID = "co_bidder_invalid"  # a joint bid's co-bidder: a real-name bidder account, named once
    CO_BIDDER_NOT_ACCEPTED = "co_bidder_not_accepted"  # a joint bid is confirmed only once every co-bidder has agreed
    GROUP_NOT_CONFIRMED = "group_not_confirmed"  # joint/agent bidding: no bid until the court has confirmed the group
    GROUP_TOO_LATE = "group_too_late"  # joint/agent bidding: registered and confirmed only before bidding opens
    FULL_PRICE_NOT_HELD = "full_price_not_held"  # A26/A37: a sell-off is bought only with the full price held
    ILLEGAL_TRANSITION = "illegal_transition"
    INCREMENT_INVALID = "increment_invalid"
    INQUIRY_CLOSED = "inquiry_closed"
    INQUIRY_REQUIRED = "inquiry_required"
    INSTITUTIONS_INVALID = "institutions_invalid"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_CASE_NUMBER = "invalid_case_number"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_DATE = "invalid_date"
    INVALID_DAYS = "invalid_days"
    INVALID_EVENT = "invalid_event"
    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_KIND = "invalid_kind"
    INVALID_LICENCE = "invalid_licence"  # a company's business licence: PDF, JPG or PNG of at most 10 MB
    INVALID_METHOD = "invalid_method"
    INVALID_PHONE = "invalid_phone"
    INVALID_PRICE = "invalid_price"
    INVALID_REPRESENTATIVE = "invalid_representative"  # a company's legal representative: name and a valid, adult ID
    INVALID_ROLE = "invalid_role"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_SIZE = "invalid_size"
    INVALID_SORT = "invalid_sort"
    PAGE_TOO_DEEP = "page_too_deep"  # the catalogue pages at most 50,000 rows deep: narrow the search
    INVALID_USERNAME = "invalid_username"
    INVALID_USCC = "invalid_uscc"  # GB 32100 check character
    LOT_FINISHED = "lot_finished"
    LOT_IN_AUCTION = "lot_in_auction"
    LOT_PUBLISHED = "lot_published"
    MISSING_ANNOUNCEMENT = "missing_announcement"
    MISSING_COURT_CONTACT = "missing_court_contact"
    MISSING_DEFECTS_AND_ENCUMBRANCES = "missing_defects_and_encumbrances"
    MISSING_DESCRIPTION = "missing_description"
    MISSING_JUDGMENT_ENFORCED = "missing_judgment_enforced"
    MISSING_OCCUPANCY = "missing_occupancy"
    MISSING_PHOTOS = "missing_photos"
    MISSING_TITLE_STATUS = "missing_title_status"
    MISSING_TRANSFER_TAX_PAYER = "missing_transfer_tax_payer"
    MISSING_VALUATION_REPORT = "missing_valuation_report"
    NO_BUYER = "no_buyer"
    NO_EXTENSION = "no_extension"
    NO_INSTITUTIONS = "no_institutions"
    NO_PAYEE = "no_payee"
    NO_PAYOUTS = "no_payouts"
    NO_PLATFORMS = "no_platforms"
    NO_REFERENCE_PRICE = "no_reference_price"
    NO_RESULT = "no_result"
    LOTTERY_ALREADY_COMMITTED = "lottery_already_committed"  # B16: one commitment per participant
    LOTTERY_ALREADY_REVEALED = "lottery_already_revealed"
    LOTTERY_COMMIT_CLOSED = "lottery_commit_closed"  # B16: commitments only before the draw time
    LOTTERY_NOT_COMMITTED = "lottery_not_committed"
    LOTTERY_NOT_DUE = "lottery_not_due"  # B16: the draw runs at/after its time, once reveals are in or closed
    LOTTERY_REVEAL_CLOSED = "lottery_reveal_closed"
    LOTTERY_REVEAL_MISMATCH = "lottery_reveal_mismatch"  # B16: the revealed secret does not hash to the commitment
    LOTTERY_REVEAL_NOT_OPEN = "lottery_reveal_not_open"
    LOTTERY_SECRET_INVALID = "lottery_secret_invalid"
    NOT_A_BIDDER = "not_a_bidder"
    NOT_ADULT = "not_adult"  # Civil Code art. 17-18: a bidder is 18 or older on the day they register
    NOT_A_CREDITOR = "not_a_creditor"
    NOT_CORRECTABLE = "not_correctable"
    NOT_DELIVERED = "not_delivered"
    NOT_DRAFT = "not_draft"
    NOT_IN_KIND = "not_in_kind"
    NOT_NEGOTIATION = "not_negotiation"
    NOT_OPEN_FOR_REGISTRATION = "not_open_for_registration"
    NOT_PAID = "not_paid"
    NOT_SOLD = "not_sold"
    NOT_SUSPENDABLE = "not_suspendable"
    NOT_SUSPENDED = "not_suspended"
    NOT_UPLOADED = "not_uploaded"
    NOT_VALUER = "not_valuer"
    NOT_WINNER = "not_winner"
    NOT_WITHDRAWABLE = "not_withdrawable"
    NOTICE_NOT_ACCEPTED = "notice_not_accepted"  # the 竞买公告 and 竞买须知 not accepted at registration
    NOTICE_TOO_SHORT = "notice_too_short"
    OBJECTION_GROUND_INVALID = "objection_ground_invalid"
    OBJECTION_NOT_ALLOWED = "objection_not_allowed"
    OBJECTION_TOO_LATE = "objection_too_late"
    ORGANISATION_REQUIRED = "organisation_required"
    OTHER_ORGANISATION = "other_organisation"
    OTHERS_DELIVERED = "others_delivered"
    OVER_CLAIM = "over_claim"
    OVER_DISTRIBUTION = "over_distribution"
    OVERPAYMENT = "overpayment"
    PARTIES_MISSING = "parties_missing"
    PARTIES_NOT_NOTIFIED = "parties_not_notified"
    PARTIES_REQUIRED = "parties_required"
    PARTY_NOTICE_TOO_SHORT = "party_notice_too_short"
    PARTY_ACCOUNT_AMBIGUOUS = "party_account_ambiguous"  # the judge's lookup names more than one account
    PARTY_ACCOUNT_ROLE = "party_account_role"  # only a party or bidder account is linked to a case as a party
    PARTY_ALREADY_LINKED = "party_already_linked"
    PARTY_NOT_LINKED = "party_not_linked"
    NOT_YOUR_TURN = "not_your_turn"  # B4: a side waits for the other side's answer before offering again
    PAYMENT_NOT_FOUND = "payment_not_found"
    PAYMENT_ORDER = "payment_order"
    PAYMENT_PROVIDER_ERROR = "payment_provider_error"
    POA_NOT_PDF = "poa_not_pdf"  # agent bidding: the power of attorney (授权委托书) must be a real PDF of at most 10 MB
    PRINCIPAL_INVALID = "principal_invalid"  # agent bidding: the principal's name and a valid ID number or credit code
    PRICE_ABSURD = "price_absurd"
    PRICE_BASIS_REQUIRED = "price_basis_required"
    PRICE_NOT_INTEGER = "price_not_integer"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRIORITY_NOT_CONFIRMED = "priority_not_confirmed"  # A19: a declared priority right not on the court's list
    REAL_NAME_REQUIRED = "real_name_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_CURSOR = "invalid_cursor"
    REASON_REQUIRED = "reason_required"
    REPLAYED = "replayed"
    STALE_TIMESTAMP = "stale_timestamp"
    REAUCTION_PRICE_HIGHER = "reauction_price_higher"
    REAUCTION_TOO_LATE = "reauction_too_late"
    REFERENCE_PRICE_EXPIRED = "reference_price_expired"
    REMAINDER_BEFORE_DEBT = "remainder_before_debt"
    REPORT_KEY_INVALID = "report_key_invalid"
    REPORT_MISSING = "report_missing"
    REPORT_NOT_PDF = "report_not_pdf"
    REPORT_REQUIRED = "report_required"
    REPORT_TOO_LARGE = "report_too_large"
    REPORT_TOO_SMALL = "report_too_small"
    ROUND_IN_PROGRESS = "round_in_progress"
    SHARES_INVALID = "shares_invalid"  # joint bidding: every share above 0, at most 2 decimals, summing to 100
    SIGNATURE_MISMATCH = "signature_mismatch"  # the 竞买承诺书 signed by someone else
    SIZE_MISMATCH = "size_mismatch"
    STARTING_PRICE_TOO_LOW = "starting_price_too_low"
    STORAGE_ERROR = "storage_error"
    TAX_BORNE_BY = "tax_borne_by"
    TAX_NOT_FROM_PROCEEDS = "tax_not_from_proceeds"
    TOO_MANY_EXTENSIONS = "too_many_extensions"
    UNBALANCED = "unbalanced"
    UNKNOWN_COURT = "unknown_court"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_PROVIDER = "unknown_provider"
    UNSUPPORTED_TYPE = "unsupported_type"
    # bank statements (escrow/bank/statements.py)
    MALFORMED_STATEMENT = "malformed_statement"
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY_STATEMENT = "empty_statement"
    WRONG_CURRENCY = "wrong_currency"
    UNKNOWN_ACCOUNT = "unknown_account"
    UPLOAD_REJECTED = "upload_rejected"
    VALIDITY_PAST = "validity_past"
    VALIDITY_TOO_LONG = "validity_too_long"
    VALUATION_CLOSED = "valuation_closed"
    VALUATION_OPEN = "valuation_open"
    WEAK_PASSWORD = "weak_password"
    WRONG_PROVIDER = "wrong_provider"
    # the bank path (escrow.bank)
    AMOUNT_OVER_CARD_LIMIT = "amount_over_card_limit"  # never sent to the card provider: pay by transfer
    BANK_TRANSFER = "bank_transfer"
    NO_FILE = "no_file"
    NO_SOURCE_ACCOUNT = "no_source_account"  # a refund goes only to the account the money came from
    NOT_IN_SUSPENSE = "not_in_suspense"
    STALE_SIGNATURE = "stale_signature"
    UNKNOWN_REFERENCE = "unknown_reference"

# The codes of a websocket `rejected` frame (ARCHITECTURE.md, "Websocket"): a subset of ErrorCode.
WS_REFUSALS: frozenset[ErrorCode] = frozenset({
    ErrorCode.TOO_LOW, ErrorCode.NOT_ON_INCREMENT, ErrorCode.NOT_REGISTERED, ErrorCode.NOT_OPEN,
    ErrorCode.CLOSED, ErrorCode.BARRED, ErrorCode.RATE_LIMITED, ErrorCode.INVALID,
})


def msg(zh: str, en: str) -> str:
    """A bilingual message, Chinese first: ``msg("未找到", "not found")`` → ``"未找到 / not found"``."""
    return f"{zh} / {en}"


_BILINGUAL = re.compile(r" ?/ ")  # "中文 / English" or "中文（…）/ English"; "评估/询价" has no space after the slash


def in_language(message: str, language: str | None = None) -> str:
    """The part of a bilingual message (``msg``: "中文 / English") in one language: English when `language`
    (default: the active one) is English, else Chinese. Several messages joined by "；" (RulesViolated) are
    each cut; a message with no " / " is returned as it is. Pages show one language at a time."""
    if language is None:
        language = get_language() or "zh-hans"
    english = language.lower().startswith("en")
    parts = []
    for part in str(message).split("；"):
        halves = _BILINGUAL.split(part, maxsplit=1)
        if len(halves) < 2:
            parts.append(part)
            continue
        zh, en = halves
        article = ""
        if zh.startswith("[") and "] " in zh:  # "[A10] 中文 / English": the article stays in front
            cut = zh.index("] ") + 2
            article, zh = zh[:cut], zh[cut:]
        parts.append(article + (en if english else zh).strip())
    return ("; " if english else "；").join(parts)


def as_code(code: "ErrorCode | str") -> "ErrorCode | str":
    """The ErrorCode of `code`. An unknown string is logged and sent as it is (a refusal is never a 500);
    tests/auction_site/test_error_codes.py fails on any code literal that is not a member."""
    try:
        return ErrorCode(code)
    except ValueError:
        logger.error("error code %r is not an ErrorCode member", code)
        return code


@dataclass(frozen=True)
class Refusal:
    """A rule's or a service's "no": its code, its message, the article it applies and the field at fault."""

    code: ErrorCode
    message: str
    article: str | None = None
    field: str | None = None
    # Finer than the code, for a page's plain-language message (a bid's `rejected` frame carries it):
    # already_leading, below_start, below_next, priority_tie, selloff_fixed_price, full_price_not_held.
    reason: str | None = None

    def __str__(self) -> str:
        return f"[{self.article}] {self.message}" if self.article else self.message


class DomainError(Exception):
    """A refusal raised by a rule or a service: `DomainError(code, message)` or `DomainError(refusal)`.

    `code` is stable (clients switch on it); `message` says why (citing the article where a rule gives one).
    """

    status = 400

    def __init__(self, code: "ErrorCode | str | Refusal", message: str | None = None, status: int | None = None,
                 field: str | None = None, article: str | None = None):
        if isinstance(code, Refusal):
            refusal = code
            if message is not None or field is not None or article is not None:
                refusal = Refusal(refusal.code, message if message is not None else refusal.message,
                                  article if article is not None else refusal.article, field if field is not None else refusal.field)
        else:
            refusal = Refusal(as_code(code), message or "", article, field)
        super().__init__(refusal.message)
        self.refusal = refusal
        if status is not None:
            self.status = status

    @property
    def code(self) -> ErrorCode:
        return self.refusal.code

    @property
    def message(self) -> str:
        return self.refusal.message

    @property
    def field(self) -> str | None:
        return self.refusal.field

    @property
    def article(self) -> str | None:
        return self.refusal.article


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = msg("未找到", "not found")):
        super().__init__(ErrorCode.NOT_FOUND, message)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = msg("无权执行此操作", "not allowed"), code: ErrorCode = ErrorCode.FORBIDDEN):
        super().__init__(code, message)


class NotAuthenticated(DomainError):
    status = 401

    def __init__(self, message: str = msg("请先登录", "please log in")):
        super().__init__(ErrorCode.NOT_AUTHENTICATED, message)


class Conflict(DomainError):
    status = 409

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(code, message)


def error_body(code: "ErrorCode | str", message: str, details: Any = None) -> dict:
    body: dict[str, Any] = {"error": {"code": str(code), "message": message}}
    if details:
        body["error"]["details"] = details
    return body


# DRF's own codes, in ours: a refusal by a permission class is the same situation as ensure_judge's.
_DRF_CODES: dict[str, ErrorCode] = {
    "permission_denied": ErrorCode.FORBIDDEN,
    "parse_error": ErrorCode.MALFORMED,
}


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(v) for v in detail)
    return str(detail)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    where = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}"
    if isinstance(exc, DomainError):
        logger.info("refused %s: %s %s", where, exc.code, exc.message)
        return Response(error_body(exc.code, exc.message, {"field": exc.field} if exc.field else None), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        logger.info("invalid %s: %s", where, exc.messages)
        return Response(error_body(ErrorCode.INVALID, "; ".join(exc.messages)), status=400)
    if isinstance(exc, RequestDataTooBig):
        logger.info("too large %s", where)
        return Response(error_body(ErrorCode.TOO_LARGE, msg("请求体过大", "request body too large")), status=413)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code: ErrorCode | str
    if isinstance(exc, drf_exceptions.ValidationError):
        code, message, details = ErrorCode.INVALID, _flatten(exc.detail), exc.detail
    elif isinstance(exc, drf_exceptions.ParseError):
        code, message, details = ErrorCode.MALFORMED, _flatten(exc.detail), None
    else:
        drf_code = getattr(exc, "default_code", "error")
        code = _DRF_CODES.get(drf_code) or as_code(drf_code)
        message, details = _flatten(getattr(exc, "detail", str(exc))), None
    logger.info("refused %s: %s %s", where, code, message)
    response.data = error_body(code, message, details)
    return response


class ApiErrorMiddleware:
    """Turns errors outside DRF views under /api/ (404, oversize bodies) into the contract's JSON shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
            return JsonResponse(error_body(ErrorCode.NOT_FOUND, msg("未找到", "not found")), status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            logger.info("too large %s %s", request.method, request.path)
            return JsonResponse(error_body(ErrorCode.TOO_LARGE, msg("请求体过大", "request body too large")), status=413)
        if isinstance(exception, DomainError):
            return JsonResponse(error_body(exception.code, exception.message), status=exception.status)
        return None
