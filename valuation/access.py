"""Who may act in a valuation besides the judge: the case's parties and the valuers of an organisation.

The judge's checks are `lots.access` (judge of the court of a lot); these are valuation's own concepts, one function
each, used by the services, the API and the pages alike.
"""

from __future__ import annotations

from typing import Any

from auction_site.errors import ErrorCode, Forbidden
from lots.access import ensure_judge_of, is_judge_of
from lots.models import CaseParty
from valuation.models import Inquiry, Organisation, Valuation, Valuer


def parties_of(user: Any, case_id: int) -> list[CaseParty]:
    """The parties of the case that this account acts for (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(CaseParty.objects.filter(case_id=case_id, user=user))


def ensure_party(user: Any, valuation: Valuation) -> CaseParty:
    """Only a party of the valuation's case may go on (negotiate, object): the party the account acts for."""
    mine = parties_of(user, valuation.lot.case_id)
    if not mine:
        raise Forbidden("仅本案当事人可执行此操作 / only a party of the case may do this")
    return mine[0]


def ensure_can_view(user: Any, valuation: Valuation) -> None:
    """The judge of the court and the case's parties see a valuation."""
    if is_judge_of(user, valuation.lot) or parties_of(user, valuation.lot.case_id):
        return
    if getattr(user, "is_judge", False):
        ensure_judge_of(user, valuation.lot)  # a judge of another court: 403 other_court
    raise Forbidden("仅本案法官与当事人可查看 / only the judge and the parties of the case may see this")


def valuer_organisation(user: Any) -> Organisation:
    """The organisation this account is a valuer of."""
    valuer = Valuer.objects.select_related("organisation").filter(user_id=getattr(user, "pk", None)).first()
    if valuer is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("仅询价/评估机构人员可执行此操作 / only a valuer may do this", code=ErrorCode.NOT_VALUER)
    return valuer.organisation


def ensure_valuer_of(user: Any, inquiry: Inquiry) -> Organisation:
    """Only a valuer of the organisation the inquiry was sent to may answer it."""
    org = valuer_organisation(user)
    if inquiry.organisation_id != org.pk:
        raise Forbidden("该询价不是发给您的机构的 / this inquiry was sent to another organisation", code=ErrorCode.OTHER_ORGANISATION)
    return org
