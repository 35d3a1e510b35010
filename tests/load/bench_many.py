"""Benchmark phases of many rounds at once and of 10,000 watchers (run from bench_bidding.py).

- **many rounds, engine**: R rounds (16, 200), P engine processes (1, 2), each an asyncio loop with T
  bid threads (the shape of a Daphne process: the loop hands each bid to a worker thread, the commit
  publishes its event through the loop), every thread placing SINGLE bids with `services.place_bid`
  on a random round of its process -> accepted bids/s, engine call latency p50/p99,
  lost/duplicated/out-of-order. With --many-routing round (the default, production's: deploy/nginx.conf
  sends every bid of a round to one process) each process has its share of the rounds; with spread,
  every process bids on every round. The same again with T tasks on the loop awaiting
  `services.place_one_async` (a websocket's lone bid) instead of threads: the `loop_*` figures.
- **many rounds, HTTP**: the same single bids as `POST /api/v1/rounds/{id}/bids/` against the Daphne
  processes (the round's process, or round robin with spread routing), C clients with one request in
  flight each.
- **ceiling**: pgbench running the same locked-row transaction as the hot round's ceiling, spread over
  R rows (a random row per transaction), sampled before and after the round's phases.
- **10,000 watchers** on one round split over two Daphne processes (one watcher child per process),
  fan-out latency p50/p99, lost / duplicated / out-of-order per watcher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START, INCREMENT = 330_925_000, 500


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return round(values[k], 2)


def time_amount(t0: int) -> int:
    """A time-indexed amount (10 µs steps, the clock shared by every process of the machine): later
    bids are higher, so bids on one round rarely refuse each other."""
    return START + INCREMENT * ((time.monotonic_ns() - t0) // 10_000)


# ---------------------------------------------------------------------------------------- set-up


def make_rounds(count: int, bidders: int, label: str) -> dict[int, list[str]]:
    """`count` open rounds, each with `bidders` registered bidders: {round id: [token, ...]}."""
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import Court, User
    from auction_site import clock
    from escrow.models import Registration
    from lots.models import EnforcementCase, Lot, Round

    now = clock.now()
    tag = uuid.uuid4().hex[:6]
    court, _ = Court.objects.get_or_create(code="压测", defaults={"name": "压力测试法院"})
    cases = EnforcementCase.objects.bulk_create([
        EnforcementCase(court=court, case_number=f"(2026)压测{tag}-{k}", applicants=["甲"], respondents=["乙"], amount_owed=10**9,
                        created_at=now) for k in range(count)])
    lots = Lot.objects.bulk_create([Lot(case=c, title=f"压测标的 {label} {k}", category="movable", reference_price=START * 2,
                                        created_at=now) for k, c in enumerate(cases)])
    rounds = Round.objects.bulk_create([
        Round(lot=lot, number=1, status="open", starting_price=START, deposit=START // 10, increment=INCREMENT,
              starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=23), scheduled_ends_at=now + timedelta(hours=23),
              created_at=now) for lot in lots])
    pw = make_password(None)
    users = User.objects.bulk_create([User(username=f"m{tag}{k}_{i}", password=pw, role="bidder")
                                      for k in range(count) for i in range(bidders)])
    Registration.objects.bulk_create([
        Registration(round=rnd, bidder=users[k * bidders + i], status="held", code=f"M{i:04d}", created_at=now, held_at=now)
        for k, rnd in enumerate(rounds) for i in range(bidders)])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
    return {rnd.pk: [t.key for t in tokens[k * bidders:(k + 1) * bidders]] for k, rnd in enumerate(rounds)}


def check_rounds(acks: list[tuple[int, int, int]], round_ids: list[int]) -> dict:
    """Acks (round, seq, amount) against the database: lost, duplicated, out of order (per round)."""
    from bidding.models import Bid

    db: dict[tuple[int, int], int] = {}
    for rid, seq, amount in Bid.objects.filter(round_id__in=round_ids).values_list("round_id", "seq", "amount").iterator():
        db[(rid, seq)] = amount
    keys = [(r, s) for r, s, _ in acks]
    lost = sum(1 for r, s, a in acks if db.get((r, s)) != a) + len(set(db) - set(keys))
    duplicated = len(keys) - len(set(keys))
    out_of_order = 0
    by_round: dict[int, list[tuple[int, int]]] = {}
    for (rid, seq), amount in db.items():
        by_round.setdefault(rid, []).append((seq, amount))
    for rows in by_round.values():
        rows.sort()
        out_of_order += sum(1 for (_, a1), (_, a2) in zip(rows, rows[1:]) if not a1 < a2)
    return {"db_bids": len(db), "lost": lost, "duplicated": duplicated, "out_of_order": out_of_order}


# ------------------------------------------------------------------------- engine processes (workers)


def engine_worker(args) -> None:
    """One engine process: prints 'ready', waits for a line on stdin, places single bids from
    `--threads` threads for `--seconds`, prints one JSON line (acks, latencies, refusals)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auction_site.settings")
    import django

    django.setup()
    from django.db import close_old_connections, connection

    from bidding import events
    from bidding.services import BidAttempt, place_bid, place_one_async
    from escrow.models import Registration

    round_ids = [int(r) for r in args.round_ids.split(",")]
    users: dict[int, list] = {}
    for reg in Registration.objects.filter(round_id__in=round_ids).select_related("bidder").order_by("id"):
        users.setdefault(reg.round_id, []).append(reg.bidder)
    connection.close()
    acks: list[tuple[int, int, int]] = []
    latencies: list[float] = []
    codes: dict[str, int] = {}
    errors = 0
    t0 = args.t0
    pool = ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="bench-engine")

    def bid(rid: int, user, amount: int):
        close_old_connections()
        return place_bid(user, round_id=rid, amount=amount, via="bench")

    async def in_thread(rid: int, user, amount: int):  # --via threads: an HTTP bid's shape
        return await asyncio.get_running_loop().run_in_executor(pool, bid, rid, user, amount)

    async def on_loop(rid: int, user, amount: int):  # --via loop: a socket's lone bid, no thread waits for it
        return await place_one_async(rid, BidAttempt(user, amount, None, "bench"))

    async def client(k: int, stop_at: float, place) -> None:
        nonlocal errors
        rng = random.Random(args.seed * 1000 + k)
        while time.monotonic() < stop_at:
            rid = rng.choice(round_ids)
            user = rng.choice(users[rid])  # a random bidder of the round (the leader now and then: `invalid`)
            started = time.perf_counter()
            try:
                result = await place(rid, user, time_amount(t0))
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if result.accepted:
                acks.append((rid, result.seq, result.amount))
            else:
                codes[result.code] = codes.get(result.code, 0) + 1

    async def main() -> None:
        events.use_server_loop(asyncio.get_running_loop())  # publish from the loop, as a Daphne process does
        # warm up each thread's connection (and this process's caches) before the clock starts
        await asyncio.gather(*(asyncio.get_running_loop().run_in_executor(pool, close_old_connections) for _ in range(args.threads)))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        started = time.monotonic()
        place = on_loop if args.via == "loop" else in_thread
        await asyncio.gather(*(client(k, started + args.seconds, place) for k in range(args.threads)))
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.5)  # the last publishes
        print(json.dumps({"acks": acks, "latencies": [round(x, 2) for x in latencies], "codes": codes, "errors": errors,
                          "seconds": elapsed}), flush=True)

    asyncio.run(main())
    pool.shutdown()


