from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Court

DEMO_MODULES = ["lots.demo", "avm.demo", "valuation.demo", "escrow.demo", "bidding.demo", "settlement.demo", "following.demo"]


class Command(BaseCommand):
    help = "Load the demo data (courts, cases, lots, rounds in every state, accounts). Skips if already loaded."

    def handle(self, *args, **opts):
        if Court.objects.exists():
            self.stdout.write("demo data already present")
            return
        with transaction.atomic():
            for dotted in DEMO_MODULES:
                import_module(dotted).load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
