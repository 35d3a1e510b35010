"""The bank path's part of the clock (after escrow's own tick, auction_site/ticks.py).

- A23/A28: bank deposits the round no longer needs get their refund instructions (each credit back
  to its source account), so do partial deposits of rounds that can no longer be completed;
- a sold round whose price is covered (a sell-off's full price held, A26/A37) becomes paid;
- in the embedded sandbox, the sandbox bank carries out the instructions and sends its statement.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from escrow import rules
from escrow.bank import sandbox, services
from escrow.models import Deposit, Registration
from lots.models import Round

logger = logging.getLogger("escrow.bank.clockwork")
BATCH = 200
Status = Registration.Status


def tick(now: datetime) -> dict:
    report = {"release_instructed": 0, "paid": 0, "sandbox_executed": 0}
    finished = list(rules.FINISHED_STATUSES | {"withdrawn", "suspended"})
    bank = (Deposit.objects.select_related("registration__round")
            .filter(provider=services.BANK, registration__round__status__in=finished, refund_requested_at__isnull=True)
            .filter(Q(registration__status=Status.HELD) | Q(registration__status__in=[Status.PENDING, Status.CANCELLED]))
            .order_by("pk")[:BATCH])
    for d in bank:
        reg, rnd = d.registration, d.registration.round
        if reg.status == Status.HELD:
            what = rules.deposit_disposition(rnd.status, rnd.leader_id == reg.pk, rnd.suspended_at, now, has_leader=rnd.leader_id is not None)
        else:  # a partial deposit: the round no longer takes it
            what = "release" if rnd.status != "suspended" else "keep"
        if what != "release":
            continue
        try:
            report["release_instructed"] += services.instruct_release("clock", registration_id=reg.pk, reason=f"round {rnd.status}")
        except Exception:
            logger.warning("release instruction for registration %s failed", reg.pk, exc_info=True)
    sold = (Round.objects.filter(status=Round.Status.SOLD, registrations__deposit__provider=services.BANK)
            .values_list("pk", flat=True).distinct()[:BATCH])
    for pk in sold:
        if services.settle_if_paid("clock", round_id=pk):
            report["paid"] += 1
    if settings.BANK_SANDBOX:
        report["sandbox_executed"] = sandbox.execute_instructions(None)
    return {k: v for k, v in report.items() if v}
