"""PostgreSQL guards that make append-only tables append-only at the database level (A29), and the
fast path that appends to them."""

import functools
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


def _no_truncate_sql(table: str) -> tuple[str, str]:
    """TRUNCATE fires no row trigger: a statement-level one refuses it (the function is the table's
    append-only function, which names the operation refused)."""
    fn = f"{table}_append_only"
    forward = f"""
DROP TRIGGER IF EXISTS {fn}_truncate_trg ON {table};
CREATE TRIGGER {fn}_truncate_trg BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {fn}();
"""
    return forward, f"DROP TRIGGER IF EXISTS {fn}_truncate_trg ON {table};"


def no_truncate(table: str) -> migrations.RunPython:
    """A migration operation refusing TRUNCATE on an append-only table (PostgreSQL; no-op elsewhere).
    Installed after `append_only(table)`, whose function it uses."""
    return postgres_sql(*_no_truncate_sql(table))


APPEND_ONLY_TRIGGER_SUFFIX = "_append_only_trg"  # how `app_role` finds the append-only tables


def append_only(table: str) -> migrations.RunPython:
    """A migration operation installing the append-only trigger on PostgreSQL (no-op elsewhere):
    UPDATE and DELETE refused row by row. A new append-only table takes `no_truncate(table)` too."""
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


@functools.lru_cache(maxsize=64)
def insert_rows_sql(model, fields: tuple[str, ...]) -> str:
    """One INSERT of many rows with their (already drawn) ids (PostgreSQL, parameters bound by the
    server): one array parameter per column (`columns_of`), in the order id, *fields, unnested into rows.
    JSON columns take their values as JSON text."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = [by_name[name] for name in ("id", *fields)]
    names = ", ".join(quote(f.column) for f in columns)
    json_columns = {i for i, f in enumerate(columns) if f.get_internal_type() == "JSONField"}
    picks = ", ".join(f"c{i}::jsonb" if i in json_columns else f"c{i}" for i in range(len(columns)))
    arrays = ", ".join(f"%b::{'text' if i in json_columns else f.db_type(connection)}[]" for i, f in enumerate(columns))
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {picks} FROM unnest({arrays}) AS u({aliases})"


@functools.lru_cache(maxsize=64)
def insert_row_sql(model, fields: tuple[str, ...]) -> str:
    """The INSERT of ONE row with its (already drawn) id, one scalar parameter per column in the order
    id, *fields (cheaper to send than `insert_rows_sql`'s arrays for a single row). JSON columns take
    their value as JSON text."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = [by_name[name] for name in ("id", *fields)]
    names = ", ".join(quote(f.column) for f in columns)
    values = ", ".join("%s::jsonb" if f.get_internal_type() == "JSONField" else "%s" for f in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({values})"


def columns_of(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The parameters of `insert_rows_sql`: the rows' values, column by column."""
    return [list(column) for column in zip(*rows)]
