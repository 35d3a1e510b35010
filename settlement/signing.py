"""The case system's HMAC scheme, kept in auction_site.signing (lots' case intake uses it too)."""

from auction_site.signing import HEADER, TOLERANCE_SECONDS, check, header_value, parse, pull_message, signature, verify

__all__ = ["HEADER", "TOLERANCE_SECONDS", "check", "header_value", "parse", "pull_message", "signature", "verify"]
