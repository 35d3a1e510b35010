"""PostgreSQL guards that make append-only tables append-only at the database level (A29), and the
fast path that appends to them."""

from collections.abc import Sequence
from typing import Any

from django.db import connection, migrations


def _immutable_sql(table: str) -> tuple[str, str]:
    fn = f"{table}_append_only"
    forward = f"""
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{table} is append-only (A29): % refused', TG_OP;
END $$;
DROP TRIGGER IF EXISTS {fn}_trg ON {table};
CREATE TRIGGER {fn}_trg BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}();
"""
    backward = f"DROP TRIGGER IF EXISTS {fn}_trg ON {table}; DROP FUNCTION IF EXISTS {fn}();"
    return forward, backward


def append_only(table: str) -> migrations.RunPython:
    """A migration operation installing the append-only trigger on PostgreSQL (no-op elsewhere)."""
    forward_sql, backward_sql = _immutable_sql(table)

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(forward_sql, params=None)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(backward_sql, params=None)

    return migrations.RunPython(forward, backward)


def postgres_sql(forward_sql: str, backward_sql: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(forward_sql, params=None)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(backward_sql, params=None)

    return migrations.RunPython(forward, backward)


def append_rows(model, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Append rows to an append-only table fast, returning their ids in row order.

    `fields` are the model's field attnames (e.g. "round_id"), `rows` their values. On PostgreSQL the
    ids are drawn from the table's sequence in one query (ascending, so in row order) and the rows
    written with one COPY, inside the caller's transaction: a batch of bids or audit records costs
    two round trips and no per-row ORM work. Elsewhere (SQLite in the embedded mode) bulk_create."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**dict(zip(fields, row))) for row in rows])
        return [obj.pk for obj in objs]
    from psycopg.types.json import Jsonb

    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(columns[name]) for name in ("id", *fields))
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) ORDER BY 1",
                    [model._meta.db_table, len(rows)])
        ids = [row[0] for row in cur.fetchall()]
        with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows):
                copy.write_row((pk, *(Jsonb(v) if isinstance(v, dict | list) else v for v in row)))
    return ids
