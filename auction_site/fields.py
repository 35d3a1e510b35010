"""Serializer fields for money (integer fen only: ARCHITECTURE.md, Money) and strict input fields for ids,
numbers, flags and text: each accepts exactly its type and form, nothing coerced."""

import re

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


# ------------------------------------------------------------------------------------------------------
# Strict input fields (issue 13): every field accepts exactly its type and form. DRF's own fields
# coerce ("12" -> 12, 1.5 -> 1, 123 -> "123", " 12 " -> 12); these refuse instead.


def _is_int(data) -> bool:
    return isinstance(data, int) and not isinstance(data, bool)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: no "12", no 12.0 or 1.5, no true."""

    def to_internal_value(self, data):
        if not _is_int(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false only: no 1, no "yes"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictRegexField(serializers.RegexField):
    """A string matching the whole pattern, as sent: no number, no whitespace trimmed, no trailing newline
    (a Python `$` would allow one)."""

    default_error_messages = {"not_str": "须为字符串 / must be a string"}

    def __init__(self, regex, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(regex, **kwargs)
        self._pattern = re.compile(regex) if isinstance(regex, str) else regex

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_str")
        if not self._pattern.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id is a JSON integer: 1.5 is refused, not truncated to 1 (and "1", true likewise)."""

    def to_internal_value(self, data):
        if not _is_int(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")


def parse_digits(text, *, positive: bool = False) -> int:
    """A whole number written as text (a form field, a query parameter): digits only, the whole
    string, no sign, no spaces, no newline, no decimal point. Raises ValueError."""
    if _is_int(text) and text >= 0:
        value = text
    elif isinstance(text, str) and DIGITS.fullmatch(text):
        value = int(text)
    else:
        raise ValueError("not_digits")
    if positive and value == 0:
        raise ValueError("not_positive")
    return value


class DigitsField(serializers.IntegerField):
    """For query strings and forms: a non-negative whole number written in digits only ("12", not " 12", "12.0", "+12")."""

    def to_internal_value(self, data):
        try:
            value = parse_digits(data)
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(value)


class WholeItemsField(serializers.ListField):
    """A list of nested objects, each validated whole by its own serializer, as at creation, even when
    the outer serializer is partial (a PATCH): DRF's partial mode would skip the items' missing
    required fields and defaults ("name" alone stored a holder with no ID number)."""

    def run_child_validation(self, data):
        result, errors = [], {}
        for index, item in enumerate(data):
            item_serializer = type(self.child)(*self.child._args, data=item, context=self.context, **self.child._kwargs)
            if item_serializer.is_valid():
                result.append(item_serializer.validated_data)
            else:
                errors[index] = item_serializer.errors
        if errors:
            raise serializers.ValidationError(errors)
        return result
