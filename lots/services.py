"""Every write of the lots app: cases, lots, reference prices, the judge's round actions, media.

A round's status changes only through ``lots.rounds.change_status`` (the state machine of
lots.rules.ROUND_TRANSITIONS); the judge's actions below call it. Access checks: ``lots.access``.

Public interface (other apps and the pages call these; names are stable). The actor (the judge, or whoever
acts; None for the clock) comes first and positionally; everything else is keyword-only:

- ``create_case(judge, *, case_number, applicants, respondents, amount_owed) -> EnforcementCase``
- ``link_party(judge, *, case, side, account, party_id=None) -> CaseParty`` / ``unlink_party(judge, *, party_id)``
  (the case's judge links a party's account, named by username, phone or ID number; signal ``party_linked``)
- ``sync_case(system, *, court, case_number, applicants, respondents, amount_owed) -> (case, outcome)``
  (the case system's intake, lots/intake.py: create or update; inside the caller's transaction)
- ``create_lot(judge, *, case, priority_holders=(), **fields) -> Lot``
- ``update_lot(judge, *, lot, priority_holders=None, **fields) -> Lot``   (only while no round is published)
- ``set_reference_price(actor, *, lot, amount, source, fixed_at, valid_until) -> Lot``  (valuation calls it)
- ``create_round(judge, *, lot, starting_price, deposit, increment, starts_at, ends_at, announcement="",
  balance_due_days=10, proxy_bidding_enabled=False) -> Round``  (a draft)
- ``update_draft_round(judge, *, round_id, **fields) -> Round``  (drafts only; same checks as create_round)
- ``publication_violations(round, now) -> list[Refusal]``  (A10, A12/A26, A13–14, A16, A17, A20, B27)
- ``notify_parties(judge, *, round_id) -> Round``     A16: records that the parties were notified (drafts only;
  a repeated call changes nothing: the 3 days count from the first notice)
- ``publish_round(judge, *, round_id) -> Round``     draft -> announced (A16: 3 days after the parties' notice)
- ``suspend_round(judge, *, round_id, reason) -> Round``   announced/open -> suspended (A28)
- ``record_suspension_cause_ended(judge, *, round_id) -> Round``  A28: the cause ended; resume due within 5 days
  (suspended rounds only; a repeated call changes nothing)
- ``resume_round(judge, *, round_id, reason="") -> Round`` suspended -> announced/open (A28; a resume after the
  5 days is allowed and audited with ``late: true``)
- ``withdraw_round(judge, *, round_id, reason) -> Round``  draft/announced/open/suspended -> withdrawn (A28)
- ``open_due_rounds(now) -> list[int]``  announced -> open at starts_at (clockwork)
- ``mark_case_settled(actor, *, case)`` / ``record_settled_in_kind(actor, *, lot, at, data=None)``
  (settlement calls these)
- ``request_media_upload(judge, *, lot, kind, filename, content_type, size, title="") -> (Media, upload dict)``
- ``complete_media_upload(judge, *, media_id) -> Media``  (ready, or rejected and the object deleted)
- ``delete_media(judge, *, media_id)`` / ``move_media(judge, *, media_id, step)`` / ``set_cover(judge, *, media_id)``
  (until the lot is published: deleting removes the object from storage; the cover is the first photo)

Services raise ``auction_site.errors.DomainError`` / ``NotFound`` / ``Forbidden`` / ``Conflict``; a refused
publication raises ``RulesViolated`` carrying every violation (the API returns them in ``error.details``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Refusal
from lots import discount, rounds, rules, signals
from lots import media as storage
from lots.access import ensure_judge, ensure_judge_of
from lots.models import CaseParty, EnforcementCase, Lot, Media, PriorityHolder, Round

Status = Round.Status
logger = logging.getLogger("lots.services")


class RulesViolated(DomainError):
    """One or more legal rules refuse the action; ``violations`` lists them all (each names its article)."""

    def __init__(self, violations: list[Refusal]):
        first = violations[0]
        message = "；".join(str(v) for v in violations)
        super().__init__(first.code, message, status=400)
        self.violations = violations

    @property
    def details(self) -> list[dict]:
        return [{"article": v.article, "code": v.code, "message": v.message} for v in self.violations]


# ----------------------------------------------------------------------------------------------- cases

# Case number (案号): (year)court-code + 执 / 执恢 / 执保 + number + 号, e.g. (2024)苏05执123号.
CASE_NUMBER_RE = re.compile(r"^[(（](?P<year>\d{4})[)）](?P<court>.+?)(?P<kind>执恢|执保|执)(?P<number>\d{1,6})号$")


def parse_case_number(value: str) -> dict[str, str]:
    match = CASE_NUMBER_RE.match((value or "").strip())
    if not match:
        raise DomainError(ErrorCode.INVALID_CASE_NUMBER, "案号格式应如 (2024)苏05执123号 / case number must look like (2024)苏05执123号", field="case_number")
    year = int(match["year"])
    if not 1990 <= year <= clock.now().year + 1:
        raise DomainError(ErrorCode.INVALID_CASE_NUMBER, "案号年份不正确 / the year of the case number is wrong", field="case_number")
    return match.groupdict()


def normalise_case_number(value: str) -> str:
    return value.strip().replace("（", "(").replace("）", ")")


def _case_fields(court, case_number: str, applicants: list[str], respondents: list[str]) -> tuple[str, list[str], list[str]]:
    """The checked number and parties of a case of `court` (the court code in the number must be its own)."""
    parts = parse_case_number(case_number)
    if parts["court"] != court.code:
        raise DomainError(ErrorCode.CASE_NUMBER_COURT_MISMATCH,
                          f"案号中的法院代字应为本院代字「{court.code}」/ the court code in the case number must be {court.code}", field="case_number")
    applicants = [a.strip() for a in applicants if a and a.strip()]
    respondents = [r.strip() for r in respondents if r and r.strip()]
    if not applicants or not respondents:
        raise DomainError(ErrorCode.PARTIES_REQUIRED, "须至少有一名申请执行人和一名被执行人 / at least one applicant and one respondent", field="applicants")
    return normalise_case_number(case_number), applicants, respondents


def _open_case(actor, court, number: str, applicants: list[str], respondents: list[str], amount_owed: int, data: dict | None = None) -> EnforcementCase:
    case = EnforcementCase.objects.create(court=court, case_number=number, applicants=applicants, respondents=respondents,
                                          amount_owed=amount_owed, created_at=clock.now())
    CaseParty.objects.bulk_create(
        [CaseParty(case=case, side=CaseParty.Side.APPLICANT, name=n) for n in applicants]
        + [CaseParty(case=case, side=CaseParty.Side.RESPONDENT, name=n) for n in respondents]
    )
    audit.record("case.created", case, actor=actor, data={"case_number": number, "amount_owed": amount_owed, **(data or {})})
    case_id = case.pk
    transaction.on_commit(lambda: signals.case_opened.send(EnforcementCase, case_id=case_id))
    return case


def create_case(judge, /, *, case_number: str, applicants: list[str], respondents: list[str], amount_owed: int) -> EnforcementCase:
    """A judge mirrors an enforcement case of their court; the case gets its own account (一案一账号)."""
    ensure_judge(judge)
    number, applicants, respondents = _case_fields(judge.court, case_number, applicants, respondents)
    with transaction.atomic():
        if EnforcementCase.objects.filter(case_number=number).exists():
            raise Conflict(ErrorCode.DUPLICATE_CASE, "案号已存在 / a case with this number already exists")
        return _open_case(judge, judge.court, number, applicants, respondents, amount_owed)


def sync_case(system, /, *, court, case_number: str, applicants: list[str], respondents: list[str], amount_owed: int) -> tuple[EnforcementCase, str]:
    """The court's case system creates or updates the mirror of one of its cases (lots/intake.py checks
    the signature first). Returns the case and "created", "updated" or "unchanged". Runs inside the
    caller's transaction; a case of another court, or one no longer open, is refused."""
    if EnforcementCase.objects.filter(case_number=normalise_case_number(case_number or "")).exclude(court=court).exists():
        raise Forbidden("该案件属于其他法院 / this case belongs to another court", code=ErrorCode.OTHER_COURT)
    number, applicants, respondents = _case_fields(court, case_number, applicants, respondents)
    case = EnforcementCase.objects.select_for_update(of=("self",)).filter(case_number=number).first()
    if case is None:
        return _open_case(system, court, number, applicants, respondents, amount_owed, {"source": "intake"}), "created"
    before = {"applicants": case.applicants, "respondents": case.respondents, "amount_owed": case.amount_owed}
    after = {"applicants": applicants, "respondents": respondents, "amount_owed": amount_owed}
    if before == after:
        return case, "unchanged"
    if case.status != EnforcementCase.Status.OPEN:
        raise Conflict(ErrorCode.CASE_NOT_OPEN, "案件已结算或结案，不得更新 / the case is settled or closed")
    for side, names in ((CaseParty.Side.APPLICANT, applicants), (CaseParty.Side.RESPONDENT, respondents)):
        case.parties.filter(side=side).exclude(name__in=names).delete()
        have = set(case.parties.filter(side=side).values_list("name", flat=True))
        CaseParty.objects.bulk_create([CaseParty(case=case, side=side, name=n) for n in names if n not in have])
    case.applicants, case.respondents, case.amount_owed = applicants, respondents, amount_owed
    case.save(update_fields=["applicants", "respondents", "amount_owed"])
    audit.record("case.updated", case, actor=system, data={"source": "intake", "before": before, "after": after})
    return case, "updated"


