from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    BIDDER = "bidder", "竞买人"
    JUDGE = "judge", "法官"
    VALUER = "valuer", "评估/询价人员"
    PARTY = "party", "当事人"
    OPERATOR = "operator", "平台运营"


class IdentityKind(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    USCC = "uscc", "统一社会信用代码"


class Court(models.Model):
    """A people's court; its judges act only on its cases."""

    name = models.CharField("法院", max_length=200, unique=True)
    code = models.CharField("法院代字", max_length=20, unique=True, help_text="e.g. 苏05")
    province = models.CharField(max_length=50, blank=True)
    city = models.CharField(max_length=50, blank=True)
    contact = models.CharField("联系方式", max_length=200, blank=True)

    class Meta:
        db_table = "lots_court"  # the table it had when lots modelled it

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BIDDER)
    real_name = models.CharField("真实姓名/名称", max_length=200, blank=True)
    id_kind = models.CharField(max_length=16, choices=IdentityKind.choices, blank=True)
    id_number = models.CharField("证件号码", max_length=18, blank=True, db_index=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    # A judge belongs to exactly one court and acts only there.
    court = models.ForeignKey(Court, null=True, blank=True, on_delete=models.PROTECT, related_name="judges")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~models.Q(id_number=""), name="user_id_number_unique"),
            models.CheckConstraint(condition=~models.Q(role="judge") | models.Q(court__isnull=False), name="judge_has_court"),
        ]

    @property
    def is_judge(self) -> bool:
        return self.role == Role.JUDGE

    @property
    def is_bidder(self) -> bool:
        return self.role == Role.BIDDER

    @property
    def is_valuer(self) -> bool:
        return self.role == Role.VALUER

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR or self.is_superuser

    def display_name(self) -> str:
        return self.real_name or self.username


class BarredIdentity(models.Model):
    """People barred from bidding by A34: court and platform staff and their close relatives."""

    id_number = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"
