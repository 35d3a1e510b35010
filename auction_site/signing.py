"""HMAC-SHA256 signatures exchanged with the enforcement case system (report-back, pulls, case intake).

Header: `X-Signature: t=<unix seconds>,v1=<hex>` where
hex = HMAC-SHA256(secret, f"{t}.".encode() + raw_body). The timestamp is signed with the body so a
captured request cannot be replayed later than the tolerance. The same scheme signs a pull
request for the outcome API, with the raw body replaced by "GET <path>".
"""

import hashlib
import hmac

HEADER = "X-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def parse(header: str) -> tuple[int, str] | None:
    """(timestamp, v1 hex) of a signature header, None when it is not of that form."""
    try:
        parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
        return int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        return None


def check(header: str, body: bytes, secret: str, now_ts: int, tolerance: int = TOLERANCE_SECONDS) -> str | None:
    """None when `header` carries a valid v1 signature of `body` made within `tolerance` seconds, else
    why not: "malformed", "stale" (outside the window) or "mismatch"."""
    parsed = parse(header)
    if parsed is None:
        return "malformed"
    ts, given = parsed
    if abs(now_ts - ts) > tolerance:
        return "stale"
    if not hmac.compare_digest(given, signature(secret, ts, body)):
        return "mismatch"
    return None


def verify(header: str, body: bytes, secret: str, now_ts: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` carries a valid v1 signature of `body` made within `tolerance` seconds."""
    return check(header, body, secret, now_ts, tolerance) is None


def pull_message(path: str) -> bytes:
    return f"GET {path}".encode()
