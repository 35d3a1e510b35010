"""Payment instruction files: ISO 20022 pain.001 (customer credit transfer initiation).

One interface, `PaymentFileWriter.write(debtor, transfers) -> bytes`. The implementation here is
`Pain001Writer`: the document is encoded by xmlschema from plain data and validated against the
pain.001.001.03 XSD as it is encoded (the schema file that sepaxml ships), so a file we hand to the
bank always conforms. Chinese accounts are plain numbers: they go under Id/Othr/Id, not IBAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Protocol

from escrow.bank.camt import yuan

PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"


@dataclass(frozen=True)
class Party:
    name: str
    account: str


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: int  # fen
    creditor: Party
    remittance: str


class PaymentFileWriter(Protocol):
    def write(self, *, message_id: str, created_at: datetime, execute_on: date, debtor: Party, transfers: list[Transfer]) -> bytes: ...


@lru_cache(maxsize=1)
def _schema():
    import xmlschema  # imported when a payment file is written: not on every process start

    return xmlschema.XMLSchema(str(resources.files("sepaxml") / "schemas" / "pain.001.001.03.xsd"))


def _text(value: str, limit: int) -> str:
    return (value or "-")[:limit]


class Pain001Writer:
    currency = "CNY"

    def write(self, *, message_id: str, created_at: datetime, execute_on: date, debtor: Party, transfers: list[Transfer]) -> bytes:
        if not transfers:
            raise ValueError("a payment file needs at least one transfer")
        total = yuan(sum(t.amount for t in transfers))
        data = {"CstmrCdtTrfInitn": {
            "GrpHdr": {"MsgId": _text(message_id, 35), "CreDtTm": created_at.replace(microsecond=0, tzinfo=None).isoformat(),
                       "NbOfTxs": str(len(transfers)), "CtrlSum": total, "InitgPty": {"Nm": _text(debtor.name, 140)}},
            "PmtInf": [{
                "PmtInfId": _text(message_id, 35), "PmtMtd": "TRF", "NbOfTxs": str(len(transfers)), "CtrlSum": total,
                "ReqdExctnDt": execute_on.isoformat(),
                "Dbtr": {"Nm": _text(debtor.name, 140)},
                "DbtrAcct": {"Id": {"Othr": {"Id": debtor.account}}, "Ccy": self.currency},
                "DbtrAgt": {"FinInstnId": {"Othr": {"Id": "NOTPROVIDED"}}},
                "CdtTrfTxInf": [{
                    "PmtId": {"EndToEndId": _text(t.end_to_end_id, 35)},
                    "Amt": {"InstdAmt": {"$": yuan(t.amount), "@Ccy": self.currency}},
                    "Cdtr": {"Nm": _text(t.creditor.name, 140)},
                    "CdtrAcct": {"Id": {"Othr": {"Id": t.creditor.account}}},
                    "RmtInf": {"Ustrd": [_text(t.remittance, 140)]},
                } for t in transfers],
            }],
        }}
        el = _schema().encode(data, namespaces={"": PAIN001_NS})  # raises if the document would not validate
        import xmlschema

        body = xmlschema.etree_tostring(el, namespaces={"": PAIN001_NS})
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def writer() -> PaymentFileWriter:
    return Pain001Writer()


def validate(content: bytes) -> None:
    """Raise when `content` is not a valid pain.001.001.03 document (tests, and the bank's side of the sandbox)."""
    _schema().validate(content.decode("utf-8") if isinstance(content, bytes) else content)
