"""Identity rules for real-name registration (A17: deposit paid in the bidder's own name)."""

import re
from datetime import date

# GB 11643-1999: 18-character citizen identity number, ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"

# GB 32100-2015: 18-character unified social credit code, MOD 31 check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(value: str) -> bool:
    """GB 11643: 17 digits + check (digit or X), with a real birth date."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1900:
        return False
    return resident_id_check_char(value[:17]) == value[17]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """GB 32100: 18 characters from the code alphabet (no I, O, Z, S, V) with a MOD 31 check character."""
    value = value.strip().upper()
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        return False
    if not value[2:8].isdigit():
        return False
    return uscc_check_char(value[:17]) == value[17]


def identity_kind(value: str) -> str | None:
    """'resident_id', 'uscc' or None when neither checksum holds."""
    if is_valid_resident_id(value):
        return "resident_id"
    if is_valid_uscc(value):
        return "uscc"
    return None