def engine_phase(db: str, env: dict, rounds: dict[int, list[str]], processes: int, threads: int, seconds: float,
                 via: str = "threads", routing: str = "round") -> dict:
    """P engine processes with `threads` bidders each: threads calling place_bid (an HTTP bid's shape),
    or (via="loop") tasks awaiting place_one_async on the loop (a websocket bid's shape). Routing
    "round" (production's: deploy/nginx.conf sends every bid of a round to one process): each process
    bids on its share of the rounds; "spread": every process on every round."""
    def ids(p: int) -> str:  # round routing: each process places the bids of its share of the rounds
        return ",".join(str(rid) for k, rid in enumerate(rounds) if routing == "spread" or k % processes == p)

    t0 = time.monotonic_ns()
    procs = [subprocess.Popen([sys.executable, __file__, "--engine-worker", "--db", db, "--round-ids", ids(p), "--threads", str(threads),
                               "--seconds", str(seconds), "--t0", str(t0), "--seed", str(p), "--via", via],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env) for p in range(processes)]
    for proc in procs:
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"engine worker did not get ready: {line!r}")
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = [json.loads(proc.stdout.readline()) for proc in procs]
    for proc in procs:
        proc.wait(timeout=60)
    return _summary(outs, list(rounds), seconds, processes=processes, threads=threads, via=via, routing=routing)


def _summary(outs: list[dict], round_ids: list[int], seconds: float, **shape) -> dict:
    acks = [tuple(a) for out in outs for a in out["acks"]]
    latencies = [x for out in outs for x in out["latencies"]]
    codes: dict[str, int] = {}
    for out in outs:
        for code, n in out["codes"].items():
            codes[code] = codes.get(code, 0) + n
    elapsed = max(out["seconds"] for out in outs)
    checks = check_rounds(acks, round_ids)
    return {**shape, "accepted_bids_per_s": round(len(acks) / elapsed, 1), "attempts_per_s": round(len(latencies) / elapsed, 1),
            "call_latency_ms": {"p50": pct(latencies, 50), "p99": pct(latencies, 99)}, "refusals": codes,
            "errors": sum(out["errors"] for out in outs), **checks}


