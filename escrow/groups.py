"""Registering as a group: joint bidding (联合竞买) and agent bidding (委托竞买).

Like escrow.commitments (which calls it): `prepare(user, round, group, ...)` checks the declaration and
stores the power of attorney in object storage (before any lock); `record(registration, prepared)`
writes the group inside the registration's transaction. The court's confirmation is
escrow.services.confirm_group / reject_group; the rules are escrow.rules (group rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import rules as identity
from accounts.models import User
from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from escrow import rules
from escrow.models import BiddingGroup, GroupMember, Registration
from lots.models import Round
from notifications import kinds
from notifications.services import notify, notify_many

# What the bidders of a group hear (the notifications outbox, in the transaction of the change).
GROUP_INVITED = kinds.register(kinds.Kind(
    "group_invited", _("联合竞买邀请"), _("您被列为联合竞买的共同竞买人：%(lot)s"),
    _("%(lead)s 报名联合竞买%(round)s，将您列为共同竞买人（份额 %(share)s）。同意的，请在竞价开始前到报名页确认。"),
    (kinds.INBOX, kinds.EMAIL, kinds.SMS)))
GROUP_CONFIRMED = kinds.register(kinds.Kind(
    "group_confirmed", _("联合竞买/委托竞买已确认"), _("法院已确认您的联合竞买/委托竞买：%(lot)s"),
    _("%(round)s：保证金到账后即发放竞买代码，竞价开始后即可出价。"), (kinds.INBOX, kinds.EMAIL, kinds.SMS)))
GROUP_REFUSED = kinds.register(kinds.Kind(
    "group_refused", _("联合竞买/委托竞买不予确认"), _("法院不予确认您的联合竞买/委托竞买：%(lot)s"),
    _("理由：%(reason)s。保证金将原路退还。"), (kinds.INBOX, kinds.EMAIL, kinds.SMS)))


@dataclass
class CoBidder:
    """One co-bidder as the form or the API named them: a real-name bidder account, by name and ID number."""

    name: str = ""
    id_number: str = ""
    share: Decimal | str | None = None
    legal_representative: str = ""  # a company co-bidder: its legal representative
    legal_representative_id: str = ""


@dataclass
class GroupDeclaration:
    kind: str = ""  # joint | agent
    share: Decimal | str | None = None  # joint: the registrant's own share
    co_bidders: list[CoBidder] = field(default_factory=list)
    principal_name: str = ""  # agent: the principal (委托人), the buyer
    principal_id_number: str = ""
    power_of_attorney: bytes | None = None  # agent: the 授权委托书, a PDF


@dataclass
class Member:
    user: User
    name: str
    id_number: str
    share: Decimal
    legal_representative: str = ""
    legal_representative_id: str = ""


@dataclass
class PreparedGroup:
    kind: str
    members: list[Member] = field(default_factory=list)
    principal_name: str = ""
    principal_id_number: str = ""
    poa_key: str = ""
    poa_sha256: str = ""


def _refuse(code: ErrorCode, message: str, status: int = 400, field_name: str | None = None, article: str | None = None) -> DomainError:
    return DomainError(code, message, status=status, field=field_name, article=article)


def _share(value) -> Decimal:
    try:
        share = value if isinstance(value, Decimal) else Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise _refuse(ErrorCode.SHARES_INVALID, "份额须为百分数，如 50 或 33.33 / a share is a percentage such as 50 or 33.33",
                      field_name="share") from None
    return share


def _is_company(user: User) -> bool:
    return user.id_kind == "uscc" or identity.identity_kind(user.id_number or "") == "uscc"


def _taken_in_round(user: User, rnd: Round) -> bool:
    """Already bidding in this round: a registration of their own (not cancelled) or a place in another group."""
    own = Registration.objects.filter(round=rnd, bidder=user).exclude(status=Registration.Status.CANCELLED).exists()
    return own or GroupMember.objects.filter(group__registration__round=rnd, user=user).exclude(
        group__registration__status=Registration.Status.CANCELLED).exists()


def _co_bidder(registrant: User, rnd: Round, c: CoBidder, seen: set[int]) -> User:
    name, id_number = c.name.strip(), c.id_number.strip().upper()
    member = User.objects.filter(id_number__iexact=id_number, role="bidder").first() if id_number else None
    if member is None or not name or (member.real_name or "").strip() != name:
        raise _refuse(ErrorCode.CO_BIDDER_INVALID, f"共同竞买人“{name or '—'}”须已在本平台实名注册为竞买人（姓名与证件号码一致） / "
                                                   "each co-bidder must have a real-name bidder account (name and ID number matching)",
                      field_name="co_bidders")
    if member.pk == registrant.pk or member.pk in seen:
        raise _refuse(ErrorCode.CO_BIDDER_INVALID, f"共同竞买人“{name}”重复 / a co-bidder is named twice", field_name="co_bidders")
    seen.add(member.pk)
    # Every co-bidder is a bidder in their own right: the same bars and the same age (A24, A34; Civil Code arts. 17-18).
    v = rules.check_bidder_eligible(member, rnd)
    if v:
        raise _refuse(v.code, f"共同竞买人{name}：{v.message}", 403, "co_bidders", v.article)
    if _taken_in_round(member, rnd):
        raise _refuse(ErrorCode.CO_BIDDER_INVALID, f"共同竞买人“{name}”已在本场拍卖中报名 / a co-bidder has already registered for this round",
                      409, "co_bidders")
    return member


def _representative(c: CoBidder, name: str) -> tuple[str, str]:
    """A company co-bidder acts through its legal representative: a name and a valid adult resident ID."""
    rep, rep_id = c.legal_representative.strip(), c.legal_representative_id.strip().upper()
    today = timezone.localdate(clock.now())
    if not rep or not identity.is_valid_resident_id(rep_id, today):
        raise _refuse(ErrorCode.INVALID_REPRESENTATIVE, f"单位共同竞买人{name}须填写法定代表人姓名及有效身份证号码 / a company co-bidder "
                                                        "names its legal representative with a valid ID number", field_name="co_bidders")
    if not identity.is_adult_on("resident_id", rep_id, today):
        raise _refuse(ErrorCode.NOT_ADULT, f"单位共同竞买人{name}的法定代表人须年满{identity.ADULT_AGE}周岁 / the legal representative "
                                           "must be an adult", 403, "co_bidders", "民法典17-18")
    return rep, rep_id


def prepare(user: User, rnd: Round, decl: GroupDeclaration, *, representative: tuple[str, str] = ("", "")) -> PreparedGroup:
    """Check a group declaration (nothing is written but the power of attorney, under a key of its hash)."""
    if decl.kind not in rules.GROUP_KINDS:
        raise _refuse(ErrorCode.INVALID, "竞买方式须为 joint（联合竞买）或 agent（委托竞买） / mode is joint or agent", field_name="mode")
    v = rules.group_window_violation(rnd.status, rnd.starts_at, clock.now())
    if v:
        raise _refuse(v.code, v.message, 409, article=v.article)
    if GroupMember.objects.filter(group__registration__round=rnd, user=user).exclude(group__registration__bidder=user).exists():
        raise _refuse(ErrorCode.CO_BIDDER_INVALID, "您已作为共同竞买人加入本场拍卖的联合竞买 / you are already a co-bidder in this round", 409)
    if decl.kind == "joint":
        return _prepare_joint(user, rnd, decl, representative)
    return _prepare_agent(user, rnd, decl)


def _prepare_joint(user: User, rnd: Round, decl: GroupDeclaration, representative: tuple[str, str]) -> PreparedGroup:
    shares = [_share(decl.share if decl.share not in (None, "") else 0)] + [_share(c.share if c.share not in (None, "") else 0)
                                                                           for c in decl.co_bidders]
    v = rules.shares_violation(shares)
    if v:
        raise _refuse(v.code, v.message, field_name=v.field)
    members = [Member(user, user.real_name or user.username, (user.id_number or "").upper(), shares[0], *representative)]
    seen: set[int] = set()
    for c, share in zip(decl.co_bidders, shares[1:]):
        member = _co_bidder(user, rnd, c, seen)
        rep = _representative(c, member.real_name) if _is_company(member) else ("", "")
        members.append(Member(member, member.real_name, member.id_number.upper(), share, *rep))
    return PreparedGroup("joint", members)


def _prepare_agent(user: User, rnd: Round, decl: GroupDeclaration) -> PreparedGroup:
    name, id_number = decl.principal_name.strip(), decl.principal_id_number.strip().upper()
    kind = identity.identity_kind(id_number, timezone.localdate(clock.now())) if id_number else None
    if not name or kind is None:
        raise _refuse(ErrorCode.PRINCIPAL_INVALID, "请填写委托人姓名（名称）及有效的身份证号码或统一社会信用代码 / the principal's name and a "
                                                   "valid ID number or unified social credit code are required", field_name="principal_id_number")
    if id_number == (user.id_number or "").upper():
        raise _refuse(ErrorCode.PRINCIPAL_INVALID, "委托人不能是代理人本人 / the agent cannot be their own principal", field_name="principal_id_number")
    # The principal is the buyer: the bars and the age apply to them (A24, A34; Civil Code arts. 17-18).
    v = rules.check_principal_eligible(kind, id_number, rnd)
    if v:
        raise _refuse(v.code, f"委托人{name}：{v.message}", 403, "principal_id_number", v.article)
    v = rules.poa_violation(decl.power_of_attorney)
    if v:
        raise _refuse(v.code, v.message, field_name=v.field)
    content = decl.power_of_attorney or b""
    digest = rules.text_hash(content.decode("latin-1"))
    key = f"registrations/round-{rnd.pk}/power-of-attorney-{digest}.pdf"
    storage = storages["default"]
    if not storage.exists(key):  # object storage: before any lock (docs/architecture.md, Locks)
        storage.save(key, ContentFile(content))
    return PreparedGroup("agent", principal_name=name, principal_id_number=id_number, poa_key=key, poa_sha256=digest)


def commitment_clause(prepared: PreparedGroup, agent_name: str) -> str:
    """What the commitment adds for a group: the buyers and their shares, or the principal."""
    if prepared.kind == "joint":
        buyers = "、".join(f"{m.name}（{m.id_number}，份额{rules.format_share(m.share)}）" for m in prepared.members)
        return (f"七、本次为联合竞买：买受人为{buyers}，各方份额合计100%；联合竞买人共用一个竞买代码、共同缴纳一份保证金，"
                "经法院确认后方可出价，竞得后按上述份额共同取得标的物并对全部价款承担连带责任。")
    return (f"七、本次为委托竞买：代理人{agent_name}受委托人{prepared.principal_name}（{prepared.principal_id_number}）委托，"
            "凭授权委托书竞买；经法院确认后方可出价，竞得的买受人为委托人。")


def record(reg: Registration, prepared: PreparedGroup, actor=None) -> BiddingGroup:
    """Inside the registration's transaction (the registration locked): written once, with the first commitment."""
    existing = BiddingGroup.objects.filter(registration=reg).first()
    if existing is not None:
        return existing
    if reg.code:
        raise Conflict(ErrorCode.ALREADY_REGISTERED, "已以个人名义报名并取得竞买代码，不能改为联合竞买或委托竞买 / already registered "
                                                     "as a single bidder with a code")
    group = BiddingGroup.objects.create(
        registration=reg, kind=prepared.kind, principal_name=prepared.principal_name,
        principal_id_number=prepared.principal_id_number, poa_key=prepared.poa_key, poa_sha256=prepared.poa_sha256,
        created_at=clock.now())
    GroupMember.objects.bulk_create([
        GroupMember(group=group, position=i, user=m.user, name=m.name, id_number=m.id_number, share=m.share,
                    legal_representative=m.legal_representative, legal_representative_id=m.legal_representative_id,
                    accepted_at=group.created_at if i == 0 else None)  # the registrant agrees by signing; each co-bidder in their account
        for i, m in enumerate(prepared.members)])
    rnd = Round.objects.select_related("lot").get(pk=reg.round_id)
    lead = prepared.members[0].name if prepared.members else ""
    for m in prepared.members[1:]:
        notify(m.user, GROUP_INVITED.name, key=f"group_invited:{reg.pk}:{m.user.pk}", url=f"/escrow/rounds/{rnd.pk}/register/",
               data=kinds.round_data(rnd, lead=lead, share=rules.format_share(m.share)))
    audit.record("registration.group_declared", reg, actor=actor, data={
        "kind": group.kind, "members": [{"id_number": m.id_number, "share": str(m.share)} for m in prepared.members],
        "principal": prepared.principal_id_number, "poa_sha256": prepared.poa_sha256})
    return group


def tell_decision(group: BiddingGroup, rnd: Round) -> None:
    """The court confirmed or refused the group: every buyer of it hears (in the decision's transaction)."""
    kind = GROUP_CONFIRMED if group.status == BiddingGroup.Status.CONFIRMED else GROUP_REFUSED
    users = [group.registration.bidder_id, *(m.user_id for m in group.members.all())]
    notify_many(users, kind.name, key=f"{kind.name}:{group.registration_id}", url=f"/lots/{rnd.lot_id}/",
                data=kinds.round_data(rnd, reason=group.reason))
