"""The catalogue's region, sub-type, round and discount filters (docs/catalogue.md).

- Lot.province / Lot.district (Lot.city exists) and Lot.subtype, indexed; backfilled here: the province
  from the lot's court, the sub-type from words of the title (a judge corrects it on the lot form).
- Round.discount: the starting price as a whole percentage of the lot's reference price, rounded half
  up (lots.discount, the same integer formula in SQL), indexed over the listed rounds.
- The listed rounds' (kind, number, ends_at, id) for 一拍 / 二拍 / 变卖.
Every index is a plain (partial) B-tree: SQLite (the embedded mode) builds them too.
"""

from django.db import migrations, models

# (sub-type, category, words of the title, first match wins)
SUBTYPE_WORDS = [
    ("industrial_land", "real_estate", ["工业用地", "建设用地使用权"]), ("commercial_land", "real_estate", ["商业用地"]),
    ("villa", "real_estate", ["别墅"]), ("shop", "real_estate", ["商铺", "门面"]), ("office", "real_estate", ["办公"]),
    ("factory", "real_estate", ["厂房", "仓库"]), ("residential", "real_estate", ["住宅", "公寓", "室"]),
    ("truck", "vehicle", ["货车", "挂车"]), ("bus", "vehicle", ["客车"]), ("suv", "vehicle", ["越野车"]),
    ("car", "vehicle", ["轿车", "商务车", "汽车"]), ("equity", "equity", ["股权"]), ("ship", "movable", ["船"]),
    ("jewellery", "movable", ["翡翠", "黄金", "珠宝", "首饰"]), ("art", "movable", ["字画", "瓷器", "家具"]),
    ("machinery", "movable", ["机", "设备"]), ("parking", "other", ["车位"]),
]


def backfill(apps, schema_editor):
    Lot = apps.get_model("lots", "Lot")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("UPDATE lots_lot SET province = COALESCE((SELECT c.province FROM lots_enforcementcase e JOIN lots_court c "
                       "ON c.id = e.court_id WHERE e.id = lots_lot.case_id), '')")
        cursor.execute("UPDATE lots_round SET discount = (SELECT CASE WHEN (200 * lots_round.starting_price + l.reference_price) "
                       "/ (2 * l.reference_price) > 9999 THEN 9999 ELSE (200 * lots_round.starting_price + l.reference_price) "
                       "/ (2 * l.reference_price) END FROM lots_lot l WHERE l.id = lots_round.lot_id AND l.reference_price > 0)")
    for subtype, category, words in SUBTYPE_WORDS:
        match = models.Q()
        for word in words:
            match |= models.Q(title__contains=word)
        Lot.objects.filter(match, subtype="", category=category).update(subtype=subtype)
    if schema_editor.connection.vendor == "postgresql":
        # The updates leave deferred foreign-key checks pending, and PostgreSQL builds no index on a table
        # with pending trigger events in the same transaction: run them now.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('lots', '0010_notice_template'),
    ]

    operations = [
        migrations.AddField(
            model_name='lot',
            name='district',
            field=models.CharField(blank=True, default='', max_length=50, verbose_name='区县'),
        ),
        migrations.AddField(
            model_name='lot',
            name='province',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='省份'),
        ),
        migrations.AddField(
            model_name='lot',
            name='subtype',
            field=models.CharField(blank=True, choices=[('residential', '住宅'), ('villa', '别墅'), ('shop', '商铺'), ('office', '办公用房'), ('factory', '厂房'), ('industrial_land', '工业用地'), ('commercial_land', '商业用地'), ('parking', '车位'), ('car', '轿车'), ('suv', '越野车'), ('truck', '货车'), ('bus', '客车'), ('equity', '股权'), ('machinery', '机械设备'), ('ship', '船舶'), ('jewellery', '珠宝首饰'), ('art', '艺术品'), ('rights', '其他权利')], default='', max_length=24, verbose_name='标的类型'),
        ),
        migrations.AddField(
            model_name='round',
            name='discount',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='折扣(%)'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='lot',
            index=models.Index(fields=['province', 'city', 'district'], name='lot_region'),
        ),
        migrations.AddIndex(
            model_name='lot',
            index=models.Index(fields=['district'], name='lot_district'),
        ),
        migrations.AddIndex(
            model_name='lot',
            index=models.Index(fields=['subtype'], name='lot_subtype'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('kind'), models.F('number'), models.F('ends_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_kind'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('discount'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_discount'),
        ),
    ]
