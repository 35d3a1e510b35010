"""Run the same work in several threads at once (each with its own database connection)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(work: Callable[[], Any], n: int = 2) -> list[Any]:
    """Start `work` in `n` threads released together by a barrier; return their results in thread
    order, or raise the first exception one of them raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
