"""Reads of the lots app (the API and the pages both use these; names are stable).

- ``catalogue_rounds(*, q=None, category=None, status=None, court=None, min_price=None, max_price=None,
  sort="ends_at") -> QuerySet[Round]``
  The public catalogue (lots.selectors_catalogue). It shows ONE entry per lot: the lot's latest round that
  is not a draft, its `listed` round (a re-auction replaces the failed round before it; the failed round
  stays reachable by id). Drafts are never listed. Filters:
    q          words matched (icontains, every word must match somewhere) against the lot's title, the case
               number, the location and the city; the same results on SQLite and PostgreSQL (PostgreSQL
               finds the candidates through a GIN index first).
    category   a Category value, or a list of them.
    status     a Round.Status value, a list, or a comma-separated string ("announced,open").
    court      a Court, its id, or its code ("苏05").
    min_price / max_price   fen, on the round's "price" = current price if bid on, else the starting price.
    province / city / district   the lot's region, exact ("苏州市" is "苏州", "江苏省" is "江苏").
    subtype    a Subtype value, a list, or a comma-separated string ("residential,shop").
    round      "first" (一拍), "second" (二拍), "selloff" (变卖), a list or comma-separated.
    min_discount / max_discount   the round's discount in whole percent of the reference price (70 = 7折).
    sort       one of CATALOGUE_SORTS ("ending_soon": open rounds still running only, by end time; "ends_at", "-ends_at", "starts_at", "-starts_at", "price", "-price",
               "-published_at", "-bid_count"), or "recommended" (the page's default). Unknown values raise
               DomainError(ErrorCode.INVALID_SORT).
    db         the database alias to read (default: the router's choice).
  Each row is annotated with ``price`` and has lot, lot.case and lot.case.court selected.
- ``catalogue_page(rounds, page, size) -> CataloguePage``  one page, the count exact up to 1,000 and
  estimated above; NotFound past the end, DomainError(ErrorCode.PAGE_TOO_DEEP) past 50,000 rows.
- ``round_for_public(round_id) -> Round``  any non-draft round (NotFound for drafts and unknown ids).
- ``is_published(lot) -> bool``  the lot has (or had) a round whose announcement is public.
- ``can_view_lot_drafts(user, lot) -> bool``  a judge of the lot's court.
- ``visible_media(lot, user) -> QuerySet[Media]``  ready media the user may view (public once published).
- ``judge_cases(user) / judge_lots(user) / judge_rounds(user)``  the judge's own court's rows.
- ``lot_rounds(lot) -> QuerySet[Round]``
"""

from __future__ import annotations

from django.db.models import QuerySet

from auction_site.errors import NotFound
from lots.access import is_judge_of
from lots.models import EnforcementCase, Lot, Media, Round
from lots.selectors_catalogue import CATALOGUE_SORTS, ROUND_KINDS, CataloguePage, catalogue_page, catalogue_rounds

__all__ = ["CATALOGUE_SORTS", "ROUND_KINDS", "CataloguePage", "catalogue_page", "catalogue_rounds"]

Status = Round.Status
PUBLIC_STATUSES = [s for s in Status.values if s != Status.DRAFT]


def round_for_public(round_id: int) -> Round:
    rnd = (
        Round.objects.exclude(status=Status.DRAFT)
        .select_related("lot", "lot__case", "lot__case__court")
        .filter(pk=round_id)
        .first()
    )
    if rnd is None:
        raise NotFound("拍卖轮次不存在 / no such round")
    return rnd


def is_published(lot: Lot) -> bool:
    return lot.rounds.exclude(status__in=[Status.DRAFT]).exists()


def can_view_lot_drafts(user, lot: Lot) -> bool:
    return is_judge_of(user, lot)


def visible_media(lot: Lot, user=None) -> QuerySet[Media]:
    """Ready media of a published lot for everyone; of an unpublished lot only for its court's judges."""
    if can_view_lot_drafts(user, lot) or is_published(lot):
        return lot.media.filter(status=Media.Status.READY).order_by("position", "id")
    return lot.media.none()


def judge_cases(user) -> QuerySet[EnforcementCase]:
    return EnforcementCase.objects.filter(court_id=user.court_id).order_by("-created_at", "-id")


def judge_lots(user) -> QuerySet[Lot]:
    return Lot.objects.filter(case__court_id=user.court_id).select_related("case", "case__court").order_by("-created_at", "-id")


def judge_rounds(user) -> QuerySet[Round]:
    return Round.objects.filter(lot__case__court_id=user.court_id).select_related("lot", "lot__case").order_by("-created_at", "-id")


def rounds_to_resume(user) -> QuerySet[Round]:
    """The court's suspended rounds whose cause has ended (A28: to be resumed within 5 days), soonest due first."""
    return (judge_rounds(user).filter(status=Round.Status.SUSPENDED, suspension_cause_ended_at__isnull=False)
            .order_by("suspension_cause_ended_at", "id"))


def lot_rounds(lot: Lot) -> QuerySet[Round]:
    return lot.rounds.order_by("number")
