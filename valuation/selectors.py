"""Reads of the valuation app: what the judge, the parties, the valuers and the public see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet

from auction_site import clock
from lots import media as lot_media
from lots.access import is_judge_of
from lots.models import CaseParty, Lot, Media
from valuation import rules
from valuation.models import FeeAward, Inquiry, Method, Notification, Objection, Organisation, Quote, Valuation


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def report_url(key: str) -> str | None:
    if not key:
        return None
    try:
        return default_storage.url(key)
    except Exception:  # storage unreachable: the page still renders
        return None


def quote_dict(q: Quote, *, used: bool = False) -> dict[str, Any]:
    return {
        "id": q.pk, "inquiry": q.inquiry_id, "organisation": q.inquiry.organisation.code, "organisation_name": q.inquiry.organisation.name,
        "price": q.price, "valid_until": _iso(q.valid_until), "submitted_at": _iso(q.submitted_at), "source": q.source,
        "corrects": q.corrects_id, "report_url": report_url(q.report_key), "basis": q.basis, "used": used,
        "on_time": q.inquiry.deadline is None or q.corrects_id is not None or q.submitted_at <= q.inquiry.deadline,
    }


def inquiry_dict(i: Inquiry) -> dict[str, Any]:
    return {
        "id": i.pk, "organisation": i.organisation.code, "organisation_name": i.organisation.name, "provider": i.organisation.provider,
        "position": i.position, "status": i.status, "sent_at": _iso(i.sent_at), "deadline": _iso(i.deadline),
        "extension_requested_at": _iso(i.extension_requested_at), "extensions_granted": i.extensions_granted,
        "correction_due": _iso(i.correction_due), "correction_reason": i.correction_reason, "excluded_reason": i.excluded_reason,
    }


def current_quotes(valuation: Valuation) -> list[Quote]:
    """The latest (corrected) quote of every inquiry that answered, excluded ones included (for display)."""
    quotes = Quote.objects.filter(inquiry__valuation=valuation, correction__isnull=True).select_related("inquiry__organisation")
    return sorted(quotes, key=lambda q: (q.inquiry.position, q.pk))


def current_quote(inquiry: Inquiry) -> Quote | None:
    """The inquiry's result as it stands: its latest quote, i.e. the one no correction replaced (B12)."""
    return inquiry.quotes.filter(correction__isnull=True).order_by("-submitted_at", "-id").first()


def effective_network_quotes(valuation: Valuation) -> list[Quote]:
    """B13: the current (corrected) result of each platform that delivered on time and was not set aside."""
    out = []
    for inquiry in valuation.inquiries.filter(status=Inquiry.Status.ANSWERED).select_related("organisation"):
        q = current_quote(inquiry)
        if q is not None:
            out.append(q)
    return out


def valuation_dict(v: Valuation, *, viewer=None) -> dict[str, Any]:
    inquiries = list(v.inquiries.select_related("organisation"))
    used_ids = set()
    if v.status == Valuation.Status.CONCLUDED:
        if v.method == "network":
            used_ids = {q.pk for q in effective_network_quotes(v)}
        else:
            used_ids = {q.pk for q in current_quotes(v) if q.inquiry.status == Inquiry.Status.ANSWERED}
    all_quotes = Quote.objects.filter(inquiry__valuation=v).select_related("inquiry__organisation").order_by("submitted_at", "id")
    if viewer is not None and not is_judge_of(viewer, v.lot) and not rules.quotes_visible_to_parties(v.status):
        all_quotes = all_quotes.none()  # the parties see the results once the price is fixed
    records = {r["code"]: {"count": r["count"], "mape_percent": r["mape_percent"]} for r in scorecards()}
    data: dict[str, Any] = {
        "id": v.pk, "lot": v.lot_id, "method": v.method, "status": v.status, "started_at": _iso(v.started_at), "deadline": _iso(v.deadline),
        "price_basis": v.price_basis, "reference_price": v.reference_price, "valid_until": _iso(v.valid_until), "fixed_at": _iso(v.fixed_at),
        "delivered_at": _iso(v.delivered_at), "sale_due_by": _iso(rules.sale_due_by(v.fixed_at)) if v.status == "concluded" else None,
        "failure_reason": v.failure_reason, "previous": v.previous_id,
        "next": getattr(getattr(v, "next_valuation", None), "pk", None),
        "inquiries": [inquiry_dict(i) for i in inquiries],
        "quotes": [{**quote_dict(q, used=q.pk in used_ids), "record": records.get(q.inquiry.organisation.code)} for q in all_quotes],
        # B4: the rounds of the negotiation, seen by both sides and the judge (the API shows a valuation to no one else).
        "offers": [{"round": o.round, "side": o.party.side, "submitted_at": _iso(o.submitted_at), "price": o.price}
                   for o in v.offers.select_related("party").order_by("round")],
        "quotes_hidden": viewer is not None and not is_judge_of(viewer, v.lot) and not rules.quotes_visible_to_parties(v.status),
        "objections": [objection_dict(o) for o in v.objections.all()],
        "lottery": None,
    }
    lottery = getattr(v, "lottery", None)
    if lottery is not None:
        data["lottery"] = {"seed": lottery.seed or None, "candidates": lottery.candidates, "picks": lottery.picks, "drawn_at": _iso(lottery.drawn_at),
                           "draw_at": _iso(lottery.draw_at), "reveal_until": _iso(lottery.reveal_until), "beacon": lottery.beacon or None}
    return data


