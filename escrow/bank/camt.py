"""Writing an ISO 20022 camt.053 (or camt.054) statement: what the sandbox bank sends, and what the
tests import. Built with lxml's element factory in the order of the ISO 20022 example statement
(group header; statement with account, opening and closing balances; entries with their details)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lxml import etree
from lxml.builder import ElementMaker

from escrow.bank.statements import Entry

NAMESPACES = {"camt.053": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
              "camt.054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"}


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def build(*, account_number: str, account_name: str, entries: Iterable[Entry], opening: int = 0, message_id: str,
          created_at: datetime, statement_id: str | None = None, fmt: str = "camt.053", currency: str = "CNY") -> bytes:
    entries = list(entries)
    x = ElementMaker(namespace=NAMESPACES[fmt], nsmap={None: NAMESPACES[fmt]})
    closing = opening + sum(e.amount if e.direction == "CRDT" else -e.amount for e in entries)
    day = created_at.date().isoformat()

    def balance(code: str, fen: int):
        return x.Bal(x.Tp(x.CdOrPrtry(x.Cd(code))), x.Amt(yuan(abs(fen)), Ccy=currency),
                     x.CdtDbtInd("CRDT" if fen >= 0 else "DBIT"), x.Dt(x.Dt(day)))

    def entry(e: Entry):
        credit = e.direction == "CRDT"
        other = (x.Dbtr(x.Nm(e.payer_name or "-")),) if credit else (x.Cdtr(x.Nm(e.payer_name or "-")),)
        other_acct = (x.DbtrAcct(x.Id(x.Othr(x.Id(e.payer_account)))),) if credit and e.payer_account else \
            (x.CdtrAcct(x.Id(x.Othr(x.Id(e.payer_account)))),) if e.payer_account else ()
        ours = (x.CdtrAcct(x.Id(x.Othr(x.Id(e.payee_account)))),) if credit and e.payee_account else ()
        parties = x.RltdPties(*other, *other_acct, *ours)
        parts = [x.NtryRef(e.entry_ref), x.Amt(yuan(e.amount), Ccy=currency), x.CdtDbtInd(e.direction)]
        if e.reversal:
            parts.append(x.RvslInd("true"))
        booked = (e.booked_at or created_at).isoformat(timespec="seconds")
        parts += [x.Sts("BOOK"), x.BookgDt(x.DtTm(booked)), x.ValDt(x.Dt(booked[:10])), x.AcctSvcrRef(e.entry_ref),
                  x.BkTxCd(x.Domn(x.Cd("PMNT"), x.Fmly(x.Cd("RCDT" if credit else "ICDT"), x.SubFmlyCd("DMCT")))),
                  x.NtryDtls(x.TxDtls(
                      x.Refs(x.EndToEndId(e.end_to_end_id or "NOTPROVIDED")),
                      x.AmtDtls(x.TxAmt(x.Amt(yuan(e.amount), Ccy=currency))),
                      parties,
                      x.RmtInf(x.Ustrd(e.remittance or "-")),
                  ))]
        return x.Ntry(*parts)

    acct = x.Acct(x.Id(x.Othr(x.Id(account_number))), x.Ccy(currency), x.Nm(account_name))
    body_tag = "BkToCstmrStmt" if fmt == "camt.053" else "BkToCstmrDbtCdtNtfctn"
    stmt_tag = "Stmt" if fmt == "camt.053" else "Ntfctn"
    stamp = created_at.isoformat(timespec="seconds")
    balances = [balance("OPBD", opening), balance("CLBD", closing)] if fmt == "camt.053" else []
    doc = x.Document(getattr(x, body_tag)(
        x.GrpHdr(x.MsgId(message_id), x.CreDtTm(stamp)),
        getattr(x, stmt_tag)(x.Id(statement_id or message_id), x.CreDtTm(stamp), acct, *balances, *[entry(e) for e in entries]),
    ))
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
