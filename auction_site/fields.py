"""Serializer fields for money: integer fen only (ARCHITECTURE.md, Money). No floats, no strings."""

from rest_framework import serializers

MAX_FEN = 10**15  # 10 trillion yuan: anything larger is absurd input


class FenField(serializers.Field):
    """Accepts a JSON integer only (not bool, float, or string); positive unless allow_zero."""

    default_error_messages = {
        "not_int": "金额必须是以分为单位的整数 / amount must be an integer number of fen",
        "not_positive": "金额必须大于零 / amount must be positive",
        "negative": "金额不能为负 / amount must not be negative",
        "too_large": "金额过大 / amount is too large",
    }

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_int")
        if data < 0:
            self.fail("negative")
        if data == 0 and not self.allow_zero:
            self.fail("not_positive")
        if data > MAX_FEN:
            self.fail("too_large")
        return data

    def to_representation(self, value):
        return None if value is None else int(value)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and other non-strings instead of silently converting them."""

    default_error_messages = {"not_str": "须为字符串 / must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_str")
        return super().to_internal_value(data)


def parse_fen(value, *, allow_zero: bool = False) -> int:
    """Same check for non-DRF inputs (websocket frames). Raises ValueError with the reason."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not_int")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("not_positive")
    if value > MAX_FEN:
        raise ValueError("too_large")
    return value
