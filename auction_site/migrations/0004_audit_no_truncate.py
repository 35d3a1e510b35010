from django.db import migrations

from auction_site.db import no_truncate


class Migration(migrations.Migration):
    """TRUNCATE empties a table without firing its row triggers: refused too, so these records stay
    append-only (A29) whoever connects."""

    dependencies = [("auction_site", "0003_audit_chains")]
    operations = [
        no_truncate("auction_site_auditrecord"),
    ]
