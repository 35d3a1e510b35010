"""Demo data of settlement, loaded by `manage.py load_demo` after lots, valuation, escrow and bidding.

Generates the sale documents (A22) of every demo round that has a deal, so the lot pages, the
judge's pages and the dashboard show something. Works on SQLite with local file storage.
"""

from lots.models import Round
from settlement import documents, rules, services


def load(stdout=None) -> None:
    made = 0
    rounds = (Round.objects.filter(status__in=rules.CONFIRMATION_STATUSES, leader__isnull=False, sold_price__isnull=False)
              .order_by("id"))
    for rnd in rounds:
        try:
            made += len(services.generate_due_documents(rnd))
        except documents.FontMissing as exc:
            if stdout:
                stdout.write(f"settlement: sale documents skipped: {exc}")
            return
    if stdout:
        stdout.write(f"settlement: {made} sale documents generated for {rounds.count()} sold rounds")
