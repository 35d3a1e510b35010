"""Replay the lottery of an appraisal (B16): `manage.py replay_lottery <valuation id>` or `--seed S --candidates A,B,C`."""

from django.core.management.base import BaseCommand, CommandError

from valuation import rules
from valuation.models import Valuation
from valuation.services import replay_lottery


class Command(BaseCommand):
    help = "Replay a recorded appraisal lottery from its seed and check it picks the same institutions (B16)."

    def add_arguments(self, parser):
        parser.add_argument("valuation", nargs="?", type=int)
        parser.add_argument("--seed")
        parser.add_argument("--candidates", help="comma-separated organisation codes")

    def handle(self, *args, valuation=None, seed=None, candidates=None, **options):
        if valuation is None:
            if not seed or not candidates:
                raise CommandError("give a valuation id, or --seed and --candidates")
            self.stdout.write(",".join(rules.draw_lottery(seed, candidates.split(","))))
            return
        v = Valuation.objects.filter(pk=valuation).first()
        if v is None:
            raise CommandError(f"no valuation {valuation}")
        result = replay_lottery(v)
        self.stdout.write(f"seed={result['seed']} candidates={','.join(result['candidates'])}")
        self.stdout.write(f"recorded={','.join(result['picks'])} replayed={','.join(result['replayed'])}")
        if not result["matches"]:
            raise CommandError("the replay does not match the recorded draw")
        self.stdout.write(self.style.SUCCESS("the draw replays identically"))
