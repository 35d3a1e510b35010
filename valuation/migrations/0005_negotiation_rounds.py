"""B4 as rounds of offers: each offer has its round; the offers already made are numbered in the order they came."""

from django.conf import settings
from django.db import migrations, models


def number_rounds(apps, schema_editor):
    PartyOffer = apps.get_model("valuation", "PartyOffer")
    seen: dict[int, int] = {}
    for offer in PartyOffer.objects.order_by("valuation_id", "submitted_at", "id"):
        seen[offer.valuation_id] = seen.get(offer.valuation_id, 0) + 1
        if offer.round != seen[offer.valuation_id]:
            offer.round = seen[offer.valuation_id]
            offer.save(update_fields=["round"])


class Migration(migrations.Migration):

    dependencies = [
        ('lots', '0009_intake_request'),
        ('valuation', '0004_lottery_commit_reveal'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='partyoffer',
            options={'ordering': ['valuation_id', 'round']},
        ),
        migrations.RemoveConstraint(
            model_name='partyoffer',
            name='offer_one_per_party',
        ),
        migrations.AddField(
            model_name='partyoffer',
            name='round',
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(number_rounds, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='partyoffer',
            constraint=models.UniqueConstraint(fields=('valuation', 'round'), name='offer_one_per_round'),
        ),
    ]