def link_party_account(user) -> int:
    """A party's platform account is linked to the case parties with its ID number (not yet linked)."""
    return CaseParty.objects.filter(id_number=user.id_number, user__isnull=True).update(user=user)


def _send_party_linked(**change: Any) -> None:
    """After the commit: a receiver that fails is logged and never undoes the link."""
    for receiver, outcome in signals.party_linked.send_robust(CaseParty, **change):
        if isinstance(outcome, Exception):
            logger.error("party_linked receiver %r failed: %r", receiver, outcome)


def find_account(lookup: str) -> Any:
    """The one account a judge names by its username, phone number or ID number (404 when none, 400 when several)."""
    text = (lookup or "").strip()
    if not text:
        raise DomainError(ErrorCode.INVALID, "请填写用户名、手机号或证件号码 / give a username, phone number or ID number", field="account")
    found = list(get_user_model().objects.filter(Q(username=text) | Q(phone=text) | Q(id_number__iexact=text))[:2])
    if not found:
        raise NotFound("未找到该账户 / no account with this username, phone number or ID number")
    if len(found) > 1:
        raise DomainError(ErrorCode.PARTY_ACCOUNT_AMBIGUOUS, "该信息对应多个账户，请改用用户名 / several accounts match: use the username", field="account")
    return found[0]


