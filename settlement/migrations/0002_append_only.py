from django.db import migrations

from auction_site.db import append_only


class Migration(migrations.Migration):
    """Settlements, their payouts and the sale documents are records kept forever (A29)."""

    dependencies = [("settlement", "0001_initial")]
    operations = [
        append_only("settlement_settlement"),
        append_only("settlement_payout"),
        append_only("settlement_saledocument"),
    ]
