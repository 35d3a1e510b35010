from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from auction_site.errors import DomainError
from escrow import services


class Command(BaseCommand):
    help = "Test/demo mode: pay a registration's deposit server-side with a test card (used by the crash test)."

    def add_arguments(self, parser):
        parser.add_argument("registration", type=int)
        parser.add_argument("--card", default="4242424242424242")

    def handle(self, *args, **opts):
        from escrow.models import Registration

        reg = Registration.objects.filter(pk=opts["registration"]).first()
        if reg is None:
            raise CommandError("no such registration")
        user = User.objects.get(pk=reg.bidder_id)
        try:
            reg = services.pay_with_test_card(user, registration_id=reg.pk, card={"number": opts["card"], "exp_month": 12, "exp_year": 2035, "cvc": "123"})
        except DomainError as e:
            raise CommandError(e.message)
        self.stdout.write(f"registration {reg.pk}: {reg.status} {reg.code or ''}")
