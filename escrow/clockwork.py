"""Work the clock process does for escrow on each tick (see auction_site/ticks.py).

Idempotent and safe to run twice at once: every step locks its rows and re-checks the state, and
every provider call is preceded by a look-up of what the provider already did.
"""

import logging
from datetime import datetime, timedelta

from django.db.models import Q

from escrow import balances, rules, services
from escrow.models import BalancePayment, Deposit, Registration
from lots.models import Round

logger = logging.getLogger("escrow.clockwork")

BATCH = 200
RECHECK_EVERY = timedelta(minutes=5)  # a pending payment is asked about at most this often (webhooks come first)
# A registration whose deposit has no provider payment yet is left this long to the request that is
# asking the provider for it, before the clock asks again.
NO_PAYMENT_GRACE = timedelta(minutes=1)


def tick(now: datetime) -> dict:
    report = {"rechecked": 0, "held": 0, "cancelled": 0, "payments_started": 0, "payment_errors": 0, "applied": 0,
              "released": 0, "release_errors": 0, "balances_paid": 0, "defaulted": 0}
    _without_payment(now, report)
    _recheck_pending(now, report)
    _dispose_held(now, report)
    _recheck_balances(report)
    _defaults(now, report)
    return {k: v for k, v in report.items() if v}


def _without_payment(now: datetime, report: dict) -> None:
    """Pending registrations whose deposit never got a provider payment (the provider failed while the
    bidder registered): asked for again while the round takes registrations (A17), cancelled once the
    round is over (nothing was ever charged). None is left pending for ever."""
    over = Q(registration__round__status__in=list(rules.FINISHED_STATUSES | {"withdrawn"})) | Q(registration__round__ends_at__lte=now)
    stuck = (Deposit.objects.select_related("registration__round")
             .filter(registration__status=Registration.Status.PENDING, payment_intent_id__isnull=True,
                     created_at__lte=now - NO_PAYMENT_GRACE)
             .filter(over | (Q(registration__round__status__in=list(rules.REGISTRATION_STATUSES))
                             & (Q(checked_at__isnull=True) | Q(checked_at__lt=now - RECHECK_EVERY))))
             .order_by("pk")[:BATCH])
    for d in stuck:
        rnd = d.registration.round
        try:
            if rnd.status in rules.FINISHED_STATUSES or rnd.status == Round.Status.WITHDRAWN or now >= rnd.ends_at:
                if services.cancel_without_payment(d.registration_id, reason=f"no payment; round {rnd.status}"):
                    report["cancelled"] += 1
            elif rules.check_registration_open(rnd.status, rnd.ends_at, now) is None and services.retry_payment(d, now):
                report["payments_started"] += 1
        except Exception:  # the provider still down: tried again after RECHECK_EVERY
            logger.warning("payment of deposit %s could not be started", d.pk, exc_info=True)
            report["payment_errors"] += 1


def _recheck_pending(now: datetime, report: dict) -> None:
    """Pending deposits: ask the provider (a lost webhook or a crash must not lose a payment)."""
    pending = (Deposit.objects.select_related("registration__round")
               .filter(registration__status=Registration.Status.PENDING, payment_intent_id__isnull=False)
               .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=now - RECHECK_EVERY)
                       | Q(registration__round__status__in=list(rules.FINISHED_STATUSES | {"withdrawn"}))
                       | Q(registration__round__ends_at__lte=now))
               .order_by("pk")[:BATCH])
    for d in pending:
        rnd = d.registration.round
        finished = rnd.status in rules.FINISHED_STATUSES or rnd.status == Round.Status.WITHDRAWN or now >= rnd.ends_at
        try:
            outcome = services.cancel_unpaid(d) if finished else services.sync_deposit(None, deposit=d)
        except Exception:  # one provider hiccup must not stop the tick
            logger.warning("re-check of deposit %s failed", d.pk, exc_info=True)
            continue
        report["rechecked"] += 1
        if outcome == "held":
            report["held"] += 1
        elif outcome == "cancelled":
            report["cancelled"] += 1


def _dispose_held(now: datetime, report: dict) -> None:
    """A23/A25/A28: apply the winner's deposit; release every other held deposit of a finished round."""
    statuses = list(rules.FINISHED_STATUSES | {"withdrawn", "suspended"})
    held = (Deposit.objects.select_related("registration__round")
            .filter(registration__status=Registration.Status.HELD, registration__round__status__in=statuses)
            .order_by("pk")[:BATCH])
    for d in held:
        reg = d.registration
        rnd = reg.round
        what = rules.deposit_disposition(rnd.status, rnd.leader_id == reg.pk, rnd.suspended_at, now,
                                         has_leader=rnd.leader_id is not None)
        try:
            if what == "apply":
                if services.apply_winner_deposit(None, reg=reg):
                    report["applied"] += 1
                    if rnd.kind == Round.Kind.SELLOFF:  # A26/A37: the full price was held, nothing is left to pay
                        balances.mark_paid_if_covered(rnd.pk, actor="clock")
            elif what == "release":
                outcome = services.release_deposit(None, deposit=d, reason=f"round {rnd.status}")
                if outcome == services.Release.RELEASED:
                    report["released"] += 1
                elif outcome in {services.Release.ERROR, services.Release.FAILED}:
                    report["release_errors"] += 1
        except Exception:
            logger.warning("disposal of deposit %s failed", d.pk, exc_info=True)
            report["release_errors"] += 1


def _recheck_balances(report: dict) -> None:
    pending = BalancePayment.objects.filter(status=BalancePayment.Status.PENDING, payment_intent_id__isnull=False,
                                            round__status=Round.Status.SOLD).order_by("pk")[:BATCH]
    for bp in pending:
        try:
            if balances.sync_balance_payment(None, bp=bp) == "paid":
                report["balances_paid"] += 1
        except Exception:
            logger.warning("re-check of balance payment %s failed", bp.pk, exc_info=True)


def _defaults(now: datetime, report: dict) -> None:
    due = Round.objects.filter(status=Round.Status.SOLD, balance_due_at__lt=now).values_list("pk", flat=True)[:BATCH]
    for pk in due:
        if balances.default_round(pk, now):
            report["defaulted"] += 1
