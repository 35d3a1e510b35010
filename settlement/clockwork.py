"""Work the clock process does for this app on each tick (see auction_site/ticks.py).

1. Sale documents (A22): a confirmation for every sold round, the draft ruling once paid. One per
   round and kind (unique constraint + a row lock), so two ticks at once make one document.
2. The report-back outbox: due messages are sent with retries and exponential backoff.
"""

import logging
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from auction_site import clock
from lots.models import Round
from settlement import documents, rules, services
from settlement.models import SaleDocument

logger = logging.getLogger("settlement.clockwork")


def rounds_missing_documents():
    """Rounds whose due documents are not all there yet."""
    def has(kind: str) -> Exists:
        return Exists(SaleDocument.objects.filter(round=OuterRef("pk"), kind=kind))

    return (
        Round.objects.filter(status__in=rules.CONFIRMATION_STATUSES, leader_id__isnull=False, sold_price__isnull=False)
        .filter(~has("confirmation") | (Q(status__in=rules.RULING_STATUSES) & ~has("ruling")))
        .order_by("id")
    )


def generate_documents(limit: int = 100) -> dict:
    made = errors = 0
    for round in rounds_missing_documents()[:limit]:
        for kind in rules.documents_due(round.status):
            try:
                before = round.sale_documents.filter(kind=kind).exists()
                services.generate_document(round.pk, kind)
                made += 0 if before else 1
            except documents.FontMissing as exc:
                # A misconfigured machine: say so loudly, keep the rest of the clock running.
                logger.error("sale documents cannot be generated: %s", exc)
                return {"documents_generated": made, "document_errors": errors + 1, "font_missing": str(exc)}
            except Exception:  # one bad round must not stop the others; it is retried next tick
                logger.exception("could not generate %s for round %s", kind, round.pk)
                errors += 1
    return {"documents_generated": made, "document_errors": errors}


def tick(now: datetime | None) -> dict:
    now = now or clock.now()
    report = generate_documents()
    report.update(services.deliver_due(now))
    return report
