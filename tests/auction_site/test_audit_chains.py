"""One hash chain per aggregate (auction_site/audit.py): no site-wide lock, no fork, every chain verified."""

import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from auction_site import audit
from auction_site.models import AuditRecord


def _record(chain: str, n: int = 1) -> None:
    with transaction.atomic():
        for i in range(n):
            audit.record("test.step", chain=chain, object_type="t", object_id=i, data={"i": i})


@pytest.mark.django_db
def test_each_aggregate_has_its_own_chain_numbered_from_one():
    _record("lots.round:1", 3)
    _record("lots.round:2", 2)
    _record("lots.round:1", 1)
    one = audit.chain_of("lots.round:1")
    assert [r.position for r in one] == [1, 2, 3, 4]
    assert one[0].prev_hash == audit.GENESIS and all(b.prev_hash == a.hash for a, b in zip(one, one[1:]))
    assert [r.position for r in audit.chain_of("lots.round:2")] == [1, 2]
    assert audit.chain_of("lots.round:2")[0].prev_hash == audit.GENESIS
    assert audit.heads() == {"lots.round:1": (4, one[-1].hash), "lots.round:2": (2, audit.chain_of("lots.round:2")[-1].hash)}
    assert audit.verify_chains() is None


@pytest.mark.django_db(transaction=True)
def test_writers_of_different_aggregates_never_wait_for_each_other():
    """The old chain took one advisory lock for the whole site, held to COMMIT: a second audited
    transaction waited for the first. Now a transaction holding chain A open does not delay chain B."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer itself")
    opened, release = threading.Event(), threading.Event()

    def hold_chain_a():
        try:
            with transaction.atomic():
                audit.record("test.slow", chain="lots.round:100", object_type="t", object_id=1)
                opened.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_chain_a)
    holder.start()
    try:
        assert opened.wait(10)
        started = time.monotonic()
        _record("lots.round:200")
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert elapsed < 2.0, f"chain B waited {elapsed:.1f} s for chain A's transaction"
    assert audit.verify_chains() is None


@pytest.mark.django_db(transaction=True)
def test_a_chain_can_never_fork_even_without_the_aggregate_lock():
    """Two writers append to the same chain without holding its aggregate's lock: one wins, the other
    fails on the unique (chain, position) index instead of branching the chain."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two concurrent writers")
    _record("escrow.registration:7")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(i: int):
        try:
            with transaction.atomic():
                step_head = audit.chain_of("escrow.registration:7")  # both read the same head
                barrier.wait(5)
                assert len(step_head) == 1
                audit.record("test.race", chain="escrow.registration:7", object_type="t", object_id=i)
                time.sleep(0.2)
            outcomes.append("ok")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    positions = [r.position for r in audit.chain_of("escrow.registration:7")]
    assert positions == [1, 2], positions
    assert sorted(outcomes) in (["ok", "ok"], ["ok", "refused"])
    assert audit.verify_chains() is None


@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_the_tampered_record_of_any_chain():
    _record("lots.round:1", 3)
    _record("valuation.valuation:5", 3)
    call_command("verify_audit")
    victim = audit.chain_of("valuation.valuation:5")[1]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord DISABLE TRIGGER USER")
        cur.execute("UPDATE auction_site_auditrecord SET data = %s WHERE id = %s", ['{"i": 99}', victim.pk])
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord ENABLE TRIGGER USER")
    with pytest.raises(CommandError, match=f"#{victim.pk}.*valuation.valuation:5"):
        call_command("verify_audit")
    assert audit.verify_chains("lots.round:1") is None


@pytest.mark.django_db(transaction=True)
def test_a_record_removed_from_the_middle_of_a_chain_is_detected():
    _record("lots.lot:3", 4)
    victim = audit.chain_of("lots.lot:3")[1]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord DISABLE TRIGGER USER")
        cur.execute("DELETE FROM auction_site_auditrecord WHERE id = %s", [victim.pk])
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE auction_site_auditrecord ENABLE TRIGGER USER")
    bad = audit.verify_chains()
    assert bad is not None and bad.chain == "lots.lot:3" and bad.position == 3
    assert AuditRecord.objects.filter(chain="lots.lot:3").count() == 3
