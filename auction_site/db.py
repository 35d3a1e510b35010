"""PostgreSQL guards that make append-only tables append-only at the database level (A29), and the
fast path that appends to them."""

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class Rows:
    """Rows for an append-only table, written in one audit chain step (`audit.record_many(rows=...)`):
    the model, the field attnames, and one sequence of values per row."""

    model: Any
    fields: Sequence[str]
    values: list[Sequence[Any]]


def draw_ids_sql(model, count: int) -> str:
    """One statement drawing `count` ids from the table's sequence, ascending (so in row order)."""
    table = model._meta.db_table
    return f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(count)}) ORDER BY 1"


def copy_rows(cursor, model, fields: Sequence[str], values: Sequence[Sequence[Any]], ids: Sequence[int]) -> None:
    """Write rows with their (already drawn) ids by one COPY (PostgreSQL): no per-row SQL, formatted in C.
    Values are in Python form; text values for a JSON column are taken as JSON."""
    if not values:
        return
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    names = ", ".join(quote(columns[name]) for name in ("id", *fields))
    with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy:
        for pk, row in zip(ids, values):
            copy.write_row((pk, *row))
