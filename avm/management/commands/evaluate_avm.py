"""Evaluate the built-in valuation model on a held-out split of the past sales (docs/avm.md)."""

import json

from django.core.management.base import BaseCommand, CommandError

from avm.evaluation import evaluate
from avm.service import SaleTable


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


class Command(BaseCommand):
    help = "Price a held-out share of past sales from the rest (earlier sales only) and print MdAPE, range coverage and abstention rate."

    def add_arguments(self, parser):
        parser.add_argument("--test-fraction", type=float, default=0.2, help="share of past sales held out (0–1, default 0.2)")
        parser.add_argument("--seed", type=int, default=7, help="seed of the random split (default 7)")
        parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")

    def handle(self, *args, **opts):
        fraction = opts["test_fraction"]
        if not 0 < fraction < 1:
            raise CommandError("--test-fraction must be between 0 and 1")
        table = SaleTable.load()
        if len(table) == 0:
            raise CommandError("no past sales to evaluate on (run `manage.py load_demo`)")
        result = evaluate(table, test_fraction=fraction, seed=opts["seed"])
        if opts["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
            return
        w = self.stdout.write
        w(f"AVM held-out evaluation: {len(table)} past sales, {result['n']} held out (fraction {fraction}, seed {opts['seed']})")
        w(f"n priced:                 {result['priced']} of {result['n']}")
        w(f"abstention rate:          {_pct(result['abstention_rate'])}")
        w(f"MdAPE:                    {_pct(result['mdape'])}")
        w(f"inside the {result['confidence']:.0%} range:      {_pct(result['coverage'])}")
        w("by category:")
        for cat, s in result["by_category"].items():
            w(f"  {cat:<12} n={s['n']:<4} priced={s['priced']:<4} MdAPE={_pct(s['mdape']):<7} inside range={_pct(s['coverage'])}")
