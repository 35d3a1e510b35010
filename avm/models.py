"""Past sales the built-in valuation model prices from (issue 3, point 8)."""

from django.db import models

from lots.models import Category


class PastSale(models.Model):
    """One completed sale: a platform round that sold, or an imported/demo record of a past sale.

    `size` is in `size_unit`: ㎡ for real estate, the new-car price in 万元 for vehicles, grams for
    precious metals, and so on; the model prices per unit of size within a category.
    """

    class Source(models.TextChoices):
        PLATFORM = "platform", "本平台成交"
        IMPORT = "import", "导入"
        DEMO = "demo", "演示数据"

    category = models.CharField(max_length=16, choices=Category.choices)
    kind = models.CharField("细分类型", max_length=32, blank=True, help_text="apartment, shop, land, car, gold …")
    title = models.CharField("标的名称", max_length=300, blank=True)
    city = models.CharField(max_length=50)
    location = models.CharField("区县/地址", max_length=300, blank=True)
    size = models.DecimalField("面积/数量", max_digits=14, decimal_places=2, null=True, blank=True)
    size_unit = models.CharField(max_length=16, blank=True, default="㎡")
    year_built = models.PositiveIntegerField("建成/出厂年份", null=True, blank=True)
    sold_at = models.DateTimeField("成交时间")
    price = models.BigIntegerField("成交价(分)")
    starting_price = models.BigIntegerField("起拍价(分)", null=True, blank=True)
    reference_price = models.BigIntegerField("参考价(分)", null=True, blank=True)
    lot = models.ForeignKey("lots.Lot", null=True, blank=True, on_delete=models.SET_NULL, related_name="past_sales")
    round = models.OneToOneField("lots.Round", null=True, blank=True, on_delete=models.SET_NULL, related_name="past_sale")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PLATFORM)
    # A sale that did not happen after all (the buyer defaulted, 悔拍 A24) stays on file but is not priced from.
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-sold_at", "-id"]
        indexes = [models.Index(fields=["category", "city", "sold_at"], name="avm_sale_cat_city_time")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="avm_sale_price_positive"),
            models.CheckConstraint(condition=models.Q(size__isnull=True) | models.Q(size__gt=0), name="avm_sale_size_positive"),
            models.CheckConstraint(condition=models.Q(starting_price__isnull=True) | models.Q(starting_price__gt=0), name="avm_sale_start_positive"),
            models.CheckConstraint(condition=models.Q(reference_price__isnull=True) | models.Q(reference_price__gt=0), name="avm_sale_ref_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.title or self.get_category_display()} {self.price / 100:.0f}元"
