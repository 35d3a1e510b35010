from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lots", "0005_round_transition_guard")]
    operations = [migrations.AddField("round", "bidding_notice", models.TextField(blank=True, verbose_name="竞买须知"))]