def link_party(judge, /, *, case: EnforcementCase, side: str, account: str, party_id: int | None = None) -> CaseParty:
    """The case's judge links a platform account (named by username, phone or ID number) to a party of the case:
    the named party `party_id` of that side, else the one of that side with the account's ID number or name, else a
    new party of that side under the account's real name. The account is told (``party_linked``)."""
    ensure_judge_of(judge, case)
    named = case.parties.filter(pk=party_id).first() if party_id is not None else None
    if party_id is not None and named is None:
        raise NotFound("本案没有该当事人 / no such party of this case")
    side = named.side if named is not None else side  # a named party brings its side
    if side not in CaseParty.Side.values:
        raise DomainError(ErrorCode.INVALID, "当事人身份须为申请执行人或被执行人 / side is applicant or respondent", field="side")
    user = find_account(account)
    with transaction.atomic():
        case = EnforcementCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        sides = set(case.parties.filter(user=user).values_list("side", flat=True))
        refusal = rules.check_party_account(user.role, sides, side)
        if refusal is not None:
            raise DomainError(refusal)
        if side in sides:
            return case.parties.get(user=user, side=side)  # linked already: nothing changes
        free = case.parties.filter(side=side, user__isnull=True)
        if party_id is not None:
            party = case.parties.get(pk=party_id)
            if party.user_id is not None:
                raise Conflict(ErrorCode.PARTY_ALREADY_LINKED, "该当事人已关联其他账户，请先解除 / this party is linked to another account: unlink it first")
        else:
            party = ((user.id_number and free.filter(id_number__iexact=user.id_number).first())
                     or free.filter(name=user.real_name or user.username).first())
        if party is None:
            party = CaseParty(case=case, side=side, name=user.real_name or user.username, id_number=user.id_number or "")
        party.user = user
        if not party.id_number and user.id_number:
            party.id_number = user.id_number
        party.save()
        audit.record("case.party_linked", party, chain=case, actor=judge,
                     data={"party": party.pk, "side": side, "user": user.pk, "name": party.name})
        ids = (case.pk, party.pk, user.pk)
        transaction.on_commit(lambda: _send_party_linked(case_id=ids[0], party_id=ids[1], user_id=ids[2], linked=True))
    return party


def unlink_party(judge, /, *, party_id: int) -> CaseParty:
    """The case's judge removes the link between a party and its account (the party itself stays on the case)."""
    party = CaseParty.objects.select_related("case").filter(pk=party_id).first()
    if party is None:
        raise NotFound("本案没有该当事人 / no such party of this case")
    ensure_judge_of(judge, party.case)
    with transaction.atomic():
        EnforcementCase.objects.select_for_update(of=("self",)).get(pk=party.case_id)
        party = CaseParty.objects.get(pk=party_id)
        if party.user_id is None:
            raise Conflict(ErrorCode.PARTY_NOT_LINKED, "该当事人未关联账户 / this party has no linked account")
        user_id = party.user_id
        party.user = None
        party.save(update_fields=["user"])
        audit.record("case.party_unlinked", party, chain=party.case, actor=judge, data={"party": party.pk, "side": party.side, "user": user_id})
        ids = (party.case_id, party.pk, user_id)
        transaction.on_commit(lambda: _send_party_linked(case_id=ids[0], party_id=ids[1], user_id=ids[2], linked=False))
    return party


# ------------------------------------------------------------------------------------------------ lots

LOT_FIELDS = {
    "title", "category", "description", "location", "city", "size", "size_unit", "year_built",
    "defects_and_encumbrances", "occupancy", "title_status", "judgment_enforced", "transfer_tax_payer",
    "reference_price", "reference_price_source", "seized_at", "province", "district", "subtype",
}
# Statuses in which a round's announcement is (or was) public and the lot's particulars are frozen.
PUBLISHED_STATUSES = {Status.ANNOUNCED, Status.OPEN, Status.SUSPENDED, Status.CLOSED, Status.SOLD,
                      Status.PAID, Status.SETTLED, Status.DEFAULTED}
ACTIVE_STATUSES = {Status.DRAFT, Status.ANNOUNCED, Status.OPEN, Status.SUSPENDED, Status.CLOSED}


def _set_priority_holders(lot: Lot, holders: Iterable[dict]) -> None:
    lot.priority_holders.all().delete()
    seen: set[str] = set()
    rows = []
    for h in holders:
        id_number = (h.get("id_number") or "").strip().upper()
        if id_number in seen:
            raise DomainError(ErrorCode.DUPLICATE_PRIORITY_HOLDER, "优先购买权人重复 / a priority holder is listed twice", field="priority_holders")
        seen.add(id_number)
        rows.append(PriorityHolder(lot=lot, name=h["name"], id_number=id_number, rank=h.get("rank") or 1, basis=h.get("basis", "")))
    PriorityHolder.objects.bulk_create(rows)