# ------------------------------------------------------------------------------------------- HTTP


async def http_phase(ports: list[int], rounds: dict[int, list[str]], clients: int, seconds: float, routing: str = "round") -> dict:
    """C clients, each with one POST in flight, single bids on random rounds, over the Daphne processes."""
    import aiohttp

    acks: list[tuple[int, int, int]] = []
    latencies: list[float] = []
    codes: dict[str, int] = {}
    errors = 0
    round_ids = list(rounds)
    place = {rid: k for k, rid in enumerate(round_ids)}
    t0 = time.monotonic_ns()

    async def client(session: aiohttp.ClientSession, k: int, stop_at: float) -> None:
        nonlocal errors
        rng = random.Random(k)
        n = k
        while time.monotonic() < stop_at:
            rid = rng.choice(round_ids)
            token = rng.choice(rounds[rid])
            port = ports[(place[rid] if routing == "round" else n) % len(ports)]  # round routing: nginx's hash of the round
            n += 1
            amount = time_amount(t0)
            started = time.perf_counter()
            try:
                async with session.post(f"http://127.0.0.1:{port}/api/v1/rounds/{rid}/bids/", json={"amount": amount},
                                        headers={"Authorization": f"Token {token}"}) as resp:
                    body = await resp.json(content_type=None)
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if resp.status == 201:
                acks.append((rid, body["seq"], body["amount"]))
            elif resp.status < 500 and "error" in body:
                codes[body["error"]["code"]] = codes.get(body["error"]["code"], 0) + 1
            else:
                errors += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # warm up: one request per client (connections, each process's caches)
        async with session.get(f"http://127.0.0.1:{ports[0]}/api/v1/rounds/{round_ids[0]}/live/") as resp:
            await resp.read()
        started = time.monotonic()
        await asyncio.gather(*(client(session, k, started + seconds) for k in range(clients)))
        elapsed = time.monotonic() - started
    return {"acks": acks, "latencies": latencies, "codes": codes, "errors": errors, "seconds": elapsed}


def run_http_phase(ports: list[int], rounds: dict[int, list[str]], clients: int, seconds: float, routing: str) -> dict:
    out = asyncio.run(http_phase(ports, rounds, clients, seconds, routing))
    return _summary([out], list(rounds), seconds, servers=len(ports), clients=clients, routing=routing)


# --------------------------------------------------------------------------------------- ceiling


def pgbench_spread(db_url: str, rows: int, clients: int, seconds: float) -> float | None:
    """The hot round's ceiling transaction (lock a round row, insert a bid, update the price, commit)
    on a random one of `rows` rows: what PostgreSQL sustains for bids spread over that many rounds."""
    import shutil

    import psycopg

    if not shutil.which("pgbench"):
        return None
    script = ROOT / "var" / "bench-bid-spread.sql"
    script.write_text(f"\\set r random(1, {rows})\n"
                      "BEGIN;\n"
                      "SELECT price, seq FROM bench_round WHERE id = :r FOR UPDATE \\gset\n"
                      "INSERT INTO bench_bid (round_id, seq, amount) VALUES (:r, :seq + 1, :price + 1);\n"
                      "UPDATE bench_round SET price = :price + 1, seq = :seq + 1 WHERE id = :r;\n"
                      "COMMIT;\n")
    drop = "DROP TABLE IF EXISTS bench_bid; DROP TABLE IF EXISTS bench_round"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute("CREATE TABLE bench_round (id int PRIMARY KEY, price bigint NOT NULL, seq bigint NOT NULL)")
        conn.execute("CREATE TABLE bench_bid (id bigserial PRIMARY KEY, round_id int NOT NULL, seq bigint NOT NULL,"
                     " amount bigint NOT NULL, placed_at timestamptz NOT NULL DEFAULT now(), UNIQUE (round_id, seq))")
        conn.execute("INSERT INTO bench_round SELECT g, 0, 0 FROM generate_series(1, %s) g", [rows])
        conn.execute("CHECKPOINT")
    try:
        out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-f", str(script), db_url],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(drop)
    for line in out.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    return None


PHASE_KEYS = ("engine_1p", "engine_2p", "loop_1p", "loop_2p", "http")  # the measured parts of a many-rounds phase


