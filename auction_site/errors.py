"""One error shape for the API: HTTP 4xx with {"error": {"code", "message"}} (ARCHITECTURE.md)."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("auction_site.errors")


class DomainError(Exception):
    """A refusal by a rule or a service. `code` is stable (clients switch on it); `message` cites the article."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "未找到 / not found"):
        super().__init__("not_found", message)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "无权执行此操作 / not allowed", code: str = "forbidden"):
        super().__init__(code, message)


class NotAuthenticated(DomainError):
    status = 401

    def __init__(self, message: str = "请先登录 / please log in"):
        super().__init__("not_authenticated", message)


class Conflict(DomainError):
    status = 409

    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def error_body(code: str, message: str, details: Any = None) -> dict:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body


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
        return Response(error_body("invalid", "; ".join(exc.messages)), status=400)
    if isinstance(exc, RequestDataTooBig):
        logger.info("too large %s", where)
        return Response(error_body("too_large", "请求体过大 / request body too large"), status=413)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        code, message, details = "invalid", _flatten(exc.detail), exc.detail
    elif isinstance(exc, drf_exceptions.ParseError):
        code, message, details = "malformed", _flatten(exc.detail), None
    else:
        code = getattr(exc, "default_code", "error")
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
            return JsonResponse(error_body("not_found", "未找到 / not found"), status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            logger.info("too large %s %s", request.method, request.path)
            return JsonResponse(error_body("too_large", "请求体过大 / request body too large"), status=413)
        if isinstance(exception, DomainError):
            return JsonResponse(error_body(exception.code, exception.message), status=exception.status)
        return None
