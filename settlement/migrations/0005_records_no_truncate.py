from django.db import migrations

from auction_site.db import no_truncate


class Migration(migrations.Migration):
    """TRUNCATE empties a table without firing its row triggers: refused too, so these records stay
    append-only (A29) whoever connects."""

    dependencies = [("settlement", "0004_in_kind_moved")]
    operations = [
        no_truncate("settlement_settlement"),
        no_truncate("settlement_payout"),
        no_truncate("settlement_saledocument"),
    ]
