"""Legal rules of valuation ([B] = 法释〔2018〕15号), as pure functions. Issue 3 fills in the rest."""

from datetime import datetime, timedelta

from lots.rules import Violation

# B27: a result is valid at most one year; the first auction must be announced within it;
# a sale no later than 6 months after expiry needs no new price.
MAX_VALIDITY = timedelta(days=365)
GRACE_AFTER_EXPIRY = timedelta(days=183)


def check_reference_price_usable(valid_until: datetime | None, now: datetime, round_number: int) -> Violation | None:
    """May a round with this number be published now on a reference price valid until `valid_until`?"""
    if valid_until is None:
        return None  # a judge-entered price without a validity (platform issue) is checked by its source
    if round_number == 1 and now > valid_until:
        return Violation("B27", "reference_price_expired", "参考价已过有效期，一拍须在有效期内公告 / the reference price has expired")
    if round_number > 1 and now > valid_until + GRACE_AFTER_EXPIRY:
        return Violation("B27", "reference_price_expired", "参考价有效期届满超过六个月，须重新确定参考价 / more than 6 months past expiry: fix a new price")
    return None
