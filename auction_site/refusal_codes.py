"""The code a bare 4xx under /api/ gets when something below the API (Django's handlers, the CSRF check,
the server) answered without one: `auction_site.middleware.ApiErrorShapeMiddleware` reshapes it with
this code. Every code is an `ErrorCode` member."""

from auction_site.errors import ErrorCode

CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST, 401: ErrorCode.NOT_AUTHENTICATED, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED, 406: ErrorCode.NOT_ACCEPTABLE, 409: ErrorCode.CONFLICT, 413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE, 429: ErrorCode.RATE_LIMITED,
}
