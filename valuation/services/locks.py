"""Row locks of the valuation app: the one place they are taken, and the order they are taken in.

Every lock is on valuation's own rows only (``of=("self",)``: a lot, case, court, organisation or user row read
along with them is not locked) and is FOR NO KEY UPDATE (``no_key=True``: rows that merely point at a locked row, such
as a new quote or inquiry, are not held up). A transaction takes them in this order, never the other way round:

1. the ``Valuation`` — the aggregate: its row lock also serialises its audit chain (``audit.record(chain=valuation)``);
2. its ``Inquiry`` rows;
3. an ``Objection``;
and, for an organisation's records, the ``Organisation`` and then its ``Valuer`` rows.

What another app locks inside a valuation's transaction comes after these: ``lots.services.set_reference_price``
locks the lot's row when a result becomes the lot's reference price. No lock is held while an outside provider is
called: HTTP inquiries and e-mails are outbox messages sent after commit (services/outbox.py), which claim a message
with a lease in one statement and hold no lock while they send.
"""

from __future__ import annotations

from django.db.models import QuerySet

from auction_site.errors import NotFound
from valuation.models import Inquiry, Objection, Organisation, Valuation, Valuer

_SELF = ("self",)


def valuations(*, skip_locked: bool = False) -> QuerySet[Valuation]:
    """Valuations locked as they are read (1st in the order); `skip_locked` for the clock, which retries next tick."""
    return Valuation.objects.select_for_update(of=_SELF, no_key=True, skip_locked=skip_locked)


def valuation(valuation_id: int) -> Valuation:
    """Lock one valuation (the aggregate) or refuse with 404."""
    found = valuations().filter(pk=valuation_id).first()
    if found is None:
        raise NotFound("估价不存在 / no such valuation")
    return found


def inquiries(*, skip_locked: bool = False) -> QuerySet[Inquiry]:
    """Inquiries locked as they are read (2nd: after their valuation). The organisation may be joined, it is not locked."""
    return Inquiry.objects.select_for_update(of=_SELF, no_key=True, skip_locked=skip_locked)


def inquiry(inquiry_id: int) -> Inquiry:
    return inquiries().select_related("organisation").get(pk=inquiry_id)


def inquiries_of(valuation: Valuation) -> QuerySet[Inquiry]:
    return inquiries().filter(valuation=valuation)


def objection(objection_id: int) -> Objection:
    """3rd: after the valuation and the inquiry the objection is about."""
    return Objection.objects.select_for_update(of=_SELF, no_key=True).get(pk=objection_id)


def organisation(organisation_id: int) -> Organisation:
    """An organisation's own aggregate (its valuer accounts): its row lock serialises its audit chain."""
    return Organisation.objects.select_for_update(of=_SELF, no_key=True).get(pk=organisation_id)


def valuers() -> QuerySet[Valuer]:
    """Valuer rows locked as they are read (after their organisation)."""
    return Valuer.objects.select_for_update(of=_SELF, no_key=True)
