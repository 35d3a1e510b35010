"""`make demo-reset`: the demo as on the first `make run` — an empty database with the demo data,
the clock back at the real time, the local media and mail gone. Never in production."""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Reset the demo: database (and with it the demo clock), local media and mail, then load the demo data."

    def handle(self, *args, **opts):
        if settings.AUCTION_MODE == "production":
            raise CommandError("demo-reset refuses to run in production mode")
        self._empty_database()
        for folder in (settings.MEDIA_ROOT, settings.EMAIL_FILE_PATH):
            shutil.rmtree(folder, ignore_errors=True)
        call_command("migrate", "--noinput", verbosity=0)
        # The clock's offset lives in the database: a fresh database starts at the real time.
        call_command("load_demo", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("demo reset: database, clock, media and mail"))

    def _empty_database(self) -> None:
        if connection.vendor == "sqlite":
            path = settings.DATABASES["default"]["NAME"]
            connection.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    Path(f"{path}{suffix}").unlink()
                except FileNotFoundError:
                    pass
            return
        # PostgreSQL: the application's schema is dropped whole (append-only triggers included) and
        # rebuilt by the migrations.
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")
