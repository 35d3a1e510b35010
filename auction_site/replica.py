"""Reads that may lag go to a PostgreSQL streaming replica (DATABASE_REPLICA_URL), everything else to the primary.

A view whose reads may be a moment behind the primary (the catalogue, the statistics, the public results)
is wrapped in `reads_may_lag` (a decorator, or `with reads_may_lag():`); inside it `ReplicaRouter`
sends reads to the "replica" database when one is configured. Outside it, and for every write, the
primary ("default") is used, as without a replica. Accounts, sessions and tokens are always read on the
primary: a visitor who has just logged in must not look logged out because the replica is a moment behind.

Settings (auction_site.settings): DATABASES["replica"] exists only when DATABASE_REPLICA_URL is set
(its test database mirrors the default one), and DATABASE_ROUTERS = ["auction_site.replica.ReplicaRouter"].
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

REPLICA = "replica"
_may_lag: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_may_lag", default=False)
PRIMARY_ONLY_APPS = {"auth", "sessions", "authtoken", "contenttypes", "admin"}


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def _lagging() -> Iterator[None]:
    token = _may_lag.set(True)
    try:
        yield
    finally:
        _may_lag.reset(token)


def reads_may_lag(view: Callable | None = None):
    """`@reads_may_lag` on a view function (or a DRF view method), or `with reads_may_lag():`."""
    if view is None:
        return _lagging()

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        with _lagging():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if not _may_lag.get() or not replica_configured():
            return None
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY_APPS or meta.label == settings.AUTH_USER_MODEL:
            return None
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db != REPLICA