def create_lot(judge, /, *, case: EnforcementCase, priority_holders: Iterable[dict] = (), **fields: Any) -> Lot:
    ensure_judge_of(judge, case.court)
    unknown = set(fields) - LOT_FIELDS
    if unknown:
        raise DomainError(ErrorCode.INVALID, f"未知字段 / unknown fields: {', '.join(sorted(unknown))}")
    if case.status != EnforcementCase.Status.OPEN:
        raise Conflict(ErrorCode.CASE_NOT_OPEN, "案件已结算或结案 / the case is no longer open")
    now = clock.now()
    with transaction.atomic():
        lot = Lot(case=case, created_at=now, **fields)
        lot.province = lot.province or case.court.province  # the region filter: the court's province unless said
        if lot.reference_price is not None:
            lot.reference_price_fixed_at = now
        lot.save()
        _set_priority_holders(lot, priority_holders)
        audit.record("lot.created", lot, actor=judge, data={"title": lot.title, "category": lot.category, "reference_price": lot.reference_price})
    return lot


def update_lot(judge, /, *, lot: Lot, priority_holders: Iterable[dict] | None = None, **fields: Any) -> Lot:
    """Change a lot's particulars while none of its rounds is (or was) published."""
    ensure_judge_of(judge, lot.case.court)
    unknown = set(fields) - LOT_FIELDS
    if unknown:
        raise DomainError(ErrorCode.INVALID, f"未知字段 / unknown fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        lot = Lot.objects.select_for_update(of=("self",), no_key=True).get(pk=lot.pk)
        if lot.rounds.filter(status__in=PUBLISHED_STATUSES).exists():
            raise Conflict(ErrorCode.LOT_PUBLISHED, "标的已公告，不能修改 / the lot has a published round and cannot be changed")
        changed = {}
        for name, value in fields.items():
            if getattr(lot, name) != value:
                changed[name] = value
                setattr(lot, name, value)
        if "reference_price" in changed:
            lot.reference_price_fixed_at = clock.now() if lot.reference_price is not None else None
            lot.reference_price_valid_until = None
        lot.save()
        if "reference_price" in changed:
            rounds.sync_discount(lot)
        if priority_holders is not None:
            _set_priority_holders(lot, priority_holders)
            changed["priority_holders"] = list(priority_holders)
        audit.record("lot.updated", lot, actor=judge, data={"changed": sorted(changed)})
    return lot


def set_reference_price(actor: Any, /, *, lot: Lot, amount: int, source: str, fixed_at: datetime, valid_until: datetime | None) -> Lot:
    """Record the reference price fixed by a valuation (B13, B27): amount in fen, its basis and validity.

    Called by the valuation app when a valuation concludes. It does not touch rounds already published.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "参考价必须是正整数分 / the reference price is a positive integer of fen")
    with transaction.atomic():
        locked = Lot.objects.select_for_update(of=("self",), no_key=True).get(pk=lot.pk)
        locked.reference_price = amount
        locked.reference_price_source = source[:200]
        locked.reference_price_fixed_at = fixed_at
        locked.reference_price_valid_until = valid_until
        locked.save(update_fields=["reference_price", "reference_price_source", "reference_price_fixed_at", "reference_price_valid_until"])
        rounds.sync_discount(locked)
        audit.record("lot.reference_price_set", locked, actor=actor, data={
            "amount": amount, "source": source, "fixed_at": fixed_at, "valid_until": valid_until,
        })
    lot.reference_price, lot.reference_price_source = locked.reference_price, locked.reference_price_source
    lot.reference_price_fixed_at, lot.reference_price_valid_until = fixed_at, valid_until
    return lot


def clear_reference_price(actor: Any, /, *, lot: Lot, source_suffix: str, data: dict | None = None) -> bool:
    """The valuation behind the lot's reference price was set aside (B13, objections upheld): the lot has no
    usable price until a new one is fixed. Only if the price still comes from that source."""
    with transaction.atomic():
        locked = Lot.objects.select_for_update(of=("self",), no_key=True).get(pk=lot.pk)
        if locked.reference_price is None or not locked.reference_price_source.endswith(source_suffix):
            return False
        locked.reference_price = None
        locked.reference_price_source = ""
        locked.reference_price_fixed_at = locked.reference_price_valid_until = None
        locked.save(update_fields=["reference_price", "reference_price_source", "reference_price_fixed_at", "reference_price_valid_until"])
        rounds.sync_discount(locked)
        audit.record("lot.reference_price_cleared", locked, actor=actor, data=data or {})
    lot.reference_price, lot.reference_price_source = None, ""
    lot.reference_price_fixed_at = lot.reference_price_valid_until = None
    return True


# ---------------------------------------------------------------------------------------------- rounds


def _price_violations(lot: Lot, number: int, previous: Round | None, *, starting_price: int, deposit: int, increment: int,
                      starts_at: datetime, ends_at: datetime) -> list[Refusal]:
    found: list[Refusal | None] = [
        rules.check_deposit(deposit, starting_price),
        rules.check_bidding_period(starts_at, ends_at),
        rules.check_increment(increment, starting_price),
    ]
    if number == 1:
        found.append(rules.check_starting_price(starting_price, lot.reference_price, number))
    elif previous is not None:
        found.append(rules.check_reauction_price(starting_price, previous.starting_price))
        if previous.status == Status.FAILED and previous.closed_at:
            # A26: after a failed round (流拍) the re-auction opens within 30 days; a re-auction after a default (A24) is not bound by it.
            found.append(rules.check_reauction_timing(previous.closed_at, starts_at))
    return [v for v in found if v]


def create_round(judge, /, *, lot: Lot, starting_price: int, deposit: int, increment: int, starts_at: datetime, ends_at: datetime,
                 announcement: str = "", balance_due_days: int = rules.DEFAULT_BALANCE_DAYS, proxy_bidding_enabled: bool = False,
                 bidding_notice: str = "") -> Round:
    """A draft round of the lot. Round 1 first; a re-auction (round n+1) only after round n failed (A26)."""
    ensure_judge_of(judge, lot.case.court)
    with transaction.atomic():
        lot = Lot.objects.select_for_update(of=("self",), no_key=True).get(pk=lot.pk)
        last = lot.rounds.order_by("-number").first()
        if last is None:
            number, previous = 1, None
        elif last.status in {Status.FAILED, Status.DEFAULTED}:
            number, previous = last.number + 1, last
        elif last.status in ACTIVE_STATUSES:
            raise Conflict(ErrorCode.ROUND_IN_PROGRESS, "该标的已有未结束的拍卖 / the lot already has a round in progress")
        else:
            raise Conflict(ErrorCode.LOT_FINISHED, "该标的已成交或已撤回，不能再拍 / the lot was sold or withdrawn")
        violations = _price_violations(lot, number, previous, starting_price=starting_price, deposit=deposit, increment=increment,
                                       starts_at=starts_at, ends_at=ends_at)
        if number == 1 and lot.reference_price is None:
            # A draft may wait for the valuation; publication enforces A10 fully.
            violations = [v for v in violations if v.code != ErrorCode.NO_REFERENCE_PRICE]
        if violations:
            raise RulesViolated(violations)
        rnd = rounds.create(
            actor=judge, action="round.created", data={
                "number": number, "starting_price": starting_price, "deposit": deposit, "increment": increment,
                "starts_at": starts_at, "ends_at": ends_at},
            lot=lot, number=number, previous=previous, status=Status.DRAFT, starting_price=starting_price, deposit=deposit,
            increment=increment, starts_at=starts_at, ends_at=ends_at, scheduled_ends_at=ends_at, announcement=announcement,
            bidding_notice=bidding_notice,
            balance_due_days=balance_due_days, proxy_bidding_enabled=proxy_bidding_enabled, created_at=clock.now(),
        )
    return rnd


ROUND_FIELDS = {"starting_price", "deposit", "increment", "starts_at", "ends_at", "announcement", "bidding_notice", "balance_due_days",
                "proxy_bidding_enabled"}


def update_draft_round(judge, /, *, round_id: int, **fields: Any) -> Round:
    """Change a draft round (prices, times, announcement); the same rules as at creation are checked again."""
    unknown = set(fields) - ROUND_FIELDS
    if unknown:
        raise DomainError(ErrorCode.INVALID, f"未知字段 / unknown fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status != Status.DRAFT:
            raise Conflict(ErrorCode.NOT_DRAFT, "只有草稿可以修改 / only a draft round can be changed")
        for name, value in fields.items():
            setattr(rnd, name, value)
        if rnd.ends_at <= rnd.starts_at:
            raise DomainError(ErrorCode.INVALID, "结束时间须晚于开始时间 / ends_at must be after starts_at", field="ends_at")
        rnd.scheduled_ends_at = rnd.ends_at
        violations = _price_violations(rnd.lot, rnd.number, rnd.previous, starting_price=rnd.starting_price, deposit=rnd.deposit,
                                       increment=rnd.increment, starts_at=rnd.starts_at, ends_at=rnd.ends_at)
        if rnd.number == 1 and rnd.lot.reference_price is None:
            violations = [v for v in violations if v.code != ErrorCode.NO_REFERENCE_PRICE]
        if violations:
            raise RulesViolated(violations)
        rnd.discount = discount.percent(rnd.starting_price, rnd.lot.reference_price)
        rnd.save()
        audit.record("round.updated", rnd, actor=judge, data={k: v for k, v in fields.items() if k not in {"announcement", "bidding_notice"}})
    return rnd


def disclosures_present(lot: Lot, rnd: Round) -> dict[str, bool]:
    """What of A13–14's list the announcement carries (see rules.REQUIRED_DISCLOSURES)."""
    return {
        "announcement": bool(rnd.announcement.strip()),
        "description": bool(lot.description.strip()),
        "judgment_enforced": bool(lot.judgment_enforced.strip()),
        "title_status": bool(lot.title_status.strip()),
        "occupancy": bool(lot.occupancy.strip()),
        "defects_and_encumbrances": bool(lot.defects_and_encumbrances.strip()),
        "transfer_tax_payer": bool(lot.transfer_tax_payer),
        "court_contact": bool(lot.case.court.contact.strip()),
    }


def publication_violations(rnd: Round, now: datetime) -> list[Refusal]:
    """Every rule that refuses publishing this round now (A10, A12/A26, A13–14, A16, A17, A20, B27)."""
    lot = rnd.lot
    found: list[Refusal | None] = _price_violations(
        lot, rnd.number, rnd.previous, starting_price=rnd.starting_price, deposit=rnd.deposit, increment=rnd.increment,
        starts_at=rnd.starts_at, ends_at=rnd.ends_at,
    )
    found.append(rules.check_notice(lot.category, rnd.number, now, rnd.starts_at))
    found.append(rules.check_parties_notified(rnd.parties_notified_at, now))
    if lot.reference_price is not None:
        found.append(rules.check_reference_price_usable(lot.reference_price_valid_until, now, rnd.number))
    ready = lot.media.filter(status=Media.Status.READY)
    has_photo = ready.filter(kind=Media.Kind.PHOTO).exists()
    has_report = ready.filter(kind=Media.Kind.DOCUMENT).exists() or bool(lot.reference_price_source.strip())
    found.extend(rules.check_disclosures(disclosures_present(lot, rnd), has_photo, has_report))
    return [v for v in found if v]


def _locked_round(round_id: int) -> Round:
    return rounds.lock(round_id, related=("lot__case__court",))


def _record_once(judge, round_id: int, *, status: str, refusal: Conflict, field: str, action: str,
                 data: Callable[[datetime], dict]) -> Round:
    """Record, once, the moment the judge states a fact about a round in `status` (`field` = now, audited
    as `action` with `data(now)`). Idempotent: once recorded the time never moves (a repeat returns the
    round unchanged and writes no audit record), so a period counted from it never restarts."""
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status != status:
            raise refusal
        if getattr(rnd, field) is not None:
            return rnd
        now = clock.now()
        setattr(rnd, field, now)
        rnd.save(update_fields=[field])
        audit.record(action, rnd, actor=judge, data=data(now))
    return rnd


def notify_parties(judge, /, *, round_id: int) -> Round:
    """A16: record that the court notified the parties of this draft round (publication may follow 3 days
    later); the 3 days always count from the first notice."""
    return _record_once(judge, round_id, status=Status.DRAFT, field="parties_notified_at", action="round.parties_notified",
                        refusal=Conflict(ErrorCode.NOT_DRAFT, "只有草稿需要通知当事人 / the parties are notified of a draft round only"),
                        data=lambda now: {"parties_notified_at": now, "publishable_from": rules.publishable_from(now)})


def publish_round(judge, /, *, round_id: int) -> Round:
    """Draft -> announced, if every publication rule holds now; otherwise RulesViolated with all of them."""
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status != Status.DRAFT:
            raise Conflict(ErrorCode.NOT_DRAFT, "只有草稿可以发布 / only a draft round can be published")
        now = clock.now()
        violations = publication_violations(rnd, now)
        if violations:
            raise RulesViolated(violations)
        rnd.published_at = now
        rounds.change_status(rnd, Status.ANNOUNCED, actor=judge, fields=["published_at"],
                            data={"published_at": now, "starts_at": rnd.starts_at, "ends_at": rnd.ends_at})
    return rnd


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        # A28: the reason for suspending or withdrawing is published.
        raise DomainError(ErrorCode.REASON_REQUIRED, f"{what}须说明理由（A28）/ a reason is required (A28)", field="reason")
    return reason


def suspend_round(judge, /, *, round_id: int, reason: str) -> Round:
    reason = _require_reason(reason, "中止拍卖")
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status not in {Status.ANNOUNCED, Status.OPEN}:
            raise Conflict(ErrorCode.NOT_SUSPENDABLE, "只有公告中或竞价中的拍卖可以中止 / only an announced or open round can be suspended")
        rnd.suspended_from = rnd.status
        rnd.suspended_at = clock.now()
        rnd.suspension_cause_ended_at = None
        rounds.change_status(rnd, Status.SUSPENDED, actor=judge, reason=reason,
                             fields=["suspended_from", "suspended_at", "suspension_cause_ended_at"])
    return rnd


def record_suspension_cause_ended(judge, /, *, round_id: int) -> Round:
    """A28: the judge records that the cause of the suspension ended; the round is to be resumed within
    5 days, a deadline that cannot be pushed back."""
    return _record_once(judge, round_id, status=Status.SUSPENDED, field="suspension_cause_ended_at",
                        action="round.suspension_cause_ended",
                        refusal=Conflict(ErrorCode.NOT_SUSPENDED, "该拍卖未中止 / the round is not suspended"),
                        data=lambda now: {"cause_ended_at": now, "resume_due_at": rules.resume_deadline(now)})


def resume_round(judge, /, *, round_id: int, reason: str = "") -> Round:
    """A28: resume a suspended round. Bidding time lost while suspended is given back."""
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status != Status.SUSPENDED:
            raise Conflict(ErrorCode.NOT_SUSPENDED, "该拍卖未中止 / the round is not suspended")
        now = clock.now()
        paused = now - (rnd.suspended_at or now)
        target = rnd.suspended_from or Status.ANNOUNCED
        if target == Status.OPEN:
            rnd.ends_at += paused
            rnd.scheduled_ends_at += paused
        elif rnd.starts_at <= now:
            # Suspended before bidding opened and the opening time passed: open now, for the full period.
            period = rnd.ends_at - rnd.starts_at
            rnd.starts_at, rnd.ends_at = now, now + period
            rnd.scheduled_ends_at = rnd.ends_at
        # A28: resume within 5 days once the cause ended. A late resume is still allowed (the duty is the court's);
        # the audit record says it was late, and by how much.
        cause_ended_at = rnd.suspension_cause_ended_at
        due = rules.resume_deadline(cause_ended_at) if cause_ended_at else None
        late = rules.resume_is_late(cause_ended_at, now)
        a28 = {"cause_ended_at": cause_ended_at, "resume_due_at": due, "late": late,
               "late_seconds": int((now - due).total_seconds()) if late and due else 0}
        rnd.suspended_at = None
        rnd.suspended_from = ""
        rnd.suspension_cause_ended_at = None
        rounds.change_status(rnd, target, actor=judge, reason=(reason or "").strip(),
                             data={"paused_seconds": int(paused.total_seconds()), **a28},
                             fields=["starts_at", "ends_at", "scheduled_ends_at", "suspended_at", "suspended_from",
                                     "suspension_cause_ended_at"])
        if late:
            logger.warning("round %s resumed late (A28): cause ended %s, due %s, resumed %s", rnd.pk, cause_ended_at, due, now)
    return rnd


def withdraw_round(judge, /, *, round_id: int, reason: str) -> Round:
    """A28: withdraw the round (deposits are then released by the escrow clock at once)."""
    reason = _require_reason(reason, "撤回拍卖")
    with transaction.atomic():
        rnd = _locked_round(round_id)
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status not in {Status.DRAFT, Status.ANNOUNCED, Status.OPEN, Status.SUSPENDED}:
            raise Conflict(ErrorCode.NOT_WITHDRAWABLE, "该拍卖已结束，不能撤回 / the round has ended and cannot be withdrawn")
        rnd.withdrawn_at = clock.now()
        # A28: deposits are released at once (escrow acts on round_status_changed after the commit).
        rounds.change_status(rnd, Status.WITHDRAWN, actor=judge, reason=reason, fields=["withdrawn_at"])
    return rnd


def open_due_rounds(now: datetime) -> list[int]:
    """Announced rounds whose start has come are opened (idempotent: re-checked under the row lock)."""
    opened: list[int] = []
    due = list(Round.objects.filter(status=Status.ANNOUNCED, starts_at__lte=now).order_by("starts_at").values_list("pk", flat=True)[:500])
    for pk in due:
        with transaction.atomic():
            rnd = rounds.try_lock(pk, status=Status.ANNOUNCED, starts_at__lte=now)
            if rnd is None:
                continue
            rounds.change_status(rnd, Status.OPEN, actor="clock", data={"starts_at": rnd.starts_at})
            opened.append(pk)
    return opened


# ------------------------------------------------------------------------------------- after the sale


def mark_case_settled(actor: Any, /, *, case: EnforcementCase) -> None:
    """The case's proceeds are settled (settlement calls this when its last round is done)."""
    with transaction.atomic():
        locked = EnforcementCase.objects.select_for_update(of=("self",), no_key=True).get(pk=case.pk)
        if locked.status != EnforcementCase.Status.OPEN:
            return
        locked.status = EnforcementCase.Status.SETTLED
        locked.save(update_fields=["status"])
        audit.record("case.settled", locked, actor=actor, data={"case_number": locked.case_number})
    case.status = locked.status


def record_settled_in_kind(actor: Any, /, *, lot: Lot, at: datetime, data: dict | None = None) -> None:
    """[C] A16: the lot was handed to a creditor in kind; no round follows it (settlement calls this)."""
    with transaction.atomic():
        locked = Lot.objects.select_for_update(of=("self",), no_key=True).get(pk=lot.pk)
        if locked.settled_in_kind_at is not None:
            raise Conflict(ErrorCode.ALREADY_SETTLED_IN_KIND, "该标的已以物抵债 / the lot was already settled in kind")
        locked.settled_in_kind_at = at
        locked.save(update_fields=["settled_in_kind_at"])
        audit.record("lot.settled_in_kind", locked, actor=actor, data=data or {})
    lot.settled_in_kind_at = at


# ----------------------------------------------------------------------------------------------- media


def request_media_upload(judge, /, *, lot: Lot, kind: str, filename: str, content_type: str, size: int, title: str = "") -> tuple[Media, dict]:
    """Check type and size, create a pending Media row and return where to upload it (see lots.media)."""
    ensure_judge_of(judge, lot.case.court)
    storage.check_declared(kind, content_type, size)
    key = storage.new_key(lot, kind, filename)
    with transaction.atomic():
        position = lot.media.count()
        item = Media.objects.create(lot=lot, kind=kind, title=(title or filename)[:200], key=key, content_type=content_type,
                                    size=size, status=Media.Status.PENDING, position=position, created_at=clock.now())
        audit.record("media.requested", item, actor=judge, data={"kind": kind, "content_type": content_type, "size": size, "key": key})
    return item, storage.upload_target(item)


def complete_media_upload(judge, /, *, media_id: int) -> Media:
    """After the upload: check the stored object's size and type; mark ready, or rejected and delete the object."""
    try:
        item = Media.objects.select_related("lot__case__court").get(pk=media_id)
    except Media.DoesNotExist:
        raise NotFound("文件不存在 / no such media")
    ensure_judge_of(judge, item.lot.case.court)
    if item.status != Media.Status.PENDING:
        return item
    stored = storage.inspect(item)
    if stored is None:
        raise Conflict(ErrorCode.NOT_UPLOADED, "文件尚未上传 / the file has not been uploaded yet")
    problem = storage.mismatch(item, stored)
    with transaction.atomic():
        locked = Media.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if locked.status != Media.Status.PENDING:
            return locked
        locked.status = Media.Status.REJECTED if problem else Media.Status.READY
        locked.save(update_fields=["status"])
        audit.record(f"media.{locked.status}", locked, actor=judge, data={"size": stored.size, "content_type": stored.content_type, "problem": problem or ""})
    if problem:
        storage.delete(locked)
        locked.rejection = problem  # type: ignore[attr-defined]
    return locked


def _media_of_unpublished_lot(judge, media_id: int) -> Media:
    """The media row, locked, of a lot of the judge's court whose announcement is not yet public (A13–14:
    what was published with an announcement stays as published)."""
    item = Media.objects.select_for_update(of=("self",)).select_related("lot__case__court").filter(pk=media_id).first()
    if item is None:
        raise NotFound("文件不存在 / no such media")
    ensure_judge_of(judge, item.lot.case.court)
    if item.lot.rounds.exclude(status__in=[Status.DRAFT]).exists():
        raise Conflict(ErrorCode.LOT_PUBLISHED, "标的已公告，照片和文件不能再删除或调整 / the lot is published: its media cannot change")
    return item


def _renumber(lot: Lot, ordered: list[Media]) -> None:
    for position, m in enumerate(ordered):
        if m.position != position:
            m.position = position
            m.save(update_fields=["position"])


def _ordered_media(lot: Lot) -> list[Media]:
    return list(Media.objects.select_for_update(of=("self",)).filter(lot=lot).order_by("position", "id"))


def delete_media(judge, /, *, media_id: int) -> None:
    """Remove a media file of an unpublished lot: the row and the object in storage (after the commit)."""
    with transaction.atomic():
        item = _media_of_unpublished_lot(judge, media_id)
        lot = item.lot
        audit.record("media.deleted", item, actor=judge, data={"lot": lot.pk, "key": item.key, "kind": item.kind})
        item.delete()
        _renumber(lot, _ordered_media(lot))
        transaction.on_commit(lambda: _delete_object(item))


def _delete_object(item: Media) -> None:
    try:
        storage.delete(item)
    except Exception:  # the row is gone; an orphan object is harmless and logged for the operator
        logger.warning("could not delete media object %s", item.key, exc_info=True)


def move_media(judge, /, *, media_id: int, step: int) -> list[Media]:
    """Move a media file `step` places (-1 earlier, +1 later) in its lot's order."""
    with transaction.atomic():
        item = _media_of_unpublished_lot(judge, media_id)
        ordered = _ordered_media(item.lot)
        index = next(i for i, m in enumerate(ordered) if m.pk == item.pk)
        target = max(0, min(len(ordered) - 1, index + step))
        ordered.insert(target, ordered.pop(index))
        _renumber(item.lot, ordered)
        audit.record("media.moved", item, actor=judge, data={"from": index, "to": target})
    return ordered


def set_cover(judge, /, *, media_id: int) -> list[Media]:
    """Make a photo the lot's cover: the catalogue and the API show the first photo in order, so it goes first."""
    with transaction.atomic():
        item = _media_of_unpublished_lot(judge, media_id)
        if item.kind != Media.Kind.PHOTO or item.status != Media.Status.READY:
            raise DomainError(ErrorCode.INVALID_KIND, "只有已上传的照片可以设为封面 / only an uploaded photo can be the cover")
        ordered = [m for m in _ordered_media(item.lot) if m.pk != item.pk]
        ordered.insert(0, item)
        _renumber(item.lot, ordered)
        audit.record("media.cover", item, actor=judge, data={"lot": item.lot_id})
    return ordered


__all__ = [
    "RulesViolated", "create_case", "create_lot", "update_lot", "set_reference_price", "create_round",
    "publication_violations", "notify_parties", "publish_round", "suspend_round", "record_suspension_cause_ended", "resume_round",
    "withdraw_round", "open_due_rounds",
    "mark_case_settled", "record_settled_in_kind", "request_media_upload", "complete_media_upload", "parse_case_number",
    "delete_media", "move_media", "set_cover", "update_draft_round",
]
