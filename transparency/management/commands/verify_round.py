from django.core.management.base import BaseCommand, CommandError

from transparency.verify import verify_round


class Command(BaseCommand):
    help = "Check a round's bids and status events against its signed Merkle transcript."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)

    def handle(self, *args, round_id: int, **opts):
        problem = verify_round(round_id)
        if problem is not None:
            raise CommandError(problem)
        self.stdout.write(f"round {round_id}: every event matches its signed transcript")
