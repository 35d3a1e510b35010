from django.db import migrations

from auction_site.db import append_only


class Migration(migrations.Migration):
    dependencies = [("auction_site", "0001_initial")]
    operations = [append_only("auction_site_auditrecord")]
