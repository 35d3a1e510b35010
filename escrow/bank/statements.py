"""Reading bank statements: ISO 20022 camt.053 / camt.054 (pycamt) and SWIFT MT940 (mt-940).

Both libraries do the parsing; this module only maps what they return onto one shape
(`Statement` with its `Entry`s, amounts in integer fen) and refuses what cannot be trusted: a
malformed or truncated file, a currency other than CNY, an amount that is not a positive number of
fen, an entry without the bank's reference. Any refusal is a `StatementError` (400) and the import
books nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import mt940
from lxml import etree
from pycamt.parser import Camt053ParseError, Camt053Parser

from auction_site.errors import DomainError, ErrorCode

SHANGHAI = ZoneInfo("Asia/Shanghai")
CURRENCY = "CNY"
_AMOUNT = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")


class StatementError(DomainError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message, status=400)


@dataclass(frozen=True)
class Entry:
    entry_ref: str  # the bank's reference of the entry: imports are idempotent by it
    direction: str  # CRDT (into the case account) | DBIT (out of it)
    amount: int  # fen, > 0
    reversal: bool = False
    booked_at: datetime | None = None
    remittance: str = ""  # what the payer wrote (our payment reference is looked for in it)
    end_to_end_id: str = ""  # on our own transfers: the pain.001 EndToEndId
    payer_name: str = ""
    payer_account: str = ""  # the debtor account of a credit: refunds go back here, never elsewhere
    payee_account: str = ""  # the creditor account of a credit: a virtual sub-account, if any


@dataclass
class Statement:
    format: str
    message_id: str
    statement_id: str
    account_number: str
    opening_balance: int | None = None
    closing_balance: int | None = None
    closing_date: date | None = None
    entries: list[Entry] = field(default_factory=list)


def to_fen(text: str | Decimal | None, *, what: str = "金额", signed: bool = False) -> int:
    """'2357502.00' → 235750200. Refuses negative (unless `signed`), zero, fractions of a fen, junk."""
    raw = str(text if text is not None else "").strip()
    negative = signed and raw.startswith("-")
    body = raw[1:] if negative else raw
    if not _AMOUNT.match(body):
        try:  # pycamt writes a debit balance as str(-float): '-12.5'
            dec = Decimal(body)
        except InvalidOperation:
            dec = None
        if dec is None or dec != dec.quantize(Decimal("0.01")) or dec < 0:
            raise StatementError(ErrorCode.INVALID_AMOUNT, f"{what}不是有效金额：{raw!r} / not a valid amount of fen: {raw!r}")
        body = str(dec.quantize(Decimal("0.01")))
    fen = int(Decimal(body) * 100)
    if not signed and fen <= 0:
        raise StatementError(ErrorCode.INVALID_AMOUNT, f"{what}必须大于零：{raw!r} / the amount must be positive: {raw!r}")
    return -fen if negative else fen


def _booked_at(text: str | None) -> datetime | None:
    """A date-time as given; a date alone counts from the start of that day in Shanghai (the bank's day)."""
    if not text:
        return None
    try:
        if "T" in text:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
        return datetime.combine(date.fromisoformat(text[:10]), time.min, tzinfo=SHANGHAI)
    except ValueError:
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"日期无效：{text!r} / invalid booking date {text!r}")


def _given(text: str | None) -> str:
    """A field's text, with the placeholders banks write for 'none' ('NOTPROVIDED', '-') as empty."""
    text = (text or "").strip()
    return "" if text in {"-", "NOTPROVIDED", "NONREF"} else text


# --- ISO 20022 camt.053 / camt.054 -------------------------------------------------------------------

class _CamtParser(Camt053Parser):
    """pycamt's parser, taught camt.054 notifications and non-IBAN account ids (Chinese accounts are
    plain numbers under Acct/Id/Othr/Id), which its own extraction leaves out."""

    def _find_statements_or_reports(self):
        for xmlpath in (".//Stmt", ".//Rpt", ".//Ntfctn"):
            found = self.tree.findall(xmlpath, self.namespaces)
            if found:
                return found
        raise Camt053ParseError()

    def _extract_common_entry_data(self, entry, statement):
        data = super()._extract_common_entry_data(entry, statement)
        data["EntryAmount"] = data.get("Amount")
        data["AccountId"] = data.get("AccountIBAN") or self._find_text(statement, "./Acct/Id/Othr/Id")
        data["EntryReference"] = self._find_text(entry, "./NtryRef")
        data["BookingDateTime"] = self._find_text(entry, "./BookgDt/DtTm") or self._find_text(entry, "./BookgDt/Dt")
        return data

    def _extract_transaction_details(self, tx_detail):
        data = super()._extract_transaction_details(tx_detail)
        debtor = self._find_text(tx_detail, ".//RltdPties/DbtrAcct/Id/Othr/Id")
        creditor = self._find_text(tx_detail, ".//RltdPties/CdtrAcct/Id/Othr/Id")
        if debtor and "DebtorIBAN" not in data:
            data["DebtorAccount"] = debtor
        if creditor and "CreditorIBAN" not in data:
            data["CreditorAccount"] = creditor
        data["DetailAccountServicerReference"] = self._find_text(tx_detail, ".//Refs/AcctSvcrRef")
        return data

    def statement_headers(self) -> list[dict]:
        out = []
        for stmt in self._find_statements_or_reports():
            out.append({
                "Id": self._find_text(stmt, "./Id"),
                "AccountId": self._find_text(stmt, "./Acct/Id/IBAN") or self._find_text(stmt, "./Acct/Id/Othr/Id"),
                "Currency": self._find_text(stmt, "./Acct/Ccy"),
            })
        return out


