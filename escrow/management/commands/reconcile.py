from django.core.management.base import BaseCommand, CommandError

from escrow.bank.reconcile import reconcile_bank
from escrow.reconcile import reconcile


class Command(BaseCommand):
    help = ("Compare the ledger with the payment provider and, per case account, with the imported bank statements; "
            "list every difference; exit 1 when they differ.")

    def add_arguments(self, parser):
        parser.add_argument("--provider", default=None, help="stripe or sandbox (default: settings.PAYMENT_PROVIDER)")
        parser.add_argument("--bank-only", action="store_true", help="only the bank path (case accounts against statements)")

    def handle(self, *args, **opts):
        diffs = [] if opts["bank_only"] else reconcile(opts["provider"])
        diffs += reconcile_bank()
        for d in diffs:
            self.stdout.write(str(d))
        if diffs:
            raise CommandError(f"{len(diffs)} difference(s) between the ledger and the provider or the bank statements")
        self.stdout.write(self.style.SUCCESS("ledger, provider and bank statements agree"))
