from django.db import migrations

from auction_site.db import append_only


class Migration(migrations.Migration):
    dependencies = [("bidding", "0002_initial")]
    operations = [append_only("bidding_bid")]
