"""Fixtures of settlement tests: a sold round built through the models, money through the ledger."""

from datetime import timedelta

import pytest
from django.db import transaction

from auction_site import clock
from escrow import ledger
from escrow.ledger import Line


def make_lot(case, title="苏州市姑苏区某小区1幢101室", category="real_estate", tax_payer="each"):
    from lots.models import Lot

    return Lot.objects.create(case=case, title=title, category=category, location="苏州市姑苏区",
                              transfer_tax_payer=tax_payer, reference_price=472_750_000, created_at=clock.now())


def make_round(lot, *, number=1, start=330_925_000, deposit=50_000_000, increment=500_000, status="draft", **extra):
    from lots.models import Round

    now = clock.now()
    starts = extra.pop("starts_at", now - timedelta(days=2))
    ends = extra.pop("ends_at", now - timedelta(days=1))
    return Round.objects.create(lot=lot, number=number, starting_price=start, deposit=deposit, increment=increment,
                                starts_at=starts, ends_at=ends, scheduled_ends_at=ends, status=status,
                                created_at=now, **extra)


def register(round, user, code):
    from escrow.models import Registration

    return Registration.objects.create(round=round, bidder=user, status="held", code=code, created_at=clock.now(),
                                       held_at=clock.now())


def add_bid(round, reg, amount, seq):
    from bidding.models import Bid

    return Bid.objects.create(round=round, registration=reg, seq=seq, amount=amount, placed_at=clock.now())


def sell(round, winner_reg, price, *, bids=None):
    """Close a round as sold to `winner_reg` at `price` (what bidding's closer does)."""
    now = clock.now()
    round.status = "sold"
    round.leader_id, round.leader_code = winner_reg.pk, winner_reg.code or ""
    round.sold_price = price
    round.current_price = price
    round.closed_at = now
    round.balance_due_at = now + timedelta(days=10)
    round.bid_count = bids or 0
    round.save()
    return round


def credit_case(case, round, amount, kind="balance_paid", key=None):
    """Money arriving for the case: debit the provider cash, credit the case account."""
    with transaction.atomic():
        return ledger.post(kind, [Line(ledger.provider_cash_account(), debit=amount), Line(ledger.case_account(case), credit=amount)],
                           case=case, round=round, idempotency_key=key)


def pay_in_full(round):
    """Deposit applied + balance paid: the whole price sits in the case account; the round is `paid`."""
    case = round.lot.case
    credit_case(case, round, round.deposit, kind="deposit_applied", key=f"t:dep:{round.pk}")
    credit_case(case, round, round.sold_price - round.deposit, kind="balance_paid", key=f"t:bal:{round.pk}")
    round.status = "paid"
    round.save(update_fields=["status"])
    return round


@pytest.fixture(autouse=True)
def s3_bucket(settings):
    """The moto S3 server starts empty: create the media bucket (idempotent)."""
    if not settings.MEDIA_USES_S3:
        return
    import boto3

    s3 = boto3.client("s3", endpoint_url=settings.AWS_S3_ENDPOINT_URL, region_name=settings.AWS_S3_REGION_NAME,
                      aws_access_key_id=settings.AWS_ACCESS_KEY_ID, aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY)
    try:
        s3.create_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass


@pytest.fixture
def sold_round(enforcement_case, bidder_factory):
    lot = make_lot(enforcement_case)
    rnd = make_round(lot, status="closed")
    a = register(rnd, bidder_factory(real_name="张伟"), "A7K2")
    b = register(rnd, bidder_factory(real_name="李娜"), "B9Q4")
    add_bid(rnd, a, 330_925_000, 1)
    add_bid(rnd, b, 331_425_000, 2)
    add_bid(rnd, a, 331_925_000, 3)
    return sell(rnd, a, 331_925_000, bids=3)


@pytest.fixture
def paid_round(sold_round):
    return pay_in_full(sold_round)
