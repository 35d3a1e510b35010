"""Who may act on a court's cases, lots and rounds: the one place these access checks live.

Every app asks here (valuation, escrow, bidding, settlement and the pages alike), so one situation
always gets one answer:

- not signed in: 401 ``not_authenticated``;
- signed in but not a judge: 403 ``forbidden``;
- a judge of another court: 403 ``other_court``.

Operators are let through only where a function says so (``allow_operator=True``).
"""

from __future__ import annotations

from typing import Any

from auction_site.errors import ErrorCode, Forbidden, NotAuthenticated


def _court_id(of: Any) -> int | None:
    """The court of a Court, EnforcementCase, Lot or Round (or a bare court id)."""
    if of is None or isinstance(of, int):
        return of
    name = type(of).__name__
    if name == "Court":
        return of.pk
    if name == "EnforcementCase":
        return of.court_id
    if name == "Lot":
        return of.case.court_id
    if name == "Round":
        return of.lot.case.court_id
    raise TypeError(f"no court for {name}")


def is_judge_of(user: Any, of: Any) -> bool:
    """True when `user` is a judge of the court that `of` (court, case, lot or round) belongs to."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_judge", False)
                and user.court_id is not None and user.court_id == _court_id(of))


def ensure_judge(user: Any) -> None:
    """Any judge (of some court): for creating a case in one's own court."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not (getattr(user, "is_judge", False) and user.court_id):
        raise Forbidden("仅法官可执行此操作 / only a judge may do this")


def ensure_judge_of(user: Any, of: Any, *, allow_operator: bool = False) -> None:
    """Only a judge of the court of `of` (a court, case, lot or round) may go on."""
    if allow_operator and getattr(user, "is_authenticated", False) and getattr(user, "is_operator", False):
        return
    ensure_judge(user)
    if user.court_id != _court_id(of):
        raise Forbidden("只能操作本院的案件与标的 / a judge acts only in their own court", code=ErrorCode.OTHER_COURT)