def parse_camt(content: bytes) -> list[Statement]:
    try:
        parser = _CamtParser(content)
    except etree.XMLSyntaxError as e:
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"对账单不是完整的 XML：{e} / the statement is not well-formed XML (truncated?)")
    root = parser.tree.tag
    fmt = "camt.054" if "camt.054" in root else "camt.053" if "camt.053" in root or "camt.052" in root else ""
    if not fmt:
        raise StatementError(ErrorCode.UNSUPPORTED_FORMAT, "不是 ISO 20022 camt.053/camt.054 对账单 / not an ISO 20022 camt.053 or camt.054 document")
    try:
        header = parser.get_group_header()
        headers = parser.statement_headers()
        infos = parser.get_statement_info()
        rows = parser.get_transactions()
    except (Camt053ParseError, AttributeError) as e:
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"对账单缺少必需的元素 / the statement lacks required elements ({e.__class__.__name__})")
    if not header.get("MessageID"):
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, "对账单缺少报文标识 GrpHdr/MsgId / no GrpHdr/MsgId")
    statements: list[Statement] = []
    by_account: dict[str, Statement] = {}
    for head, info in zip(headers, infos):
        if not head["AccountId"]:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, "对账单缺少账户 Acct/Id / the statement names no account")
        if head["Currency"] and head["Currency"] != CURRENCY:
            raise StatementError(ErrorCode.WRONG_CURRENCY, f"账户币种为 {head['Currency']}，仅接受人民币 / only CNY accounts")
        st = Statement(
            format=fmt, message_id=header["MessageID"], statement_id=head["Id"] or header["MessageID"], account_number=head["AccountId"],
            opening_balance=to_fen(info["OpeningBalance"], what="期初余额", signed=True) if info.get("OpeningBalance") else None,
            closing_balance=to_fen(info["ClosingBalance"], what="期末余额", signed=True) if info.get("ClosingBalance") else None,
            closing_date=_booked_at(info["ClosingBalanceDate"]).date() if info.get("ClosingBalanceDate") else None,
        )
        if head["AccountId"] in by_account:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, "同一文件中同一账户出现两次 / one account twice in one file")
        by_account[head["AccountId"]] = st
        statements.append(st)
    seen: dict[str, int] = {}
    for row in rows:
        st = by_account.get(row.get("AccountId") or "")
        if st is None:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, "分录不属于任何账户 / an entry outside any statement")
        if (row.get("Status") or "BOOK") != "BOOK":
            continue  # pending or information-only entries are not money yet
        if row.get("Currency") and row["Currency"] != CURRENCY:
            raise StatementError(ErrorCode.WRONG_CURRENCY, f"分录币种为 {row['Currency']}，仅接受人民币 / only CNY entries")
        ref = row.get("TransactionID") or row.get("EntryReference")
        if not ref:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, "分录缺少银行流水号 AcctSvcrRef/NtryRef / an entry without the bank's reference")
        # A batch entry split by its transaction details: each detail is one entry of its own.
        n = seen.get(ref, 0)
        seen[ref] = n + 1
        entry_ref = row.get("DetailAccountServicerReference") or (ref if n == 0 else f"{ref}/{n}")
        direction = row.get("CreditDebitIndicator") or ""
        if direction not in {"CRDT", "DBIT"}:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"分录 {ref} 缺少借贷标志 / entry {ref} has no CRDT/DBIT indicator")
        credit = direction == "CRDT"
        to_fen(row.get("EntryAmount"), what=f"分录 {ref} 金额")  # the entry's own amount must be sound too
        st.entries.append(Entry(
            entry_ref=entry_ref, direction=direction, amount=to_fen(row.get("Amount"), what=f"分录 {ref} 金额"),
            reversal=(row.get("ReversalIndicator") or "").lower() == "true",
            booked_at=_booked_at(row.get("BookingDateTime") or row.get("BookingDate")),
            remittance=_given(row.get("RemittanceInformationFull") or row.get("RemittanceInformation") or row.get("AdditionalEntryInformation"))[:500],
            end_to_end_id=_given(row.get("EndToEndId")),
            payer_name=_given(row.get("DebtorName") if credit else row.get("CreditorName")),
            payer_account=(row.get("DebtorIBAN") or row.get("DebtorAccount") if credit else row.get("CreditorIBAN") or row.get("CreditorAccount")) or "",
            payee_account=(row.get("CreditorIBAN") or row.get("CreditorAccount") if credit else "") or "",
        ))
    if fmt == "camt.053" and any(st.closing_balance is None for st in statements):
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, "camt.053 对账单缺少期末余额 CLBD / a camt.053 statement without its closing balance")
    return statements


