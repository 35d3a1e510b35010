"""Replay the lottery of an appraisal (B16): `manage.py replay_lottery <valuation id>`, or from public inputs alone:
`--beacon B --secret court:=S1 --secret applicant:12=S2 ... --candidates A,B,C` (secrets in the seed's fixed order)."""

from django.core.management.base import BaseCommand, CommandError

from valuation import rules
from valuation.models import Valuation
from valuation.services import replay_lottery


class Command(BaseCommand):
    help = "Recompute a commit-reveal appraisal lottery from its public inputs and check it picks the same institutions (B16)."

    def add_arguments(self, parser):
        parser.add_argument("valuation", nargs="?", type=int)
        parser.add_argument("--beacon", help="the beacon value (transcript root), or the fixed fallback")
        parser.add_argument("--secret", action="append", default=[], help="label=secret, in the seed's order (repeatable)")
        parser.add_argument("--candidates", help="comma-separated organisation codes")

    def handle(self, *args, valuation=None, beacon=None, secret=(), candidates=None, **options):
        if valuation is None:
            if not beacon or not candidates:
                raise CommandError("give a valuation id, or --beacon, --secret label=value ... and --candidates")
            pairs = [tuple(s.split("=", 1)) for s in secret]
            if any(len(p) != 2 for p in pairs):
                raise CommandError("each --secret is label=value")
            seed = rules.lottery_seed(pairs, beacon)
            self.stdout.write(f"seed={seed}")
            self.stdout.write(",".join(rules.draw_lottery(seed, candidates.split(","))))
            return
        v = Valuation.objects.filter(pk=valuation).first()
        if v is None:
            raise CommandError(f"no valuation {valuation}")
        result = replay_lottery(v)
        if result["drawn_at"] is None:
            raise CommandError(f"the lottery is not drawn yet (draw at {result['draw_at']})")
        self.stdout.write(f"beacon={result['beacon']} (round {result['beacon_round']}) candidates={','.join(result['candidates'])}")
        for c in result["commitments"]:
            self.stdout.write(f"  {c['role']}:{c['party'] or ''} commitment={c['commitment']} secret={c['secret'] or '(not revealed)'}")
        self.stdout.write(f"seed={result['seed']} recomputed={result['recomputed_seed']}")
        self.stdout.write(f"recorded={','.join(result['picks'])} replayed={','.join(result['replayed'])}")
        if not result["matches"]:
            raise CommandError("the replay does not match the recorded draw")
        self.stdout.write(self.style.SUCCESS("the draw replays identically"))
