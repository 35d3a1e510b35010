"""The round's owner: Court now lives in accounts; the leader is escrow's registration, kept as its id
(the database keeps the foreign key created with the table); a lot records its in-kind settlement."""

import django.db.models.deletion
from django.db import migrations, models


def fill_leader_codes(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("UPDATE lots_round SET leader_code = COALESCE((SELECT code FROM bidding_registration g WHERE g.id = lots_round.leader_id), '')"
                    " WHERE leader_id IS NOT NULL")


class Migration(migrations.Migration):
    dependencies = [("lots", "0003_round_suspension_cause_ended"), ("accounts", "0003_court")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="enforcementcase", name="court",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="cases", to="accounts.court"),
            ),
            migrations.RemoveField(model_name="round", name="leader"),
            migrations.AddField(model_name="round", name="leader_id", field=models.BigIntegerField(blank=True, null=True)),
            migrations.DeleteModel(name="Court"),
        ]),
        migrations.AddField(model_name="lot", name="settled_in_kind_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="leader_code", field=models.CharField(blank=True, max_length=16)),
        migrations.RunPython(fill_leader_codes, migrations.RunPython.noop),
    ]
