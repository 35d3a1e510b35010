"""Held-out evaluation of the AVM: how far off it is, and how often its range holds the true price."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from avm import rules
from avm.service import Facts, SaleTable, price_from


def evaluate(table: SaleTable | None = None, *, test_fraction: float = 0.2, seed: int = 7) -> dict:
    """Split the past sales at random (seeded); price every held-out sale from the training part only.

    No leakage: a held-out sale is priced at its own sale time from training sales sold strictly before
    it (so neither itself nor any later sale is used). Returns the figures `evaluate_avm` prints.
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    table = table if table is not None else SaleTable.load()
    n_all = len(table)
    rng = np.random.default_rng(seed)
    held = np.zeros(n_all, dtype=bool)
    held[rng.permutation(n_all)[: int(round(n_all * test_fraction))]] = True
    train = table.take(~held)
    ape: list[float] = []
    inside: list[bool] = []
    by_cat: dict[str, dict] = {}
    abstained = 0
    for i in np.flatnonzero(held):
        year = table.year_built[i]
        facts = Facts(category=table.category[i], city=table.city[i], size=float(table.size[i]), size_text=f"{table.size[i]:g}",
                      year_built=None if np.isnan(year) else int(year), at=datetime.fromtimestamp(table.sold_ts[i], tz=UTC),
                      kind=table.kind[i], size_unit=table.size_unit[i])
        quote, _ = price_from(train, facts)
        stats = by_cat.setdefault(str(table.category[i]), {"n": 0, "priced": 0, "ape": [], "inside": 0})
        stats["n"] += 1
        if quote is None:
            abstained += 1
            continue
        true = float(table.price[i])
        err = abs(quote.price - true) / true
        ok = quote.low <= true <= quote.high
        ape.append(err)
        inside.append(ok)
        stats["priced"] += 1
        stats["ape"].append(err)
        stats["inside"] += int(ok)
    n = int(held.sum())
    priced = len(ape)
    return {
        "n": n,
        "priced": priced,
        "abstained": abstained,
        "abstention_rate": round(abstained / n, 4) if n else None,
        "mdape": round(float(np.median(ape)), 4) if ape else None,
        "coverage": round(float(np.mean(inside)), 4) if inside else None,
        "confidence": rules.CONFIDENCE,
        "test_fraction": test_fraction,
        "seed": seed,
        "train_size": int(len(train)),
        "by_category": {
            cat: {"n": s["n"], "priced": s["priced"], "mdape": round(float(np.median(s["ape"])), 4) if s["ape"] else None,
                  "coverage": round(s["inside"] / s["priced"], 4) if s["priced"] else None}
            for cat, s in sorted(by_cat.items())
        },
    }
