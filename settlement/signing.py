"""HMAC-SHA256 signatures for the report-back to the enforcement case system.

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


def verify(header: str, body: bytes, secret: str, now_ts: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` carries a valid v1 signature of `body` made within `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
        ts = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now_ts - ts) > tolerance:
        return False
    return hmac.compare_digest(given, signature(secret, ts, body))


def pull_message(path: str) -> bytes:
    return f"GET {path}".encode()
