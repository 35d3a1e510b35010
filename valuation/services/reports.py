"""Valuation and inquiry reports (PDF) in object storage: checked by their first bytes and size, kept per inquiry."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.files.storage import default_storage

from auction_site.errors import DomainError, ErrorCode
from valuation import rules
from valuation.access import ensure_valuer_of
from valuation.models import Inquiry
from valuation.services.refusals import refuse

REPORT_PREFIX = "valuation/reports"


def _key_for(inquiry: Inquiry, name: str) -> str:
    return f"{REPORT_PREFIX}/inquiry-{inquiry.pk}/{secrets.token_hex(8)}-{name}"


def store_report(actor: Any, /, *, inquiry: Inquiry, uploaded: Any) -> tuple[str, int]:
    """Check an uploaded report is a real PDF (magic bytes, size) and store it in object storage -> (key, size)."""
    if actor is not None:
        ensure_valuer_of(actor, inquiry)
    size = int(getattr(uploaded, "size", 0) or 0)
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    refuse(rules.check_report_pdf(head, size))
    key = default_storage.save(_key_for(inquiry, "report.pdf"), uploaded)
    return key, size


def discard_report(key: str) -> None:
    """Drop a report stored for an answer that was refused."""
    default_storage.delete(key)


def check_report_key(inquiry: Inquiry, key: str) -> int:
    """A report uploaded earlier for THIS inquiry (key under its prefix) that is a real PDF -> its size."""
    if not key.startswith(f"{REPORT_PREFIX}/inquiry-{inquiry.pk}/") or ".." in key:
        raise DomainError(ErrorCode.REPORT_KEY_INVALID, "报告文件不属于该询价 / the report key does not belong to this inquiry", field="report")
    if not default_storage.exists(key):
        raise DomainError(ErrorCode.REPORT_MISSING, "报告文件不存在 / no report stored under this key", field="report")
    size = default_storage.size(key)
    with default_storage.open(key, "rb") as fh:
        head = fh.read(8)
    refuse(rules.check_report_pdf(head, size))
    return size
