"""Fixtures for the valuation tests: a lot with both parties, platforms, an agency, institutions and their valuers."""

from datetime import timedelta
from decimal import Decimal

import pytest

from auction_site import clock
from tests.conftest import make_user

VALUER_PASSWORD = "pass-1234-word"


def pdf_bytes(pages: int = 1) -> bytes:
    """A small real PDF drawn with reportlab (a valuation report stand-in)."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        c.drawString(72, 720, f"Valuation report page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _bucket(db):
    from lots.media import ensure_bucket

    ensure_bucket()


@pytest.fixture
def lot(enforcement_case):
    from lots.models import Lot

    return Lot.objects.create(case=enforcement_case, title="苏州市姑苏区干将西路1号1201室", category="real_estate", city="苏州",
                              location="苏州市姑苏区干将西路1号", size=Decimal("98.50"), year_built=2008, description="住宅",
                              created_at=clock.now(), seized_at=clock.now())


@pytest.fixture
def parties(enforcement_case):
    from lots.models import CaseParty

    applicant = make_user("applicant1", "party", real_name="苏州银行股份有限公司", email="bank@example.com")
    debtor = make_user("debtor1", "party", real_name="张三", email="zhangsan@example.com")
    CaseParty.objects.create(case=enforcement_case, side="applicant", name=applicant.real_name, user=applicant)
    CaseParty.objects.create(case=enforcement_case, side="respondent", name=debtor.real_name, user=debtor)
    return applicant, debtor


def _org(code, kind, name, provider="portal", **extra):
    from valuation.models import Organisation

    return Organisation.objects.create(code=code, kind=kind, name=name, provider=provider, **extra)


def _valuer(username, org):
    from valuation.services import join_organisation

    user = make_user(username, "bidder", real_name=username, email=f"{username}@example.com")
    join_organisation(user, organisation_code=org.code)
    user.refresh_from_db()
    return user


@pytest.fixture
def platforms(db):
    """Three portal inquiry platforms, each with one valuer account: [(org, user), ...]."""
    out = []
    for n in (1, 2, 3):
        org = _org(f"P{n}", "inquiry_platform", f"询价平台{n}")
        out.append((org, _valuer(f"valuer_p{n}", org)))
    return out


@pytest.fixture
def agency(db):
    org = _org("AG1", "agency", "苏州市税务评估中心")
    return org, _valuer("valuer_agency", org)


@pytest.fixture
def institutions(db):
    out = []
    for n in range(1, 6):
        org = _org(f"I{n:02d}", "appraisal_institution", f"评估机构{n}")
        out.append((org, _valuer(f"valuer_i{n}", org)))
    return out


@pytest.fixture
def start(judge, as_user):
    """start(lot, method, **body) -> the JSON of the new valuation via the API (201 asserted)."""

    def go(lot, method, **body):
        r = as_user(judge).post(f"/api/v1/lots/{lot.pk}/valuations/", {"method": method, **body}, format="json")
        assert r.status_code == 201, r.json()
        return r.json()

    return go


@pytest.fixture
def quote(as_user):
    """quote(user, inquiry_id, price, days=90) -> the response of a valuer answering with a real PDF report."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def go(user, inquiry_id, price, days=90, report=None, **extra):
        data = {"price": str(price), "valid_until": (clock.now() + timedelta(days=days)).isoformat(),
                "report": SimpleUploadedFile("report.pdf", report if report is not None else pdf_bytes(), content_type="application/pdf")}
        data.update(extra)
        return as_user(user).post(f"/api/v1/valuer/inquiries/{inquiry_id}/quote/", data, format="multipart")

    return go


def inquiry_of(valuation_json, org_code):
    return next(i["id"] for i in valuation_json["inquiries"] if i["organisation"] == org_code)
