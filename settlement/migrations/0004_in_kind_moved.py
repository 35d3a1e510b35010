"""In-kind settlements ([C] A16) move from bidding to settlement. State only: the table keeps its name."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0003_in_kind"),
        ("bidding", "0004_inkindsettlement_proxybid"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="InKindSettlement",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("creditor", models.CharField(max_length=200, verbose_name="接受抵债的申请执行人")),
                    ("price", models.BigIntegerField(verbose_name="抵债价格(分)")),
                    ("decided_at", models.DateTimeField()),
                    ("decided_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ("lot", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="in_kind_settlement", to="lots.lot")),
                    ("round", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="lots.round")),
                ],
                options={
                    "db_table": "bidding_inkindsettlement",
                    "constraints": [models.CheckConstraint(condition=models.Q(("price__gt", 0)), name="in_kind_price_positive")],
                },
            ),
        ]),
    ]
