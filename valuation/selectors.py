"""Reads of the valuation app: what the judge, the parties, the valuers and the public see."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from auction_site import clock
from lots.access import is_judge_of
from lots.models import CaseParty, Lot
from valuation import rules
from valuation.models import FeeAward, Inquiry, Notification, Objection, Organisation, Quote, Valuation


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


def public_basis(lot: Lot) -> dict[str, Any] | None:
    """What the public lot page may show: the reference price, how it was fixed, its validity. Nothing else."""
    v = (Valuation.objects.filter(lot=lot, status=Valuation.Status.CONCLUDED, reference_price=lot.reference_price)
         .order_by("-fixed_at", "-id").first()) if lot.reference_price else None
    if v is None:
        return None
    n = None
    if v.method == "network":
        n = len(effective_network_quotes(v))
    return {"method": v.method, "method_label": v.get_method_display(), "fixed_at": v.fixed_at, "valid_until": v.valid_until,
            "reference_price": v.reference_price, "platforms": n}


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
