from django.db import migrations

from auction_site.db import no_truncate


class Migration(migrations.Migration):
    """TRUNCATE empties a table without firing its row triggers: refused too, so these records stay
    append-only (A29) whoever connects."""

    dependencies = [("escrow", "0006_registration")]
    operations = [
        no_truncate("escrow_ledgerentry"),
        no_truncate("escrow_ledgertransaction"),
    ]