# --- SWIFT MT940 -------------------------------------------------------------------------------------

def parse_mt940(content: bytes) -> list[Statement]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, "MT940 文件须为 UTF-8 编码 / the MT940 file is not UTF-8")
    if ":62F:" not in text and ":62M:" not in text:
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, "MT940 对账单不完整（缺少 :62F: 期末余额）/ truncated MT940 (no :62F: closing balance)")
    processors = {"post_transaction": [mt940.processors.transaction_details_post_processor]}
    try:
        parsed = mt940.models.Transactions(processors=processors, options=mt940.Options.all())
        parsed.parse(text)
    except Exception as e:  # the library raises plain errors on broken tags
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"MT940 无法解析：{e} / the MT940 statement cannot be parsed")
    data = parsed.data
    account = (data.get("account_identification") or "").strip()
    if not account or not data.get("transaction_reference"):
        raise StatementError(ErrorCode.MALFORMED_STATEMENT, "MT940 缺少 :20: 或 :25: / the MT940 statement lacks :20: or :25:")
    opening, closing = data.get("final_opening_balance"), data.get("final_closing_balance")
    for bal in (opening, closing):
        if bal is not None and bal.amount.currency != CURRENCY:
            raise StatementError(ErrorCode.WRONG_CURRENCY, f"账户币种为 {bal.amount.currency}，仅接受人民币 / only CNY accounts")
    st = Statement(
        format="mt940", message_id=data["transaction_reference"],
        statement_id=f"{data['transaction_reference']}/{data.get('statement_number') or ''}", account_number=account,
        opening_balance=to_fen(opening.amount.amount, what="期初余额", signed=True) if opening else None,
        closing_balance=to_fen(closing.amount.amount, what="期末余额", signed=True) if closing else None,
        closing_date=date(closing.date.year, closing.date.month, closing.date.day) if closing else None,
    )
    for i, tr in enumerate(parsed):
        d = tr.data
        mark = d.get("status") or ""
        if d.get("currency") and d["currency"] != CURRENCY:
            raise StatementError(ErrorCode.WRONG_CURRENCY, f"分录币种为 {d['currency']}，仅接受人民币 / only CNY entries")
        # C credit, D debit; RC reverses a credit (money out), RD reverses a debit (money back in).
        direction = {"C": "CRDT", "D": "DBIT", "RC": "DBIT", "RD": "CRDT"}.get(mark.upper())
        if direction is None:
            raise StatementError(ErrorCode.MALFORMED_STATEMENT, f"第 {i + 1} 笔分录借贷标志无效 / entry {i + 1} has no valid D/C mark")
        ref = (d.get("bank_reference") or "").strip() or f"{st.statement_id}/{i + 1}"
        booked = d.get("entry_date") or d.get("date")
        details = d.get("purpose") or d.get("transaction_details") or ""
        st.entries.append(Entry(
            entry_ref=ref, direction=direction, amount=to_fen(abs(d["amount"].amount), what=f"第 {i + 1} 笔分录金额"),
            reversal=mark.upper().startswith("R"),
            booked_at=datetime.combine(date(booked.year, booked.month, booked.day), time.min, tzinfo=SHANGHAI) if booked else None,
            remittance=str(details)[:500],
            end_to_end_id=_given(d.get("end_to_end_reference") or d.get("customer_reference")),
            payer_name=(d.get("applicant_name") or "").strip(), payer_account=(d.get("applicant_iban") or "").strip(),
        ))
    return [st]


def parse(content: bytes) -> list[Statement]:
    """Any supported statement, told apart by its content (XML: camt; ':20:' tags: MT940)."""
    if not content or not content.strip():
        raise StatementError(ErrorCode.EMPTY_STATEMENT, "对账单为空 / the statement is empty")
    head = content.lstrip()[:200]
    if head.startswith(b"<"):
        return parse_camt(content)
    if b":20:" in content[:2000] or head.startswith(b"{1:"):
        return parse_mt940(content)
    raise StatementError(ErrorCode.UNSUPPORTED_FORMAT, "无法识别的对账单格式（支持 camt.053、camt.054、MT940）/ unknown statement format")
