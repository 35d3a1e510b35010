"""Registering with the commitment (竞买承诺书): what the bidder reads, accepts, signs and declares.

`prepare(user, round, declaration)` checks the declaration and stores a company's business licence
(object storage: before any lock is taken); `record(registration, prepared)` writes the commitment
inside the registration's transaction (escrow.services.open_registration). The texts are hashed so
the record proves what exactly was read and signed; the time and the IP address are kept with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from accounts import rules as identity
from auction_site import audit, clock
from auction_site.errors import DomainError, ErrorCode
from escrow import groups, rules
from escrow.models import Commitment, Registration
from lots import notices
from lots.models import PriorityHolder, Round


@dataclass
class Declaration:
    """What the registration form sent (the HTTP layer fills it; nothing here reads a request)."""

    accept_notice: bool = False
    signed_name: str = ""
    priority: bool = False
    ip: str | None = None
    user_agent: str = ""
    # a company: its legal representative and its business licence
    legal_representative: str = ""
    legal_representative_id: str = ""
    licence: bytes | None = None
    licence_name: str = ""
    # joint bidding (联合竞买) or agent bidding (委托竞买): escrow.groups
    group: groups.GroupDeclaration | None = None


@dataclass
class Prepared:
    notice_sha256: str
    text: str
    signed_name: str
    priority_holder: PriorityHolder | None
    ip: str | None
    user_agent: str
    company_uscc: str = ""
    legal_representative: str = ""
    legal_representative_id: str = ""
    licence_key: str = ""
    licence_sha256: str = ""
    group: groups.PreparedGroup | None = None


def _refuse(code: ErrorCode, message: str, status: int = 400, article: str | None = None) -> DomainError:
    return DomainError(code, message, status=status, article=article)


def is_company(user) -> bool:
    return (user.id_kind == "uscc") or identity.identity_kind(user.id_number or "") == "uscc"


def terms(rnd: Round) -> dict:
    """The announcement and the rules the bidder reads, and the hash of both (what is accepted)."""
    announcement, notice = notices.announcement(rnd), notices.bidding_notice(rnd)
    return {"announcement": announcement, "notice": notice, "sha256": rules.text_hash(announcement + "\n\n" + notice)}


def holder_for(user, rnd: Round) -> PriorityHolder | None:
    """The court's confirmed priority holder of the lot with this bidder's ID number (A19)."""
    id_number = (user.id_number or "").strip().upper()
    if not id_number:
        return None
    return PriorityHolder.objects.filter(lot_id=rnd.lot_id, id_number__iexact=id_number).order_by("rank").first()


def commitment_for(user, rnd: Round, decl: Declaration | None = None, holder: PriorityHolder | None = None) -> str:
    company = is_company(user)
    rep = (decl.legal_representative.strip() if decl else "") if company else ""
    return rules.commitment_text(
        name=user.real_name or user.username, id_number=user.id_number or "—", court=rnd.lot.case.court.name,
        case=rnd.lot.case.case_number, lot=rnd.lot.title, round_label=notices.round_name(rnd), kind=rnd.kind,
        amount=rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price), representative=rep,
        priority_basis=(holder.basis or "法院确认") if holder else "")


def prepare(user, rnd: Round, decl: Declaration) -> Prepared:
    """Check the declaration (nothing is written but a company's licence file, under a key of its hash)."""
    if not decl.accept_notice:
        raise _refuse(ErrorCode.NOTICE_NOT_ACCEPTED, "请先阅读并同意竞买公告和竞买须知 / read and accept the announcement and the bidding rules")
    signed = decl.signed_name.strip()
    company = is_company(user)
    # Adults only (Civil Code art. 17-18): the bidder's own age is escrow.rules.check_bidder_eligible's (it
    # runs before this); a company's legal representative is checked here with the same accounts rule.
    if company:
        uscc = (user.id_number or "").strip().upper()
        if not identity.is_valid_uscc(uscc):  # GB 32100 check character
            raise _refuse(ErrorCode.INVALID_USCC, "统一社会信用代码校验位不正确 / the unified social credit code fails its check character")
        rep, rep_id = decl.legal_representative.strip(), decl.legal_representative_id.strip().upper()
        today = timezone.localdate(clock.now())
        if not rep or not identity.is_valid_resident_id(rep_id, today):
            raise _refuse(ErrorCode.INVALID_REPRESENTATIVE, "请填写法定代表人姓名及有效的居民身份证号码 / the legal representative's name and a valid ID number are required")
        if not identity.is_adult_on("resident_id", rep_id, today):
            raise _refuse(ErrorCode.NOT_ADULT, f"法定代表人须年满{identity.ADULT_AGE}周岁 / the legal representative must be an adult",
                          403, "民法典17-18")
        if signed != rep:
            raise _refuse(ErrorCode.SIGNATURE_MISMATCH, "承诺书须由法定代表人签署（签名与法定代表人姓名一致） / the legal representative signs the commitment")
        content = decl.licence or b""
        ctype = rules.licence_content_type(content[:16], len(content))
        if ctype is None:
            raise _refuse(ErrorCode.INVALID_LICENCE, "请上传营业执照（PDF、JPG 或 PNG，不超过10MB） / upload the business licence (PDF, JPG or PNG, at most 10 MB)")
    else:
        if not signed or (user.real_name and signed != user.real_name.strip()):
            raise _refuse(ErrorCode.SIGNATURE_MISMATCH, "请以本人实名签署承诺书（与实名认证姓名一致） / sign with your real name")
    holder = holder_for(user, rnd)
    v = rules.priority_violation(decl.priority, holder is not None)
    if v:
        raise _refuse(v.code, v.message, 409, v.article)
    group = None
    text = commitment_for(user, rnd, decl, holder if decl.priority else None)
    if decl.group is not None:
        rep = (decl.legal_representative.strip(), decl.legal_representative_id.strip().upper()) if company else ("", "")
        group = groups.prepare(user, rnd, decl.group, representative=rep)
        text += "\n" + groups.commitment_clause(group, user.real_name or user.username)
    prepared = Prepared(notice_sha256=terms(rnd)["sha256"], text=text,
                        signed_name=signed, priority_holder=holder if decl.priority else None,
                        ip=decl.ip, user_agent=(decl.user_agent or "")[:300], group=group)
    if company:
        digest = rules.text_hash(content.decode("latin-1"))
        ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[ctype]
        key = f"registrations/round-{rnd.pk}/licence-{digest}.{ext}"
        storage = storages["default"]
        if not storage.exists(key):  # object storage: before any lock (docs/architecture.md, Locks)
            storage.save(key, ContentFile(content))
        prepared.company_uscc = uscc
        prepared.legal_representative, prepared.legal_representative_id = rep, rep_id
        prepared.licence_key, prepared.licence_sha256 = key, digest
    return prepared


def record(reg: Registration, prepared: Prepared, actor=None) -> Commitment | None:
    """Inside the registration's transaction (the registration locked): written once, the first kept."""
    existing = Commitment.objects.filter(registration=reg).first()
    if existing is not None:
        return existing
    if prepared.group is not None:
        groups.record(reg, prepared.group, actor=actor)
    c = Commitment.objects.create(
        registration=reg, notice_sha256=prepared.notice_sha256, text=prepared.text, text_sha256=rules.text_hash(prepared.text),
        signed_name=prepared.signed_name, signed_at=clock.now(), ip=prepared.ip, user_agent=prepared.user_agent,
        priority_holder=prepared.priority_holder, company_uscc=prepared.company_uscc,
        legal_representative=prepared.legal_representative, legal_representative_id=prepared.legal_representative_id,
        licence_key=prepared.licence_key, licence_sha256=prepared.licence_sha256,
    )
    audit.record("registration.commitment_signed", reg, actor=actor, data={
        "notice_sha256": c.notice_sha256, "text_sha256": c.text_sha256, "signed_at": c.signed_at, "ip": c.ip,
        "priority_holder": c.priority_holder_id, "company_uscc": c.company_uscc, "licence_sha256": c.licence_sha256})
    return c
