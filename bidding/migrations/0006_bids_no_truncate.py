from django.db import migrations

from auction_site.db import no_truncate


class Migration(migrations.Migration):
    """TRUNCATE empties a table without firing its row triggers: refused too, so these records stay
    append-only (A29) whoever connects."""

    dependencies = [("bidding", "0005_registration_and_in_kind_moved")]
    operations = [
        no_truncate("bidding_bid"),
    ]
