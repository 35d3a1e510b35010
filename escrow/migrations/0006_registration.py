"""Registrations move from bidding to escrow, their only writer. State only: the table keeps its
name (bidding_registration), its rows and its constraints."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0005_deposit_refund_attempted_at"),
        ("bidding", "0004_inkindsettlement_proxybid"),
        ("lots", "0004_round_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="Registration",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("status", models.CharField(choices=[("pending", "待缴保证金"), ("held", "保证金已冻结"), ("released", "保证金已退还"),
                                                         ("applied", "保证金已转为价款"), ("forfeited", "保证金已没收"), ("cancelled", "已取消")],
                                                db_index=True, default="pending", max_length=16)),
                    ("code", models.CharField(blank=True, max_length=16, null=True, verbose_name="竞买代码")),
                    ("priority_rank", models.PositiveSmallIntegerField(blank=True, null=True)),
                    ("created_at", models.DateTimeField()),
                    ("held_at", models.DateTimeField(blank=True, null=True)),
                    ("bidder", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="registrations", to=settings.AUTH_USER_MODEL)),
                    ("round", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="registrations", to="lots.round")),
                ],
                options={
                    "db_table": "bidding_registration",
                    "constraints": [
                        models.UniqueConstraint(fields=("round", "bidder"), name="registration_once_per_round"),
                        models.UniqueConstraint(fields=("round", "code"), name="bidder_code_unique_in_round"),
                    ],
                },
            ),
            migrations.AlterField(
                model_name="ledgeraccount", name="registration",
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="ledger_accounts", to="escrow.registration"),
            ),
            migrations.AlterField(
                model_name="balancepayment", name="registration",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="balance_payments", to="escrow.registration"),
            ),
            migrations.AlterField(
                model_name="deposit", name="registration",
                field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="deposit", to="escrow.registration"),
            ),
        ]),
    ]
