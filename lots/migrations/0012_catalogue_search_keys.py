"""The catalogue's searches and region filters answered inside their indexes (docs/catalogue.md, "At scale").

- PostgreSQL only: lots_search_keys(title, location, city, subtype), the lot's two-character pieces (as
  lots_search_grams of migration 0007) plus one key "=<subtype>" for its sub-type, GIN-indexed in place of
  lots_lot_search_grams. A search of several words, some naming a sub-type (住宅 → residential), is then
  one containment per way of matching (苏州 住宅: {苏州, 住宅} or {苏州, =residential}), each answered by the
  index alone, instead of the common word's lots fetched and checked one by one.
  The function repeats lots_search_grams's body rather than calling it, so that it uses built-ins only
  (an index expression must not depend on the search path, e.g. when a dump is restored).
- The lots' (city, district, subtype) and (province, subtype), each with the lot's id (INCLUDE, PostgreSQL;
  SQLite builds them without it): the region / sub-type filters find their lots by an index-only scan.
"""

from django.db import migrations, models

from auction_site.db import postgres_sql

KEYS = r"""
CREATE OR REPLACE FUNCTION lots_search_keys(title text, location text, city text, subtype text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000 AS $$
DECLARE u text := upper(concat_ws(' ', nullif(title, ''), nullif(location, ''), nullif(city, '')));
BEGIN
  RETURN array_remove(string_to_array(regexp_replace(u, '(..)|.', '\1 ', 'g') || ' '
                                      || regexp_replace(substr(u, 2), '(..)|.', '\1 ', 'g'), ' '), '')
         || CASE WHEN coalesce(subtype, '') = '' THEN '{}'::text[] ELSE ARRAY['=' || subtype] END;
END $$;
CREATE INDEX lots_lot_search_keys ON lots_lot USING gin (lots_search_keys(title, location, city, subtype));
DROP INDEX IF EXISTS lots_lot_search_grams;
"""
KEYS_DROP = """
CREATE INDEX IF NOT EXISTS lots_lot_search_grams ON lots_lot USING gin (lots_search_grams(title, location, city));
DROP INDEX IF EXISTS lots_lot_search_keys;
DROP FUNCTION IF EXISTS lots_search_keys(text, text, text, text);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('lots', '0011_catalogue_filters'),
    ]

    operations = [
        postgres_sql(KEYS, KEYS_DROP),
        migrations.AddIndex(
            model_name='lot',
            index=models.Index(fields=['city', 'district', 'subtype'], include=['id'], name='lot_city_district'),
        ),
        migrations.AddIndex(
            model_name='lot',
            index=models.Index(fields=['province', 'subtype'], include=['id'], name='lot_province_subtype'),
        ),
    ]
