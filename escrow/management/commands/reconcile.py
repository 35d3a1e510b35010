from django.core.management.base import BaseCommand, CommandError

from escrow.reconcile import reconcile


class Command(BaseCommand):
    help = "Compare the ledger with the payment provider; list every difference; exit 1 when they differ."

    def add_arguments(self, parser):
        parser.add_argument("--provider", default=None, help="stripe or sandbox (default: settings.PAYMENT_PROVIDER)")

    def handle(self, *args, **opts):
        diffs = reconcile(opts["provider"])
        for d in diffs:
            self.stdout.write(str(d))
        if diffs:
            raise CommandError(f"{len(diffs)} difference(s) between the ledger and the provider")
        self.stdout.write(self.style.SUCCESS("ledger and provider agree"))