def objection_dict(o: Objection) -> dict[str, Any]:
    return {"id": o.pk, "valuation": o.valuation_id, "inquiry": o.inquiry_id, "side": o.party.side, "ground": o.ground, "reason": o.reason,
            "filed_at": _iso(o.filed_at), "status": o.status, "decided_at": _iso(o.decided_at), "decision_note": o.decision_note}


def valuations_of_lot(lot: Lot) -> QuerySet[Valuation]:
    return Valuation.objects.filter(lot=lot).order_by("-started_at", "-id")


def valuer_inquiries(organisation: Organisation) -> QuerySet[Inquiry]:
    """Open inquiries first (soonest deadline first), then answered/closed ones."""
    return (Inquiry.objects.filter(organisation=organisation).exclude(status=Inquiry.Status.QUEUED)
            .select_related("valuation__lot__case__court", "organisation").order_by("-sent_at", "-id"))


def valuer_inquiry_dict(i: Inquiry) -> dict[str, Any]:
    lot = i.valuation.lot
    now = clock.now()
    q = current_quote(i)
    return {
        **inquiry_dict(i), "valuation": i.valuation_id, "method": i.valuation.method,
        "open": i.status == Inquiry.Status.PENDING and i.deadline is not None and now <= i.deadline and i.valuation.status == "open",
        "seconds_left": max(0, int((i.deadline - now).total_seconds())) if i.deadline and i.status == Inquiry.Status.PENDING else 0,
        "lot": {"id": lot.pk, "title": lot.title, "category": lot.category, "category_label": lot.get_category_display(), "location": lot.location, "city": lot.city,
                "size": str(lot.size) if lot.size is not None else None, "size_unit": lot.size_unit, "year_built": lot.year_built,
                "description": lot.description, "court": lot.case.court.name, "case_number": lot.case.case_number},
        "my_quote": {"price": q.price, "valid_until": _iso(q.valid_until), "submitted_at": _iso(q.submitted_at)} if q else None,
    }


def party_cases(user) -> list[CaseParty]:
    return list(CaseParty.objects.filter(user=user).select_related("case__court"))


def party_valuations(user) -> QuerySet[Valuation]:
    case_ids = CaseParty.objects.filter(user=user).values_list("case_id", flat=True)
    return Valuation.objects.filter(lot__case_id__in=case_ids).select_related("lot__case").order_by("-started_at", "-id")


