"""`manage.py app_role`: the PostgreSQL role the site runs under, which owns no table.

Run it as the role that owns the tables (the one that runs `migrate`), after every `migrate`: it
creates the role when missing and (re)grants exactly what the site needs, table by table:

- append-only tables (bids, ledger entries and transactions, audit records, settlements, payouts,
  sale documents: every table with an append-only trigger): SELECT and INSERT only;
- `django_migrations`: SELECT only (the site never migrates itself);
- every other table: SELECT, INSERT, UPDATE, DELETE; sequences: USAGE and SELECT;
- never TRUNCATE, REFERENCES or TRIGGER, never ownership: the role cannot alter a table, drop or
  disable a trigger, or empty a table. The append-only triggers refuse UPDATE, DELETE and TRUNCATE to
  every role, the owner included; the missing privileges refuse them to the site even without them.

    APP_DB_PASSWORD=... python manage.py app_role --role auction_app
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from auction_site.db import APPEND_ONLY_TRIGGER_SUFFIX

READ_ONLY_TABLES = {"django_migrations"}


def append_only_tables(cur) -> list[str]:
    """The tables of the current schema that carry an append-only trigger (installed by migrations)."""
    cur.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND t.tgname LIKE %s ORDER BY 1",
        ["%" + APPEND_ONLY_TRIGGER_SUFFIX],
    )
    return [r[0] for r in cur.fetchall()]


class Command(BaseCommand):
    help = "Create (or update) the database role the site runs under, owning no table, with the grants it needs."

    def add_arguments(self, parser):
        parser.add_argument("--role", default="auction_app", help="the role's name (default auction_app)")
        parser.add_argument("--password-env", default="APP_DB_PASSWORD",
                            help="environment variable holding the role's password (default APP_DB_PASSWORD); "
                                 "unset: the password is left as it is")

    def handle(self, *args, role: str, password_env: str, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("app_role is for PostgreSQL (the embedded SQLite database has no roles)")
        q = connection.ops.quote_name
        password = os.environ.get(password_env) or None
        with connection.cursor() as cur:
            cur.execute("SELECT current_user, current_database(), current_schema()")
            me, database, schema = cur.fetchone()
            if role == me:
                raise CommandError(f"{role} is the role running this command (the tables' owner): name another role")
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cur.fetchone()
            if row is None:
                cur.execute(f"CREATE ROLE {q(role)} LOGIN")
            elif row[0]:
                raise CommandError(f"{role} is a superuser: the site must not run as one")
            cur.execute(f"ALTER ROLE {q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
            if password:
                cur.execute(f"ALTER ROLE {q(role)} PASSWORD %s", [password])
            cur.execute("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                        "WHERE r.rolname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S')", [role])
            if cur.fetchone()[0]:
                raise CommandError(f"{role} owns tables: the site's role must own none (reassign them to {me})")

            guarded = append_only_tables(cur)
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
            tables = [r[0] for r in cur.fetchall()]
            cur.execute(f"GRANT CONNECT ON DATABASE {q(database)} TO {q(role)}")
            cur.execute(f"REVOKE CREATE ON SCHEMA {q(schema)} FROM PUBLIC")
            cur.execute(f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(role)}")
            cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {q(schema)} FROM {q(role)}")
            for table in tables:
                if table in guarded:
                    grant = "SELECT, INSERT"
                elif table in READ_ONLY_TABLES:
                    grant = "SELECT"
                else:
                    grant = "SELECT, INSERT, UPDATE, DELETE"
                cur.execute(f"GRANT {grant} ON {q(table)} TO {q(role)}")
            cur.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q(schema)} FROM {q(role)}")
            cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(role)}")
        self.stdout.write(f"role {role} on {database}: {len(tables)} tables, owns none; "
                          f"append-only (SELECT, INSERT): {', '.join(guarded) or '-'}")
        if password is None and row is None:
            self.stdout.write(f"no password set: set {password_env} and run again, or use local trust/peer authentication")
