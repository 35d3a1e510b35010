"""Forms of the lots pages: the catalogue filters and the judge workbench.

Money is typed in yuan (up to 2 decimals) and converted to integer fen here; no float is involved.
Times are typed in Asia/Shanghai (datetime-local inputs) and stored as aware datetimes.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Court
from lots import discount
from lots.models import SUBTYPES_BY_CATEGORY, Category, Lot, Round, Subtype
from lots.selectors import CATALOGUE_SORTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_YUAN = Decimal("100000000000")  # 1,000 亿元: far above any lot, keeps fen inside BIGINT


def yuan_to_fen(value: Decimal | None) -> int | None:
    if value is None:
        return None
    return int((value * 100).to_integral_value())


class YuanField(forms.DecimalField):
    """An amount in yuan with at most 2 decimals; `clean()` returns integer fen."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", MAX_YUAN)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("step", "0.01")

    def clean(self, value):
        return yuan_to_fen(super().clean(value))


class PositiveYuanField(YuanField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(*args, **kwargs)


def fen_to_yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


SORT_CHOICES = [
    ("", _("推荐：正在进行优先")),
    ("ending_soon", _("即将结束")),
    ("-published_at", _("最新发布")),
    ("starts_at", _("即将开拍")),
    ("price", _("价格从低到高")),
    ("-price", _("价格从高到低")),
    ("-bid_count", _("出价最多")),
]
assert all(key in CATALOGUE_SORTS for key, _label in SORT_CHOICES if key)

STATUS_FILTERS = [
    ("", _("全部状态")),
    ("announced", _("即将开始")),
    ("open", _("正在进行")),
    ("sold", _("已成交")),
    ("failed", _("流拍")),
    ("closed", _("已结束")),
    ("suspended", _("中止")),
    ("withdrawn", _("撤回")),
]


# The provincial-level divisions, as courts and lots store them (short names).
PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东",
             "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"]

ROUND_FILTERS = [("", _("全部拍次")), ("first", _("一拍")), ("second", _("二拍")), ("selloff", _("变卖"))]


def subtype_choices() -> list:
    """Sub-types grouped by their category (<optgroup>)."""
    labels = dict(Subtype.choices)
    return [("", _("全部类型")), *[(_(Category(c).label), [(v, _(labels[v])) for v in values]) for c, values in SUBTYPES_BY_CATEGORY.items()]]