def notifications_of(user, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


# ------------------------------------------------------------------------------------------ the reference price

SOURCE_VALUATION = re.compile(r"估价#(\d+)$")


@dataclass(frozen=True)
class Reference:
    """A lot's reference price as every page tells it: the amount (the lot's field, written only through
    ``valuation.services.reference.apply_reference_price``), and where it came from: the concluded valuation it is the
    result of, or — for a price typed on the lot form or the lots API, with no valuation on this platform — "entered"."""

    price: int | None
    fixed_at: datetime | None
    valid_until: datetime | None
    source: str
    valuation: Valuation | None = None
    platforms: int | None = None

    @property
    def entered(self) -> bool:
        return self.price is not None and self.valuation is None

    @property
    def method(self) -> str | None:
        return self.valuation.method if self.valuation else None

    @property
    def method_label(self) -> str | None:
        return self.valuation.get_method_display() if self.valuation else None


def reference_of(lot: Lot) -> Reference:
    """THE read of a lot's reference price and its origin (the judge's pages, the parties', the public lot page)."""
    v = None
    if lot.reference_price is not None:
        found = SOURCE_VALUATION.search(lot.reference_price_source or "")
        if found:
            v = Valuation.objects.filter(pk=int(found.group(1)), lot=lot, status=Valuation.Status.CONCLUDED,
                                         reference_price=lot.reference_price).first()
    n = len(effective_network_quotes(v)) if v is not None and v.method == "network" else None
    return Reference(price=lot.reference_price, fixed_at=lot.reference_price_fixed_at, valid_until=lot.reference_price_valid_until,
                     source=lot.reference_price_source, valuation=v, platforms=n)


def public_basis(lot: Lot) -> dict[str, Any] | None:
    """What the public lot page may show: the reference price, how it was fixed, its validity. Nothing else."""
    ref = reference_of(lot)
    v = ref.valuation
    if v is None:
        return None
    return {"method": v.method, "method_label": v.get_method_display(), "fixed_at": v.fixed_at, "valid_until": v.valid_until,
            "reference_price": v.reference_price, "platforms": ref.platforms}


# ------------------------------------------------------------------------------------------------ the B2 steps

def method_steps(lot: Lot) -> list[dict[str, Any]]:
    """The B2 order for this lot: each method with the valuations tried in it (oldest first), why each that failed
    moved on, and which is the current one (open) — what the judge's lot valuation page shows, one method at a time."""
    tried = list(Valuation.objects.filter(lot=lot).order_by("started_at", "id"))
    labels = dict(Method.choices)
    return [{"method": m, "label": labels[m], "number": n, "valuations": [v for v in tried if v.method == m],
             "current": any(v.method == m and v.status == Valuation.Status.OPEN for v in tried)}
            for n, m in enumerate(rules.METHOD_ORDER, start=1)]


def suggested_method(lot: Lot) -> str:
    """The method a new valuation would normally take (B2): the one after the last that failed, else network."""
    last = Valuation.objects.filter(lot=lot).order_by("-started_at", "-id").first()
    if last is not None and last.status == Valuation.Status.FAILED and last.method != "appraisal":
        return rules.METHOD_ORDER[rules.METHOD_ORDER.index(last.method) + 1]
    return "network"


# --------------------------------------------------------------------------------------------------- overdue

def overdue_inquiries(now: datetime, *, court=None, organisation: Organisation | None = None) -> QuerySet[Inquiry]:
    """Inquiries whose answer was not delivered by the deadline (rules.inquiry_overdue, in SQL): the judge's dashboard
    counts them for a court, the valuer's inbox flags them for an organisation — the same rows."""
    qs = Inquiry.objects.filter(Q(status=Inquiry.Status.MISSED) | Q(status=Inquiry.Status.PENDING, deadline__lt=now))
    if court is not None:
        qs = qs.filter(valuation__lot__case__court=court)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs


# ------------------------------------------------------------------------------------------- the valuer's desk

def inquiry_dossier(inquiry: Inquiry) -> dict[str, Any]:
    """Everything about the property a valuer needs to answer (the lot's particulars and its ready media, published
    or not: the inquiry comes before the announcement), the lot's public page once published, and the report sent."""
    lot = inquiry.valuation.lot
    media: dict[str, list[dict]] = {k: [] for k in Media.Kind.values}
    for m in lot.media.filter(status=Media.Status.READY).order_by("position", "id"):
        try:
            url = lot_media.url_for(m)
        except Exception:  # storage unreachable: the page still renders
            url = None
        media[m.kind].append({"title": m.title or m.get_kind_display(), "url": url, "content_type": m.content_type})
    q = current_quote(inquiry)
    return {
        "lot": lot, "photos": media[Media.Kind.PHOTO], "videos": media[Media.Kind.VIDEO], "panoramas": media[Media.Kind.PANORAMA],
        "documents": media[Media.Kind.DOCUMENT], "published": lot.rounds.exclude(status="draft").exists(),
        "quote": q, "report_url": report_url(q.report_key) if q else None,
    }


def scorecards() -> list[dict[str, Any]]:
    """Valuers' public record (B31's data): for each inquiry platform and the built-in model, the mean absolute
    percentage error of its current (corrected) quotes against the final sale price of the lots that sold (one per
    fee award), and how many quotes it rests on. Organisations without a sold lot yet have count 0 and no error."""
    errors: dict[int, list[Fraction]] = {}
    for award in FeeAward.objects.all().only("valuation_id", "sold_price"):
        for q in current_quotes(award.valuation):
            errors.setdefault(q.inquiry.organisation_id, []).append(Fraction(abs(q.price - award.sold_price), award.sold_price))
    out = []
    for org in Organisation.objects.filter(kind=Organisation.Kind.INQUIRY_PLATFORM).order_by("code"):
        mine = errors.get(org.pk, [])
        mape = round(float(sum(mine) / len(mine) * 100), 2) if mine else None
        out.append({"code": org.code, "name": org.name, "kind": org.kind, "provider": org.provider, "count": len(mine), "mape_percent": mape})
    return out
