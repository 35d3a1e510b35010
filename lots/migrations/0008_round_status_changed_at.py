from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lots", "0007_catalogue_at_scale")]
    operations = [
        migrations.AddField("round", "status_changed_at", models.DateTimeField(blank=True, null=True)),
        # Existing rounds: the last dated step we know of.
        migrations.RunSQL(
            "UPDATE lots_round SET status_changed_at = COALESCE(withdrawn_at, closed_at, suspended_at, published_at, created_at)",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex("round", models.Index(fields=["status_changed_at", "id"], name="round_changed_idx")),
    ]
