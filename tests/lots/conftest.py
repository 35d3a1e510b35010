"""Fixtures for the lots tests: a lot with every A13–14 disclosure, and round payloads."""

from datetime import timedelta

import pytest

from auction_site import clock

REFERENCE = 4_727_500_00  # DOMAIN.md real listing: reference 4,727,500 yuan (in fen)
START = 3_309_250_00  # 70%
DEPOSIT = 500_000_00
INCREMENT = 5_000_00

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_lot(case, **extra):
    from lots.models import Lot

    fields = dict(
        case=case, title="苏州市姑苏区平江路18号住宅", category="real_estate", description="三室两厅，建筑面积120平方米",
        location="苏州市姑苏区平江路18号", city="苏州", judgment_enforced="(2023)苏05民初45号民事判决书",
        title_status="不动产权证号 苏(2019)苏州市不动产权第0012345号", occupancy="空置", defects_and_encumbrances="无抵押",
        transfer_tax_payer="each", reference_price=REFERENCE, reference_price_source="网络询价平均值",
        reference_price_fixed_at=clock.now(), created_at=clock.now(),
    )
    fields.update(extra)
    return Lot.objects.create(**fields)


def add_photo(lot, status="ready"):
    from lots.models import Media

    return Media.objects.create(lot=lot, kind="photo", title="外观", key=f"test/{lot.pk}/{Media.objects.count()}.jpg",
                                content_type="image/jpeg", size=len(JPEG), status=status, created_at=clock.now())


def notify_parties_and_wait(judge, rnd):
    """A16: the judge records the parties' notice, then the test clock moves on the 3 days publication waits for.

    Every later time (the notice before bidding opens, A12/A26) counts from the moved clock, so a round to be
    published this way starts 3 days later than one published at once (see PARTY_NOTICE_DAYS).
    """
    from lots import services
    from lots.rules import PARTY_NOTICE_BEFORE_ANNOUNCEMENT

    services.notify_parties(judge, round_id=rnd.pk)
    clock.advance(int(PARTY_NOTICE_BEFORE_ANNOUNCEMENT.total_seconds()))
    rnd.refresh_from_db()
    return rnd


PARTY_NOTICE_DAYS = 3  # A16, lots.rules.PARTY_NOTICE_BEFORE_ANNOUNCEMENT


def round_payload(days_ahead: int = 31, hours: int = 24, **extra) -> dict:
    starts = clock.now() + timedelta(days=days_ahead)
    payload = {
        "starting_price": START, "deposit": DEPOSIT, "increment": INCREMENT,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "announcement": "苏州市中级人民法院将于网络司法拍卖平台公开拍卖下列标的物……", "balance_due_days": 10,
    }
    payload.update(extra)
    return payload


@pytest.fixture
def lot(enforcement_case):
    lot = make_lot(enforcement_case)
    add_photo(lot)
    return lot


@pytest.fixture
def judge_client(as_user, judge):
    return as_user(judge)


@pytest.fixture
def draft_round(lot, judge):
    """A valid draft round of `lot` (real estate: starts in 34 days, i.e. 31 days after a publication that
    waits the 3 days of the parties' notice, A16)."""
    from lots import services

    p = round_payload(days_ahead=31 + PARTY_NOTICE_DAYS)
    from django.utils.dateparse import parse_datetime

    return services.create_round(judge, lot=lot, starting_price=p["starting_price"], deposit=p["deposit"], increment=p["increment"], starts_at=parse_datetime(p["starts_at"]), ends_at=parse_datetime(p["ends_at"]), announcement=p["announcement"])


@pytest.fixture
def announced_round(draft_round, judge):
    """`draft_round` published after the parties' notice (A16): it opens 31 days after publication."""
    from lots import services

    notify_parties_and_wait(judge, draft_round)
    return services.publish_round(judge, round_id=draft_round.pk)
