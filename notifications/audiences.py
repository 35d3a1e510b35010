"""Who hears about a thing: named audiences that higher apps fill in (a hook, like lots.signals).

A lower app cannot know who registered for a round (escrow) or set a reminder (following); it names
the audience — ``notify_audience("round", round_id, ...)`` — and the apps that know register a function
``(obj_id) -> iterable of user ids`` in their ``AppConfig.ready()``. The functions are reads, run inside the
caller's transaction, so the outbox rows commit with the change.

- ``round``: everyone following a round (registered bidders, reminders, watchers of its lot)
- ``round_winner``: the winning bidder of a sold round
- ``round_bidders``: the bidders who paid the round's deposit
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

Resolver = Callable[[int], Iterable[int]]
_resolvers: dict[str, dict[str, Resolver]] = defaultdict(dict)


def register(audience: str, name: str, resolver: Resolver) -> None:
    """Add (or replace, by `name`) a source of members of `audience`."""
    _resolvers[audience][name] = resolver


def members(audience: str, obj_id: int) -> set[int]:
    found: set[int] = set()
    for resolver in _resolvers[audience].values():
        found.update(resolver(obj_id))
    return found
