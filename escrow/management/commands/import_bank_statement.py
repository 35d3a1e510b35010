from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from auction_site.errors import DomainError
from escrow.bank.matching import import_statement


class Command(BaseCommand):
    help = "Import bank statements (camt.053, camt.054 or MT940) of case accounts; idempotent by the bank's entry reference."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, **opts):
        for path in opts["files"]:
            try:
                result = import_statement(None, content=path.read_bytes(), source="command")
            except DomainError as e:
                raise CommandError(f"{path}: {e.code}: {e.message}")
            except OSError as e:
                raise CommandError(f"{path}: {e}")
            self.stdout.write(f"{path}: {result.as_dict()}")
