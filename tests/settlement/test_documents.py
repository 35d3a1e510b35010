"""Sale documents (A22): a PDF with Chinese text, in object storage, one per round and kind."""

import io

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from auction_site.money import capital
from settlement import clockwork, documents, services
from settlement.models import SaleDocument

pytestmark = pytest.mark.django_db


def pdf_text(doc: SaleDocument) -> str:
    with default_storage.open(doc.storage_key, "rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_confirmation_pdf_carries_buyer_price_in_figures_and_capitals_and_case_number(sold_round):
    report = clockwork.tick(None)
    assert report["documents_generated"] == 1
    doc = SaleDocument.objects.get(round=sold_round, kind="confirmation")
    text = pdf_text(doc).replace("\n", "")
    assert "张伟" in text
    assert "A7K2" in text
    assert "3,319,250.00" in text
    assert capital(331_925_000) in text  # 叁佰叁拾壹万玖仟贰佰伍拾元整
    assert "叁佰叁拾壹万玖仟贰佰伍拾元整" in text
    assert "(2024)苏05执123号" in text
    assert "江苏省苏州市中级人民法院" in text
    assert "李娜" not in text  # the losing bidder stays anonymous
    # No ruling before the price is paid.
    assert not SaleDocument.objects.filter(round=sold_round, kind="ruling").exists()


def test_documents_are_generated_once_however_often_the_clock_ticks(paid_round):
    clockwork.tick(None)
    clockwork.tick(None)
    assert SaleDocument.objects.filter(round=paid_round).count() == 2
    assert clockwork.tick(None)["documents_generated"] == 0
    ruling = SaleDocument.objects.get(round=paid_round, kind="ruling")
    text = pdf_text(ruling).replace("\n", "")
    assert "拍卖成交裁定" in text and "张伟" in text and "(2024)苏05执123号" in text


def test_documents_are_in_object_storage_with_signed_urls(sold_round, settings):
    doc = services.generate_due_documents(sold_round)[0]
    url = services.document_url(doc)
    if settings.MEDIA_USES_S3:
        assert "Signature=" in url or "X-Amz-Signature=" in url
        import urllib.request

        with urllib.request.urlopen(url) as resp:  # the signed URL serves the PDF from the S3 server
            assert resp.read(4) == b"%PDF"
    assert default_storage.exists(doc.storage_key)


def test_missing_font_fails_with_a_clear_error(sold_round, settings):
    from reportlab.pdfbase import pdfmetrics

    settings.SETTLEMENT_CJK_FONT = "/nonexistent/wqy-zenhei.ttc"
    registered = pdfmetrics._fonts.pop(documents.FONT_NAME, None)
    try:
        with pytest.raises(documents.FontMissing, match="fonts-wqy-zenhei"):
            documents.render_confirmation(services.sale_facts(sold_round))
        report = clockwork.tick(None)
        assert "fonts-wqy-zenhei" in report["font_missing"]
        assert not SaleDocument.objects.exists()
    finally:
        if registered is not None:
            pdfmetrics._fonts[documents.FONT_NAME] = registered


def test_no_document_for_a_round_without_a_deal(enforcement_case):
    from tests.settlement.conftest import make_lot, make_round

    rnd = make_round(make_lot(enforcement_case), status="failed")
    clockwork.tick(None)
    assert not SaleDocument.objects.filter(round=rnd).exists()