def many_rounds(args, env: dict, start_daphne) -> dict:
    """Every many-rounds phase, for each R of --many-rounds: the engine with 1 and 2 processes, HTTP
    against the Daphne processes, pgbench over R rows before and after; the ratios to the ceiling."""
    from django.db import connection

    out: dict = {}
    for count in args.many_rounds:
        rounds = {p: make_rounds(count, args.many_bidders, f"x{count}-{p}") for p in ("p1", "p2", "l1", "l2", "http")}
        connection.close()
        ceiling = [pgbench_spread(args.db, count, args.pg_threads, args.pg_seconds)]
        phase: dict = {}
        for processes, key, via, name in ((1, "p1", "threads", "engine"), (2, "p2", "threads", "engine"),
                                          (1, "l1", "loop", "loop"), (2, "l2", "loop", "loop")):
            phase[f"{name}_{processes}p"] = engine_phase(args.db, env, rounds[key], processes, args.many_threads, args.many_seconds, via,
                                                         args.many_routing)
            connection.close()
        if args.http_servers:
            # Own Daphne processes, configured as in production (docker-compose.yml): connections
            # reused through psycopg's pool (DB_POOL_MAX_SIZE), since Django serves each HTTP request
            # in a thread of its own.
            servers = []
            try:
                servers = [start_daphne(dict(env, DB_POOL_MAX_SIZE="10")) for _ in range(args.http_servers)]
                phase["http"] = run_http_phase([port for _, port in servers], rounds["http"], args.http_clients, args.many_seconds,
                                               args.many_routing)
            except RuntimeError as exc:  # a server that did not start (a machine busy with other work): say so
                phase["http_error"] = str(exc)
            finally:
                for proc, _ in servers:
                    proc.terminate()
                for proc, _ in servers:
                    proc.wait(timeout=15)
            connection.close()
        ceiling.append(pgbench_spread(args.db, count, args.pg_threads, args.pg_seconds))
        samples = [c for c in ceiling if c]
        top = round(statistics.median(samples), 1) if samples else None
        phase.update({
            "rounds": count, "threads_per_process": args.many_threads, "bidders_per_round": args.many_bidders,
            "routing": args.many_routing,
            "pg_spread_ceiling_tx_per_s": top, "pg_spread_samples": [round(c, 1) for c in samples],
        })
        for name in ("engine", "loop"):
            one, two = phase[f"{name}_1p"]["accepted_bids_per_s"], phase[f"{name}_2p"]["accepted_bids_per_s"]
            phase.update({f"{name}_1p_vs_ceiling": round(one / top, 3) if top else None,
                          f"{name}_2p_vs_ceiling": round(two / top, 3) if top else None,
                          f"{name}_2p_vs_1p": round(two / one, 2) if one else None})
        if "http" in phase:
            phase["http_vs_ceiling"] = round(phase["http"]["accepted_bids_per_s"] / top, 3) if top else None
        out[str(count)] = phase
        print(json.dumps({"many_rounds": {str(count): phase}}), file=sys.stderr, flush=True)  # kept if a later phase fails
    return out


# ---------------------------------------------------------------------------------- 10,000 watchers


def many_watchers(args, fan_id: int, fan_tokens: list[str], ports: list[int], paced_bids) -> dict:
    """args.big_watchers watchers on ONE round, split evenly over the Daphne processes (one watcher
    child per process), while a few bidders bid at --fanout-rate."""
    per = args.big_watchers // len(ports)
    children = [subprocess.Popen([sys.executable, str(ROOT / "tests/load/bench_bidding.py"), "--watchers-child", "--raw", "--round",
                                  str(fan_id), "--ports", str(port), "--watchers", str(per)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT) for port in ports]
    connected = 0
    for child in children:
        line = child.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"watchers did not get ready: {line!r}")
        connected += json.loads(child.stdout.readline())["connected"]
    seqs, bid_errors = asyncio.run(paced_bids(ports, fan_id, fan_tokens, args.fanout_rate, args.fanout_seconds))
    for child in children:
        child.stdin.write(json.dumps(seqs) + "\n")
        child.stdin.flush()
    outs = [json.loads(child.stdout.readline()) for child in children]
    for child in children:
        child.wait(timeout=120)
    latencies = [x for out in outs for x in out["latencies"]]
    return {"watchers": connected, "servers": len(ports), "bids": len(seqs), "messages": len(latencies),
            "latency_ms": {"p50": pct(latencies, 50), "p99": pct(latencies, 99), "max": pct(latencies, 100)},
            "lost": sum(o["lost"] for o in outs), "duplicated": sum(o["duplicated"] for o in outs),
            "out_of_order": sum(o["out_of_order"] for o in outs), "errors": bid_errors + sum(o["errors"] for o in outs)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine-worker", action="store_true")
    ap.add_argument("--db")
    ap.add_argument("--round-ids")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--t0", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--via", choices=["threads", "loop"], default="threads")
    worker_args = ap.parse_args()
    if worker_args.engine_worker:
        engine_worker(worker_args)
