"""Registration now belongs to escrow and InKindSettlement to settlement (state only; tables kept)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0004_inkindsettlement_proxybid"),
        ("escrow", "0006_registration"),
        ("settlement", "0004_in_kind_moved"),
        ("lots", "0004_round_owner"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="bid", name="registration",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="bids", to="escrow.registration"),
            ),
            migrations.AlterField(
                model_name="proxybid", name="registration",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="proxy_bids", to="escrow.registration"),
            ),
            migrations.DeleteModel(name="Registration"),
            migrations.DeleteModel(name="InKindSettlement"),
        ]),
    ]
