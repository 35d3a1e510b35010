"""The catalogue at national volume (docs/catalogue.md, "At scale").

- Round.listed: the lot's catalogue entry (its latest round that is not a draft), backfilled here and
  kept by lots.rounds from now on; at most one per lot (partial unique index).
- Partial indexes over the listed rounds for every sort and filter the catalogue offers.
- PostgreSQL only: lots_search_grams(), the upper-cased two-character pieces of each text it is given,
  and GIN indexes of it over the lot's title, location and city and over the case number. A search word
  of two characters or more is looked up by its pieces (every one must be there), then checked exactly
  (icontains). Two-character pieces, not pg_trgm's three, because most Chinese search words (a city,
  住宅, 车位, 股权) are two characters long, which a trigram index cannot look up.
"""

import django.db.models.functions.comparison
from django.db import migrations, models

from auction_site.db import postgres_sql

BACKFILL = """
UPDATE lots_round SET listed = TRUE
WHERE status <> 'draft' AND NOT EXISTS (
  SELECT 1 FROM lots_round AS later
  WHERE later.lot_id = lots_round.lot_id AND later.number > lots_round.number AND later.status <> 'draft')
"""

# The pieces: the text upper-cased, cut into pairs from its first character and again from its second;
# a piece with a space in it falls apart into single characters, which no search word asks for.
GRAMS = r"""
CREATE OR REPLACE FUNCTION lots_search_grams(a text, b text DEFAULT '', c text DEFAULT '') RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000 AS $$
DECLARE u text := upper(concat_ws(' ', nullif(a, ''), nullif(b, ''), nullif(c, '')));
BEGIN
  RETURN array_remove(string_to_array(regexp_replace(u, '(..)|.', '\1 ', 'g') || ' '
                                      || regexp_replace(substr(u, 2), '(..)|.', '\1 ', 'g'), ' '), '');
END $$;
CREATE INDEX lots_lot_search_grams ON lots_lot USING gin (lots_search_grams(title, location, city));
CREATE INDEX lots_case_search_grams ON lots_enforcementcase USING gin (lots_search_grams(case_number));
"""
GRAMS_DROP = """
DROP INDEX IF EXISTS lots_lot_search_grams;
DROP INDEX IF EXISTS lots_case_search_grams;
DROP FUNCTION IF EXISTS lots_search_grams(text, text, text);
"""


RECOMMENDED = models.Index(models.Case(models.When(status='open', then=models.Value(0)), models.When(status='announced', then=models.Value(1)), models.When(status='suspended', then=models.Value(2)), default=models.Value(3), output_field=models.IntegerField()), models.OrderBy(models.Case(models.When(status__in=('open', 'announced', 'suspended'), then=models.F('ends_at')), default=None), nulls_last=True), models.OrderBy(models.F('ends_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('listed', True)), name='round_listed_recommended')


def add_recommended_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("lots", "Round"), RECOMMENDED)


def drop_recommended_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("lots", "Round"), RECOMMENDED)


class Migration(migrations.Migration):

    dependencies = [
        ('lots', '0006_round_bidding_notice'),
    ]

    operations = [
        migrations.AddField(
            model_name='round',
            name='listed',
            field=models.BooleanField(default=False, verbose_name='目录展示'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        postgres_sql(GRAMS, GRAMS_DROP),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('ends_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_ends'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('status'), models.F('ends_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_status_ends'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('starts_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_starts'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.F('published_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_published'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(django.db.models.functions.comparison.Coalesce(models.F('current_price'), models.F('starting_price')), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_price'),
        ),
        migrations.AddIndex(
            model_name='round',
            index=models.Index(models.OrderBy(models.F('bid_count'), descending=True), models.F('ends_at'), models.F('id'), condition=models.Q(('listed', True)), name='round_listed_bids'),
        ),
        # SQLite (the embedded mode) cannot put NULLS LAST in an index: this one index is PostgreSQL's only.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name='round', index=RECOMMENDED)],
            database_operations=[migrations.RunPython(add_recommended_index, drop_recommended_index)],
        ),
        migrations.AddConstraint(
            model_name='round',
            constraint=models.UniqueConstraint(condition=models.Q(('listed', True)), fields=('lot',), name='round_one_listed_per_lot'),
        ),
    ]
