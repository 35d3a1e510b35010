"""Reads of the lots app (the API and the pages both use these; names are stable).

- ``catalogue_rounds(*, q=None, category=None, status=None, court=None, min_price=None, max_price=None,
  sort="ends_at") -> QuerySet[Round]``
  The public catalogue. It shows ONE entry per lot: the lot's latest round that is not a draft
  (a re-auction replaces the failed round before it; the failed round stays reachable by id).
  Drafts are never listed. Filters:
    q          words matched (icontains, every word must match somewhere) against the lot's title, the case
               number, the location and the city; works the same on SQLite and PostgreSQL.
    category   a Category value, or a list of them.
    status     a Round.Status value, a list, or a comma-separated string ("announced,open").
    court      a Court, its id, or its code ("苏05").
    min_price / max_price   fen, on the round's "price" = current price if bid on, else the starting price.
    sort       one of CATALOGUE_SORTS ("ends_at", "-ends_at", "starts_at", "-starts_at", "price", "-price",
               "-published_at", "-bid_count"). Unknown values raise DomainError(ErrorCode.INVALID_SORT).
  Each row is annotated with ``price`` and has lot, lot.case and lot.case.court selected.
- ``round_for_public(round_id) -> Round``  any non-draft round (NotFound for drafts and unknown ids).
- ``is_published(lot) -> bool``  the lot has (or had) a round whose announcement is public.
- ``can_view_lot_drafts(user, lot) -> bool``  a judge of the lot's court.
- ``visible_media(lot, user) -> QuerySet[Media]``  ready media the user may view (public once published).
- ``judge_cases(user) / judge_lots(user) / judge_rounds(user)``  the judge's own court's rows.
- ``lot_rounds(lot) -> QuerySet[Round]``
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Court
from auction_site.errors import DomainError, ErrorCode, NotFound
from lots.access import is_judge_of
from lots.models import EnforcementCase, Lot, Media, Round

Status = Round.Status

CATALOGUE_SORTS = {
    "ends_at": ("ends_at", "id"),
    "-ends_at": ("-ends_at", "-id"),
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "-published_at": ("-published_at", "-id"),
    "-bid_count": ("-bid_count", "ends_at", "id"),
}
PUBLIC_STATUSES = [s for s in Status.values if s != Status.DRAFT]


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value if v]


def catalogue_rounds(*, q: str | None = None, category: str | Iterable[str] | None = None, status: str | Iterable[str] | None = None,
                     court: Court | int | str | None = None, min_price: int | None = None, max_price: int | None = None,
                     sort: str = "ends_at") -> QuerySet[Round]:
    later = Round.objects.filter(lot=OuterRef("lot"), number__gt=OuterRef("number")).exclude(status=Status.DRAFT)
    qs = (
        Round.objects.exclude(status=Status.DRAFT)
        .filter(~Exists(later))
        .select_related("lot", "lot__case", "lot__case__court")
        .annotate(price=Coalesce("current_price", "starting_price"))
    )
    for word in (q or "").split():
        qs = qs.filter(Q(lot__title__icontains=word) | Q(lot__case__case_number__icontains=word)
                       | Q(lot__location__icontains=word) | Q(lot__city__icontains=word))
    categories = _as_list(category)
    if categories:
        qs = qs.filter(lot__category__in=categories)
    statuses = _as_list(status)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if court not in (None, ""):
        if isinstance(court, Court):
            qs = qs.filter(lot__case__court=court)
        elif isinstance(court, int) or str(court).isdigit():
            qs = qs.filter(lot__case__court_id=int(court))
        else:
            qs = qs.filter(lot__case__court__code=str(court))
    if min_price is not None:
        qs = qs.filter(price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    if sort not in CATALOGUE_SORTS:
        raise DomainError(ErrorCode.INVALID_SORT, f"排序方式无效，可选 / sort must be one of: {', '.join(CATALOGUE_SORTS)}", field="sort")
    return qs.order_by(*CATALOGUE_SORTS[sort])


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
