"""Forms of the account pages. Registration checks are those of accounts.services.register_bidder
(GB 11643 resident ID / GB 32100 unified social credit code, phone, unique ID); the form adds clear
Chinese messages per field and the password confirmation."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.rules import identity_kind
from accounts.services import PHONE_RE


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误，请重新输入。"),
        "inactive": _("该账户已停用。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")


class RegisterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, help_text=_("3至150位字母、数字或 @.+-_"))
    real_name = forms.CharField(label=_("真实姓名或单位名称"), max_length=200)
    id_number = forms.CharField(label=_("居民身份证号码或统一社会信用代码"), max_length=18, min_length=18,
                                error_messages={"min_length": _("证件号码应为18位。"), "max_length": _("证件号码应为18位。")})
    phone = forms.CharField(label=_("手机号码"), max_length=11)
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, min_length=8,
                                error_messages={"min_length": _("密码至少8位。")})
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)
    agree = forms.BooleanField(label=_("我知悉：每次报名前须阅读并同意该场拍卖的竞买公告和竞买须知（报名页提供全文），保证金以本人名义交纳（网拍规定第十七条）"),
                               error_messages={"required": _("请阅读并同意竞买须知。")})

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if identity_kind(value) is None:
            if value[:17].isdigit():
                raise forms.ValidationError(_("身份证号码校验失败：请核对出生日期和最后一位校验码（GB 11643）。"))
            raise forms.ValidationError(_("统一社会信用代码校验失败：请核对最后一位校验码（GB 32100）。"))
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not PHONE_RE.match(value):
            raise forms.ValidationError(_("请输入11位中国大陆手机号码。"))
        return value

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data
