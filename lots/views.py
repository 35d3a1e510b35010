"""Public pages of lots: the catalogue (/) and the lot page (/lots/<id>/). Thin: reads go through lots.selectors."""

from collections import defaultdict

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from auction_site import clock
from auction_site.errors import DomainError, NotFound
from auction_site.replica import reads_may_lag
from lots import media as media_store
from lots import selectors
from lots.forms import CatalogueFilterForm
from lots.models import Lot, Media, Round

PAGE_SIZE = 12
Status = Round.Status


def thumbnails(lot_ids: list[int]) -> dict[int, str]:
    """lot id -> signed URL of its first ready photo (or panorama when it has no photo)."""
    first: dict[int, Media] = {}
    rows = (Media.objects.filter(lot_id__in=lot_ids, status=Media.Status.READY, kind__in=[Media.Kind.PHOTO, Media.Kind.PANORAMA])
            .order_by("lot_id", "-kind", "position", "id"))  # "photo" sorts after "panorama": -kind puts photos first
    for m in rows:
        first.setdefault(m.lot_id, m)
    return {lot_id: media_store.url_for(m) for lot_id, m in first.items()}


@reads_may_lag  # the catalogue may be a moment behind the primary (auction_site.replica)
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # invalid filters are shown with their errors and ignored
    try:
        rounds = selectors.catalogue_rounds(**form.selector_kwargs())
    except DomainError:
        rounds = selectors.catalogue_rounds(sort="recommended")
    try:
        page = selectors.catalogue_page(rounds, request.GET.get("page"), PAGE_SIZE)
    except NotFound:
        raise Http404("页码超出范围 / no such page") from None  # a page past the end (or not a page number)
    except DomainError as too_deep:
        # Deeper than pages go (selectors_catalogue.MAX_OFFSET): the first page, with the reason.
        form.add_error(None, too_deep.message)
        page = selectors.catalogue_page(rounds, 1, PAGE_SIZE)
    thumbs = thumbnails([r.lot_id for r in page.rows])
    cards = [{"round": r, "lot": r.lot, "thumb": thumbs.get(r.lot_id)} for r in page.rows]
    query = request.GET.copy()
    query.pop("page", None)
    filters_in_use = sum(1 for name, value in query.items() if name not in ("q", "sort") and value)
    return render(request, "lots/catalogue.html", {
        "form": form, "page": page, "cards": cards, "query": query.urlencode(), "now": clock.now(),
        "total": page.count, "total_is_estimate": page.count_is_estimate, "filters_in_use": filters_in_use,
    })


def _scenes(panoramas: list[dict]) -> dict:
    """pannellum tour config: one scene per panorama, each with hotspots to the others."""
    scenes = {}
    for i, p in enumerate(panoramas):
        others = [q for q in panoramas if q is not p]
        scenes[f"s{i + 1}"] = {
            "title": p["title"], "type": "equirectangular", "panorama": p["url"], "autoLoad": True,
            "hotSpots": [
                {"pitch": -8, "yaw": -150 + 60 * j, "type": "scene", "text": q["title"], "sceneId": f"s{panoramas.index(q) + 1}"}
                for j, q in enumerate(others)
            ],
        }
    return {"default": {"firstScene": "s1", "sceneFadeDuration": 600, "autoLoad": True, "compass": False}, "scenes": scenes}


def lot_detail(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    may_see_drafts = selectors.can_view_lot_drafts(request.user, lot)
    if not (may_see_drafts or selectors.is_published(lot)):
        raise Http404
    rounds = list(selectors.lot_rounds(lot).select_related("lot"))
    if not may_see_drafts:
        rounds = [r for r in rounds if r.status != Status.DRAFT]
    current = rounds[-1] if rounds else None
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for m in selectors.visible_media(lot, request.user):
        by_kind[m.kind].append({"media": m, "title": m.title or m.get_kind_display(), "url": media_store.url_for(m)})
    panoramas = [{"title": p["title"], "url": p["url"]} for p in by_kind[Media.Kind.PANORAMA]]
    return render(request, "lots/lot_detail.html", {
        "lot": lot, "court": lot.case.court, "case": lot.case, "rounds": rounds, "current": current,
        "history": list(reversed(rounds)), "photos": by_kind[Media.Kind.PHOTO], "videos": by_kind[Media.Kind.VIDEO],
        "documents": by_kind[Media.Kind.DOCUMENT], "panoramas": panoramas,
        "tour": _scenes(panoramas) if panoramas else None, "priority_holders": list(lot.priority_holders.all()),
        "now": clock.now(), "may_see_drafts": may_see_drafts,
    })
