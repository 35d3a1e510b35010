"""Site-wide middleware.

- ChineseFirstMiddleware: the browser's Accept-Language does not switch the UI to English; only the
  language toggle (Django's language cookie, set by /i18n/setlang/) does.
- BodyGuardMiddleware: a JSON body nested deeper than `parsers.MAX_JSON_DEPTH` is refused (400
  `malformed`) before any view, parser or middleware after it reads the payload.
- ApiErrorShapeMiddleware: every 4xx under /api/ leaves in the contract's shape
  {"error": {"code", "message"}}, whoever answered it (DRF, Django, the CSRF check, the server).
"""

from __future__ import annotations

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError

from auction_site import refusal_codes
from auction_site.errors import ErrorCode, error_body
from auction_site.parsers import check_json_depth

logger = logging.getLogger("auction_site.errors")

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
KEPT_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def _refusal(status: int, code: str, message: str, request: HttpRequest) -> JsonResponse:
    logger.info("refused %s %s: %s %s", request.method, request.path, code, message)
    return JsonResponse(error_body(code, message), status=status)


class BodyGuardMiddleware:
    """Bounds the nesting of every non-form body (JSON whatever its declared type: DRF would parse
    `*/*` or `application/*` as JSON too). Forms and uploads are not read here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        has_body = request.META.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in request.META
        if has_body and content_type not in FORM_TYPES:
            try:
                body = request.body
            except RequestDataTooBig:
                return _refusal(413, ErrorCode.TOO_LARGE, "请求体过大 / request body too large", request)
            try:
                check_json_depth(body, request.encoding or "utf-8")
            except LookupError:
                return _refusal(400, ErrorCode.MALFORMED, "未知字符集 / unknown charset", request)
            except ParseError as exc:
                return _refusal(400, ErrorCode.MALFORMED, str(exc.detail), request)
        return self.get_response(request)


def _in_shape(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json") or getattr(response, "streaming", False):
        return False
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


class ApiErrorShapeMiddleware:
    """The last word on /api/ refusals: a 4xx not in the contract's shape is rewritten into it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or not 400 <= response.status_code < 500:
            return response
        if response.status_code == 401 and not response.has_header("WWW-Authenticate"):
            response["WWW-Authenticate"] = 'Token realm="api"'  # RFC 9110: a 401 names the scheme to use
        if _in_shape(response):
            return response
        status = response.status_code
        code = refusal_codes.CODE_FOR_STATUS.get(status, ErrorCode.BAD_REQUEST)
        message = f"{response.reason_phrase} ({status})"
        details = None
        if response.get("Content-Type", "").startswith("application/json") and not getattr(response, "streaming", False):
            try:
                details = json.loads(response.content)
            except ValueError:
                details = None
        logger.info("refused %s %s: %s (reshaped)", request.method, request.path, code)
        shaped = JsonResponse(error_body(code, message, details), status=status)
        for name in KEPT_HEADERS:
            if response.has_header(name):
                shaped[name] = response[name]
        return shaped

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") and isinstance(exception, MultiPartParserError):
            return _refusal(400, ErrorCode.MALFORMED, f"表单无法解析 / the multipart body cannot be parsed: {exception}", request)
        return None