class ZheField(forms.DecimalField):
    """A discount typed in 折 (0–10, one decimal: "7.5"); `clean()` returns whole percent (75), as lots.discount."""

    def __init__(self, *args, **kwargs):
        kwargs.update(max_digits=3, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("10"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(inputmode="decimal", step="0.1")

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else discount.tenths_of_zhe(format(number, "f"))


class QuickSelect(forms.Select):
    """A <select> written in one pass: Django renders each option through a template (about a millisecond
    for a few options), and the court list of a national catalogue has thousands."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs or {})
        current = "" if value is None else str(value)
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (str(v), mark_safe(" selected") if str(v) == current else "", label) for v, label in self.choices))
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"placeholder": _("标的名称、案号或所在地"), "type": "search"}))
    category = forms.ChoiceField(label=_("类别"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS_FILTERS)
    court = forms.ChoiceField(label=_("法院"), required=False, widget=QuickSelect)
    min_price = YuanField(label=_("最低价（元）"), required=False)
    max_price = YuanField(label=_("最高价（元）"), required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)
    province = forms.ChoiceField(label=_("省份"), required=False, choices=[("", _("全部省份")), *[(p, p) for p in PROVINCES]])
    city = forms.CharField(label=_("城市"), required=False, max_length=50, widget=forms.TextInput(attrs={"placeholder": _("如：苏州")}))
    district = forms.CharField(label=_("区县"), required=False, max_length=50, widget=forms.TextInput(attrs={"placeholder": _("如：姑苏区")}))
    subtype = forms.ChoiceField(label=_("标的类型"), required=False)
    round = forms.ChoiceField(label=_("拍次"), required=False, choices=ROUND_FILTERS)
    min_discount = ZheField(label=_("最低折扣（折）"), required=False)
    max_discount = ZheField(label=_("最高折扣（折）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subtype"].choices = subtype_choices()
        self.fields["category"].choices = [("", _("全部类别")), *[(c.value, _(c.label)) for c in Category]]
        self.fields["court"].choices = [("", _("全部法院")), *Court.objects.order_by("code").values_list("code", "name")]

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_price"), data.get("max_price")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_price", _("最高价不能低于最低价"))
        lo, hi = data.get("min_discount"), data.get("max_discount")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_discount", _("最高折扣不能低于最低折扣"))
        return data

    def selector_kwargs(self) -> dict:
        """Arguments for lots.selectors.catalogue_rounds (only the valid filters)."""
        data = self.cleaned_data if self.is_bound else {}
        return {
            "q": data.get("q") or None,
            "category": data.get("category") or None,
            "status": data.get("status") or None,
            "court": data.get("court") or None,
            "min_price": data.get("min_price") if "min_price" not in self.errors else None,
            "max_price": data.get("max_price") if "max_price" not in self.errors else None,
            "province": data.get("province") or None,
            "city": data.get("city") or None,
            "district": data.get("district") or None,
            "subtype": data.get("subtype") or None,
            "round": data.get("round") or None,
            "min_discount": data.get("min_discount") if "min_discount" not in self.errors else None,
            "max_discount": data.get("max_discount") if "max_discount" not in self.errors else None,
            # No sort chosen: open rounds first, then announced ones (lots.selectors_catalogue).
            "sort": data.get("sort") or "recommended",
        }


# ------------------------------------------------------------------------------------- judge workbench


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("，", "\n").replace(",", "\n").splitlines() if line.strip()]


class CaseForm(forms.Form):
    case_number = forms.CharField(label=_("案号"), max_length=64, widget=forms.TextInput(attrs={"placeholder": "(2024)苏05执123号"}))
    applicants = forms.CharField(label=_("申请执行人（每行一个）"), widget=forms.Textarea(attrs={"rows": 2}))
    respondents = forms.CharField(label=_("被执行人（每行一个）"), widget=forms.Textarea(attrs={"rows": 2}))
    amount_owed = YuanField(label=_("执行标的金额（元）"))

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"case_number": d["case_number"], "applicants": _lines(d["applicants"]), "respondents": _lines(d["respondents"]),
                "amount_owed": d["amount_owed"]}


class LotForm(forms.Form):
    title = forms.CharField(label=_("标的名称"), max_length=300)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    description = forms.CharField(label=_("标的物介绍"), widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(label=_("所在地"), max_length=300)
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    province = forms.ChoiceField(label=_("省份（空：法院所在省份）"), required=False, choices=[("", "—"), *[(p, p) for p in PROVINCES]])
    district = forms.CharField(label=_("区县"), max_length=50, required=False)
    subtype = forms.ChoiceField(label=_("标的类型"), required=False)
    size = forms.DecimalField(label=_("面积/数量"), max_digits=14, decimal_places=2, required=False, min_value=0)
    size_unit = forms.CharField(label=_("单位"), max_length=16, required=False, initial="㎡")
    year_built = forms.IntegerField(label=_("建成/出厂年份"), required=False, min_value=1800, max_value=2100)
    title_status = forms.CharField(label=_("权属情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    occupancy = forms.CharField(label=_("占有使用情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    defects_and_encumbrances = forms.CharField(label=_("瑕疵与权利负担"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    transfer_tax_payer = forms.ChoiceField(label=_("税费承担"), choices=Lot.TaxPayer.choices)
    judgment_enforced = forms.CharField(label=_("执行依据"), max_length=1000, required=False)
    reference_price = PositiveYuanField(label=_("参考价（元，可待询价评估后确定）"), required=False)
    reference_price_source = forms.CharField(label=_("参考价依据"), max_length=200, required=False)
    priority_holders = forms.CharField(
        label=_("优先购买权人（每行：姓名/名称;证件号码;顺位;依据）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    FIELDS = ["title", "category", "description", "location", "city", "province", "district", "subtype", "size", "size_unit", "year_built", "title_status", "occupancy",
              "defects_and_encumbrances", "transfer_tax_payer", "judgment_enforced", "reference_price", "reference_price_source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subtype"].choices = [("", "—"), *subtype_choices()[1:]]

    @classmethod
    def initial_for(cls, lot: Lot) -> dict:
        initial = {name: getattr(lot, name) for name in cls.FIELDS}
        initial["reference_price"] = fen_to_yuan(lot.reference_price)
        initial["priority_holders"] = "\n".join(f"{h.name};{h.id_number};{h.rank};{h.basis}" for h in lot.priority_holders.all())
        return initial

    def clean_priority_holders(self) -> list[dict]:
        holders = []
        for n, line in enumerate((self.cleaned_data.get("priority_holders") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("；", ";").split(";")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(_("第%(n)s行格式应为：姓名;证件号码;顺位;依据") % {"n": n})
            rank = parts[2] if len(parts) > 2 and parts[2] else "1"
            if not rank.isdigit() or int(rank) < 1:
                raise forms.ValidationError(_("第%(n)s行的顺位应为正整数") % {"n": n})
            holders.append({"name": parts[0], "id_number": parts[1], "rank": int(rank), "basis": parts[3] if len(parts) > 3 else ""})
        return holders

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        fields = {name: d.get(name) for name in self.FIELDS}
        for name in ("city", "province", "district", "subtype", "size_unit", "title_status", "occupancy", "defects_and_encumbrances", "judgment_enforced", "reference_price_source"):
            fields[name] = fields[name] or ""
        return {"priority_holders": d.get("priority_holders") or [], **fields}


class ShanghaiDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

    def to_python(self, value):
        result = super().to_python(value)
        if isinstance(result, datetime):
            result = result.replace(tzinfo=None).replace(tzinfo=SHANGHAI)
        return result


class RoundForm(forms.Form):
    starting_price = PositiveYuanField(label=_("起拍价（元）"))
    deposit = PositiveYuanField(label=_("保证金（元）"))
    increment = PositiveYuanField(label=_("加价幅度（元）"))
    starts_at = ShanghaiDateTimeField(label=_("开始时间（北京时间）"))
    ends_at = ShanghaiDateTimeField(label=_("结束时间（北京时间）"))
    announcement = forms.CharField(label=_("竞买公告（留空则按本院模板生成）"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    bidding_notice = forms.CharField(label=_("竞买须知（留空则按本院模板生成）"), widget=forms.Textarea(attrs={"rows": 6}), required=False)

    def __init__(self, *args, earliest_start: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if earliest_start is not None:
            # A12/A16: the first start that passes the parties' notice and the announcement period.
            self.fields["starts_at"].help_text = _("最早可开始：%(at)s（通知当事人3日后公告，公告期满后开拍；第十二、十六条）") % {
                "at": earliest_start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}

    @classmethod
    def initial_for(cls, rnd: Round) -> dict:
        return {"starting_price": fen_to_yuan(rnd.starting_price), "deposit": fen_to_yuan(rnd.deposit), "increment": fen_to_yuan(rnd.increment),
                "starts_at": rnd.starts_at.astimezone(SHANGHAI), "ends_at": rnd.ends_at.astimezone(SHANGHAI),
                "announcement": rnd.announcement, "bidding_notice": rnd.bidding_notice}

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def suggested_start(earliest: datetime) -> datetime:
    """The earliest start rounded up to 10:00 Beijing time (bidding usually runs 10:00 to 10:00 the next day)."""
    local = earliest.astimezone(SHANGHAI)
    at_ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return at_ten if at_ten >= local else at_ten + timedelta(days=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=1000, required=False)


class NoticeTemplateForm(forms.Form):
    text = forms.CharField(label=_("模板"), widget=forms.Textarea(attrs={"rows": 14}), required=False, max_length=20_000)


ROUND_ACTIONS = {"notify-parties", "publish", "suspend", "cause-ended", "resume", "withdraw", "generate-texts"}
MEDIA_ACTIONS = {"delete", "up", "down", "cover"}
ROUND_STATUS_LABELS = dict(Round.Status.choices)
