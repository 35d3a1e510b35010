"""Courts move from lots to accounts (people and the courts they belong to sit below lots).

State only: the table keeps its name (lots_court) and its rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial"), ("lots", "0003_round_suspension_cause_ended")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="Court",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("name", models.CharField(max_length=200, unique=True, verbose_name="法院")),
                    ("code", models.CharField(help_text="e.g. 苏05", max_length=20, unique=True, verbose_name="法院代字")),
                    ("province", models.CharField(blank=True, max_length=50)),
                    ("city", models.CharField(blank=True, max_length=50)),
                    ("contact", models.CharField(blank=True, max_length=200, verbose_name="联系方式")),
                ],
                options={"db_table": "lots_court"},
            ),
            migrations.AlterField(
                model_name="user", name="court",
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="judges", to="accounts.court"),
            ),
        ]),
    ]
