"""Identity rules for real-name registration (A17: deposit paid in the bidder's own name), and who may
be a bidder at all (Civil Code art. 17–18: an adult of full civil capacity).

Pure functions: the day ("today", "on") is passed in by the caller, from the site's one clock.
"""

import re
from datetime import date

from django.utils import timezone

# GB 11643-1999: 18-character citizen identity number, ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"

# GB 32100-2015: 18-character unified social credit code, MOD 31 check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def resident_id_birth_date(value: str) -> date | None:
    """The birth date a GB 11643 number carries (characters 7–14, YYYYMMDD), None when it is no calendar date."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return None
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_valid_resident_id(value: str, today: date | None = None) -> bool:
    """GB 11643: 17 digits + check (digit or X), with a real birth date: a calendar date, from 1900 on,
    not after `today` (default: the real date; services pass the site clock's day)."""
    value = value.strip().upper()
    born = resident_id_birth_date(value)
    if born is None or born.year < 1900 or born > (today or timezone.localdate()):
        return False
    return resident_id_check_char(value[:17]) == value[17]


# Civil Code (民法典) art. 17: a natural person of 18 or more is an adult; art. 18: an adult has full
# civil capacity. Bidding is a civil juristic act a bidder does in their own name (A17), so a natural
# person bids only as an adult, reckoned from the birth date in the ID number on the day they register
# for a round. (Art. 18's other case, a 16-year-old living on their own income, cannot be read from an
# ID number: such a bidder is not taken online.)
ADULT_AGE = 18


def age_on(born: date, day: date) -> int:
    """Whole years completed on `day` (a 29 February birthday counts on 1 March in common years)."""
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def is_adult_on(id_kind: str, id_number: str, day: date) -> bool:
    """Civil Code art. 17–18: True for a company (GB 32100 code: it acts through its representative) and
    for a natural person 18 or older on `day`; False for a minor or a resident ID with no real birth date."""
    if id_kind != "resident_id":
        return True
    born = resident_id_birth_date(id_number or "")
    return born is not None and born <= day and age_on(born, day) >= ADULT_AGE


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


def identity_kind(value: str, today: date | None = None) -> str | None:
    """'resident_id', 'uscc' or None when neither checksum holds (or the birth date lies after `today`)."""
    if is_valid_resident_id(value, today):
        return "resident_id"
    if is_valid_uscc(value):
        return "uscc"
    return None
