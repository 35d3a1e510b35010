"""Request body parsers that hostile input cannot turn into a 500.

JSON: the nesting depth is measured by a flat scan (no recursion) before any decoder sees the body;
deeper than MAX_JSON_DEPTH is refused as `malformed`. The API's deepest legitimate body is three
levels (a list of objects inside an object), so 32 leaves room and stays far below Python's
recursion limit. The same check guards every body in `auction_site.middleware.BodyGuardMiddleware`.
"""

from __future__ import annotations

import codecs
import re
from io import BytesIO

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32
# A JSON string (its escapes included) or one bracket. Strings are skipped whole, so brackets inside
# them are not counted; the pattern has no nested quantifier, so it runs in linear time.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `text`, scanning without recursion; stops early
    once `limit` is passed (the result is then limit + 1)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in "]}":
            depth = max(depth - 1, 0)
    return deepest


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"JSON 嵌套层数超过 {limit} / JSON nested deeper than {limit} levels"


def check_json_depth(raw: bytes | str, encoding: str = "utf-8") -> None:
    """Raise ParseError when the body nests deeper than MAX_JSON_DEPTH."""
    text = raw if isinstance(raw, str) else raw.decode(encoding, errors="replace")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ParseError(too_deep_message())


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser behind the depth bound; a RecursionError can never escape as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ParseError(f"未知字符集 / unknown charset {encoding!r}")
        check_json_depth(raw, encoding)
        try:
            return super().parse(BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep_message())
