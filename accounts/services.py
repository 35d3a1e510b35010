"""Writes of the accounts app (names are stable; the pages and other apps call these).

- ``register_bidder(*, username, password, real_name, id_number, phone) -> User``
  real-name bidder; the kind of ID (GB 11643 resident ID or GB 32100 credit code) is detected.
- ``create_account(*, role, username, password, real_name, court_code=None, organisation=None,
  id_number="", phone="") -> User``  judge (of a court), valuer (of an organisation, via
  ``valuation.services.join_organisation``), operator (staff in Django admin) or party (linked to the
  CaseParty rows with the same ID number).
- ``issue_token(user) -> str``  the DRF auth token.
- ``mask_id_number(value) -> str``  "110101********0134".
"""

from __future__ import annotations

import re

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Court, IdentityKind, Role, User
from accounts.rules import ADULT_AGE, identity_kind, is_adult_on
from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[\w.@+-]{3,150}$")
OPERATORS_GROUP = "operators"
OPERATOR_APPS = ["accounts", "lots"]


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:]


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise DomainError(ErrorCode.INVALID_USERNAME, "用户名须为3至150位字母、数字或 @.+-_ / username: 3–150 letters, digits or @.+-_", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(ErrorCode.DUPLICATE_USERNAME, "用户名已被使用 / this username is taken")
    return username


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise DomainError(ErrorCode.WEAK_PASSWORD, "; ".join(exc.messages), field="password")


def check_identity(id_number: str) -> tuple[str, str]:
    """(normalised number, kind) or DomainError: GB 11643 resident ID or GB 32100 credit code."""
    value = (id_number or "").strip().upper()
    kind = identity_kind(value, today_on_the_clock())
    if kind is None:
        raise DomainError(ErrorCode.INVALID_ID_NUMBER,
                          "证件号码校验失败：须为有效的居民身份证号码(GB 11643，出生日期须为已过去的真实日期)或统一社会信用代码(GB 32100) / "
                          "not a valid resident ID (GB 11643, with a real birth date in the past) or unified social credit code (GB 32100)",
                          field="id_number")
    return value, kind


def today_on_the_clock():
    """The site clock's calendar day in Asia/Shanghai (the day a registration is made)."""
    return timezone.localdate(clock.now())


def check_adult(kind: str, number: str) -> None:
    """Civil Code art. 17–18 (accounts.rules.is_adult_on): a natural person registers as a bidder only as an adult."""
    if not is_adult_on(kind, number, today_on_the_clock()):
        raise DomainError(ErrorCode.NOT_ADULT, f"竞买人须为年满{ADULT_AGE}周岁的完全民事行为能力人（民法典第十七、十八条） / "
                                       f"a bidder must be an adult of {ADULT_AGE} or more with full civil capacity (Civil Code art. 17–18)",
                          field="id_number")


def register_bidder(*, username: str, password: str, real_name: str, id_number: str, phone: str) -> User:
    """A real-name bidder account (A17: the deposit is paid in the bidder's own name)."""
    real_name = (real_name or "").strip()
    if not real_name:
        raise DomainError(ErrorCode.REAL_NAME_REQUIRED, "须填写真实姓名或单位名称 / the real name is required", field="real_name")
    phone = phone or ""
    if not PHONE_RE.fullmatch(phone):  # as typed: no spaces or newline around the digits
        raise DomainError(ErrorCode.INVALID_PHONE, "手机号码格式不正确 / phone must be an 11-digit mainland mobile number", field="phone")
    number, kind = check_identity(id_number)
    check_adult(kind, number)
    with transaction.atomic():
        username = _check_username(username)
        if User.objects.filter(id_number=number).exists():
            raise DomainError(ErrorCode.DUPLICATE_ID_NUMBER, "该证件号码已注册 / an account with this ID number already exists", field="id_number")
        user = User(username=username, role=Role.BIDDER, real_name=real_name, id_kind=kind, id_number=number, phone=phone)
        _check_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise DomainError(ErrorCode.DUPLICATE_ID_NUMBER, "该证件号码已注册 / an account with this ID number already exists", field="id_number")
        audit.record("account.registered", user, actor=user, data={"role": Role.BIDDER, "id_kind": kind, "id_number": mask_id_number(number)})
    return user


def issue_token(user: User) -> str:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def operators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=OPERATOR_APPS)
    group.permissions.add(*perms)
    return group


def create_account(*, role: str, username: str, password: str, real_name: str, court_code: str | None = None,
                   organisation: str | None = None, id_number: str = "", phone: str = "", actor=None) -> User:
    """Accounts the platform creates for staff and parties (bidders register themselves).

    A valuer's organisation and a party's cases are linked by the apps that own them (valuation,
    lots), in the same transaction: the create_account command composes the three."""
    if role not in {Role.JUDGE, Role.VALUER, Role.OPERATOR, Role.PARTY}:
        raise DomainError(ErrorCode.INVALID_ROLE, "角色须为 judge、valuer、operator 或 party / role must be judge, valuer, operator or party")
    if not (real_name or "").strip():
        raise DomainError(ErrorCode.REAL_NAME_REQUIRED, "须填写真实姓名 / the real name is required", field="real_name")
    court = None
    if role == Role.JUDGE:
        if not court_code:
            raise DomainError(ErrorCode.COURT_REQUIRED, "法官账户须指定法院代字 / a judge needs --court-code")
        court = Court.objects.filter(code=court_code).first()
        if court is None:
            raise DomainError(ErrorCode.UNKNOWN_COURT, f"法院代字不存在 / no court with code {court_code!r}")
    if role == Role.VALUER and not organisation:
        raise DomainError(ErrorCode.ORGANISATION_REQUIRED, "评估/询价人员须指定机构代码 / a valuer needs --organisation")
    kind = ""
    if id_number:
        id_number, kind = check_identity(id_number)
    with transaction.atomic():
        username = _check_username(username)
        if id_number and User.objects.filter(id_number=id_number).exists():
            raise DomainError(ErrorCode.DUPLICATE_ID_NUMBER, "该证件号码已注册 / an account with this ID number already exists", field="id_number")
        user = User(username=username, role=role, real_name=real_name.strip(), court=court, id_number=id_number, id_kind=kind, phone=phone or "")
        _check_password(password, user)
        user.set_password(password)
        if role == Role.OPERATOR:
            user.is_staff = True
        user.save()
        if role == Role.OPERATOR:
            user.groups.add(operators_group())
        audit.record("account.created", user, actor=actor, data={
            "role": role, "court": court.code if court else "", "organisation": organisation or "",
            "id_number": mask_id_number(id_number),
        })
    return user


__all__ = ["register_bidder", "create_account", "issue_token", "mask_id_number", "check_identity", "IdentityKind"]
