import json

from django.core.management.base import BaseCommand

from auction_site import clock
from escrow import clockwork


class Command(BaseCommand):
    help = "Run escrow's clock work once (releases, re-checks, defaults) and print what it did."

    def handle(self, *args, **opts):
        self.stdout.write(json.dumps(clockwork.tick(clock.now())))
