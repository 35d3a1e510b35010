#!/usr/bin/env python
"""Live-bidding benchmark: 2 Daphne processes + PostgreSQL + Redis. Prints ONE JSON line.

Run with scripts/benchmark.sh (not collected by pytest). Phases, one after the other:
1. hot round: BIDDERS websocket bidders (aiohttp) on ONE round, each at most RATE_PER_BIDDER bids/s
   (under the servers' per-bidder limit, --bid-limit), never more than --pipeline bids unanswered, each
   reading every live event. --amounts time (default): time-indexed amounts that rarely conflict (the
   round's capacity); --amounts next: the next valid amount from the latest price seen (a real bidding
   war; a leader waits to be outbid). --routing round (default): all sockets of a round on one process,
   as deploy/nginx.conf routes them; spread: over every process.
   -> accepted bids/s, attempts/s, ack latency p50/p99, each part's share of the cores, and
   lost/duplicated/out-of-order against the database and on every bidder socket.
2. fan-out: WATCHERS websocket watchers (a child process, many connections on one asyncio loop)
   on another round while a few bidders place FANOUT_RATE bids/s -> fan-out latency p50/p99
   (receive time minus the bid's server acceptance time), lost/duplicated/out-of-order per watcher.
3. engine: threads calling bidding.services.place_bids with batches on one round, no sockets
   -> accepted bids/s of the database side of the engine (group commit).
4. PostgreSQL ceiling: psycopg threads running the same locked-row bid transaction on scratch
   tables (BEGIN; SELECT .. FOR UPDATE one round row; INSERT a bid; UPDATE the price; COMMIT).
5. catalogue (tests/load/bench_catalogue.py): 1.5 M lots generated in SQL in a fresh database, then
   p50/p95 of each visitor query through the API and the HTML page against the floor of the same
   server and database (`--catalogue-lots 0` skips it; `--only catalogue` runs it alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_many  # noqa: E402  (the many-rounds and 10,000-watchers phases)

START, INCREMENT = 330_925_000, 500
BID_EVENT_PREFIX = '{"type":"bid","seq":'  # how the server serialises a bid event (bidding.events.bid_event)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return round(values[k], 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------ set-up


BENCH_SECRETS = {"DJANGO_SECRET_KEY": f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}", "DJANGO_ALLOWED_HOSTS": "*",
                 "STRIPE_WEBHOOK_SECRET": f"whsec_bench_{uuid.uuid4().hex}", "CASE_SYSTEM_WEBHOOK_SECRET": f"bench-{uuid.uuid4().hex}"}


def django_setup(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auction_site.settings")
    os.environ["AUCTION_MODE"] = "production"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    for name, value in BENCH_SECRETS.items():  # production refuses to start without them (README, Production)
        os.environ.setdefault(name, value)
    import django

    django.setup()


def fresh_database(db_url: str) -> None:
    """Every run starts from an empty database (the rows of earlier runs would slow it down)."""
    import psycopg

    base, name = db_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def make_round(n_bidders: int, label: str) -> tuple[int, list[str]]:
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import Court, User
    from auction_site import clock
    from escrow.models import Registration
    from lots.models import EnforcementCase, Lot, Round

    now = clock.now()
    tag = uuid.uuid4().hex[:8]
    court, _ = Court.objects.get_or_create(code="压测", defaults={"name": "压力测试法院"})
    case = EnforcementCase.objects.create(court=court, case_number=f"(2026)压测{tag}", applicants=["甲"], respondents=["乙"],
                                          amount_owed=10**9, created_at=now)
    lot = Lot.objects.create(case=case, title=f"压测标的 {label}", category="movable", reference_price=START * 2, created_at=now)
    rnd = Round.objects.create(lot=lot, number=1, status="open", starting_price=START, deposit=START // 10, increment=INCREMENT,
                               starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=23),
                               scheduled_ends_at=now + timedelta(hours=23), created_at=now)
    pw = make_password(None)
    users = User.objects.bulk_create([User(username=f"b{tag}{i}", password=pw, role="bidder") for i in range(n_bidders)])
    Registration.objects.bulk_create([Registration(round=rnd, bidder=u, status="held", code=f"Z{i:05d}", created_at=now, held_at=now)
                                      for i, u in enumerate(users)])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
    return rnd.pk, [t.key for t in tokens]


def start_daphne(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(ROOT / "var" / f"bench-daphne-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "auction_site.asgi:application"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("daphne did not start")


def cpu_seconds(server_pids: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the Daphne servers, PostgreSQL, Redis and this load generator (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"daphne": 0.0, "postgres": 0.0, "redis": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) in server_pids:
            out["daphne"] += used
        elif name.startswith("postgres"):
            out["postgres"] += used
        elif name.startswith("redis"):
            out["redis"] += used
    own = os.times()
    out["load_generator"] = own.user + own.system
    return out


# ---------------------------------------------------------------------------------- phase 1: hot round


async def hot_round(server_pids: list[int], ports: list[int], round_id: int, tokens: list[str], seconds: float, rate_per_bidder: float,
                    amounts: str = "next", pipeline: int = 1) -> dict:
    """BIDDERS websocket clients (aiohttp: its C frame reader keeps the load generator's share of the 2
    cores small) on one round. Each reads every event (a task per socket, as the live page does) and
    bids at its own pace, never more than `pipeline` bids unanswered."""
    import aiohttp

    acks: list[tuple[int, int]] = []  # (seq, amount)
    latencies: list[float] = []
    codes: dict[str, int] = {}
    errors = 0
    seen_by: list[list[int]] = []
    t0 = time.monotonic_ns()
    stop_at = time.monotonic() + seconds
    ready = asyncio.Event()

    async def bidder(session: aiohttp.ClientSession, i: int, token: str) -> None:
        nonlocal errors
        seqs: list[int] = []
        seen_by.append(seqs)
        url = f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/rounds/{round_id}/?token={token}"
        try:
            async with session.ws_connect(url, max_msg_size=0, autoping=True, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
                snap = json.loads((await ws.receive(timeout=60)).data)
                me = (snap.get("you") or {}).get("code")
                view = {"price": snap["round"]["current_price"], "leader": snap["round"]["leader_code"], "seq": snap["round"]["seq"]}
                waiting: dict[str, tuple[float, int]] = {}
                moved = asyncio.Event()  # the price moved or an answer came

                async def read() -> None:
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        raw = msg.data
                        if amounts == "time" and raw.startswith(BID_EVENT_PREFIX):
                            # The events only need counting here: their seq, read without a full parse.
                            seqs.append(int(raw[len(BID_EVENT_PREFIX):raw.index(",", len(BID_EVENT_PREFIX))]))
                            continue
                        m = json.loads(raw)
                        if m["type"] == "bid":
                            seqs.append(m["seq"])
                            if m["seq"] > view["seq"]:
                                view.update(price=m["current_price"], leader=m["code"], seq=m["seq"])
                        elif m.get("request_id") in waiting:
                            sent, amt = waiting.pop(m["request_id"])
                            latencies.append((time.perf_counter() - sent) * 1000)
                            if m["type"] == "ack":
                                acks.append((m["seq"], amt))
                                if m["seq"] > view["seq"]:
                                    view.update(price=amt, leader=me, seq=m["seq"])
                            else:
                                codes[m["code"]] = codes.get(m["code"], 0) + 1
                            moved.set()
                            continue
                        if amounts == "next":  # only a bidder of the next amount cares that the price moved
                            moved.set()

                async def until_moved(limit: float) -> None:
                    moved.clear()
                    try:
                        async with asyncio.timeout(max(0.001, limit)):
                            await moved.wait()
                    except TimeoutError:
                        pass

                reader = asyncio.create_task(read())
                await ready.wait()
                # People and programs are not synchronised: each bidder starts at its own moment and
                # spaces its bids by 1/rate plus up to 10% (so it stays under the per-bidder limit).
                rng = random.Random(i)
                interval = 1.0 / rate_per_bidder
                next_at = time.monotonic() + rng.uniform(0, interval)
                last_try: tuple[int | None, int] | None = None
                while (now := time.monotonic()) < stop_at:
                    if next_at > now:
                        await asyncio.sleep(next_at - now)
                    if len(waiting) >= pipeline:
                        await until_moved(stop_at - time.monotonic())
                        continue
                    if amounts == "next":
                        # A real bidder: the next valid amount from the latest price seen; a leader waits
                        # to be outbid, and a refused bidder waits until the price moves.
                        if view["leader"] == me or last_try == (view["price"], view["seq"]):
                            await until_moved(stop_at - time.monotonic())
                            continue
                        amount = START if view["price"] is None else view["price"] + INCREMENT
                    else:
                        amount = START + INCREMENT * ((time.monotonic_ns() - t0) // 10_000)  # time-indexed price
                    last_try = (view["price"], view["seq"])
                    next_at = max(next_at, time.monotonic()) + interval * rng.uniform(1.0, 1.1)
                    rid = uuid.uuid4().hex[:12]
                    waiting[rid] = (time.perf_counter(), amount)
                    await ws.send_str(json.dumps({"type": "bid", "amount": amount, "request_id": rid}))
                deadline = time.monotonic() + 30
                while waiting and time.monotonic() < deadline:
                    await until_moved(deadline - time.monotonic())
                await asyncio.sleep(3)  # the remaining events
                reader.cancel()
        except Exception:
            errors += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(bidder(session, i, t)) for i, t in enumerate(tokens)]
        await asyncio.sleep(min(30, 2 + len(tokens) / 100))
        started, before = time.monotonic(), cpu_seconds(server_pids)
        stop_at = started + seconds
        ready.set()
        await asyncio.sleep(seconds)
        after = cpu_seconds(server_pids)
        # Share of the machine's cores each part used while the bidders bid (1.0 = one core).
        cores = {k: round((after[k] - before[k]) / (time.monotonic() - started), 2) for k in after}
        await asyncio.gather(*tasks)
    return {"acks": acks, "latencies": latencies, "codes": codes, "errors": errors, "seen_by": seen_by, "seconds": seconds,
            "cores": cores}


def check_against_db(round_id: int, acks: list[tuple[int, int]], seen_by: list[list[int]]) -> dict:
    from bidding.models import Bid

    db = dict(Bid.objects.filter(round_id=round_id).values_list("seq", "amount"))
    amounts = [db[s] for s in sorted(db)]
    ack_seqs = [s for s, _ in acks]
    lost = sum(1 for s, a in acks if db.get(s) != a)  # acknowledged but not committed as acknowledged
    lost += len(set(db) - set(ack_seqs))  # committed but never acknowledged
    duplicated = len(ack_seqs) - len(set(ack_seqs))
    out_of_order = sum(1 for a, b in zip(amounts, amounts[1:]) if not a < b)
    ev_lost = ev_dup = ev_ooo = 0
    all_seqs = set(db)
    for seqs in seen_by:
        ev_dup += len(seqs) - len(set(seqs))
        ev_ooo += sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
        if seqs:
            ev_lost += len({s for s in all_seqs if s >= seqs[0]} - set(seqs))
    return {"db_bids": len(db), "lost": lost, "duplicated": duplicated, "out_of_order": out_of_order,
            "event_lost": ev_lost, "event_duplicated": ev_dup, "event_out_of_order": ev_ooo}


# ----------------------------------------------------------------------------------- phase 2: fan-out


def watchers_child(args) -> None:
    """Child process: WATCHERS websocket watchers on one asyncio loop; prints 'ready', then a JSON summary
    when stdin says which seqs were committed. Each watcher is the `websockets` library's sans-I/O client
    protocol under an asyncio Protocol: a frame arriving is parsed there and noted with its arrival time,
    with no task per socket to wake (a browser has a CPU of its own; thousands of sockets in one Python
    process must not add their own scheduling to the latencies). Pings are answered, as browsers do
    (Daphne drops a socket that does not). The frames are decoded after the run."""
    from websockets.client import ClientProtocol
    from websockets.frames import Opcode
    from websockets.http11 import Response
    from websockets.uri import parse_uri

    ports = [int(p) for p in args.ports.split(",")]

    class Watcher(asyncio.Protocol):
        def __init__(self, url: str, handshake: asyncio.Future) -> None:
            self.ws = ClientProtocol(parse_uri(url), max_size=None)
            self.handshake = handshake  # done with True at the snapshot, False if the socket failed first
            self.noted: list[tuple[float, bytes]] = []
            self.closed = False
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport) -> None:
            self.transport = transport
            self.ws.send_request(self.ws.connect())
            self.flush()

        def data_received(self, data: bytes) -> None:
            now = time.time()
            self.ws.receive_data(data)
            for event in self.ws.events_received():
                if isinstance(event, Response):
                    continue
                if event.opcode is Opcode.TEXT:
                    if self.handshake.done():  # past the snapshot (the first frame)
                        self.noted.append((now, event.data))
                    else:
                        self.handshake.set_result(True)
            self.flush()

        def flush(self) -> None:
            for chunk in self.ws.data_to_send():
                if chunk and self.transport is not None and not self.transport.is_closing():
                    self.transport.write(chunk)

        def connection_lost(self, exc) -> None:
            self.closed = True
            if not self.handshake.done():
                self.handshake.set_result(False)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(100)  # handshakes in flight at once (a gentle ramp, like real arrivals)
        watchers: list[Watcher] = []

        async def connect(i: int) -> bool:
            async with gate:
                port = ports[i % len(ports)]
                handshake = loop.create_future()
                watcher = Watcher(f"ws://127.0.0.1:{port}/ws/rounds/{args.round}/", handshake)
                watchers.append(watcher)
                try:
                    await loop.create_connection(lambda: watcher, "127.0.0.1", port)
                    return await asyncio.wait_for(handshake, 120)
                except (OSError, TimeoutError):
                    return False

        oks = await asyncio.gather(*(connect(i) for i in range(args.watchers)))
        await asyncio.sleep(3)
        print("ready", flush=True)
        print(json.dumps({"connected": sum(oks)}), flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        expected = set(json.loads(line))
        await asyncio.sleep(2)
        errors = sum(1 for w, ok in zip(watchers, oks) if not ok or w.closed)  # failed, or closed by the server
        for w in watchers:
            if w.transport is not None:
                w.transport.abort()
        lat: list[float] = []
        lost = dup = ooo = 0
        for w, ok in zip(watchers, oks):
            if not ok:
                continue
            seqs: list[int] = []
            for now, raw in w.noted:
                m = json.loads(raw)
                if m.get("type") == "bid":
                    seqs.append(m["seq"])
                    lat.append((now - datetime.fromisoformat(m["at"]).timestamp()) * 1000)
            lost += len(expected - set(seqs))
            dup += len(seqs) - len(set(seqs))
            ooo += sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
        summary = {"messages": len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99), "max": pct(lat, 100),
                   "lost": lost, "duplicated": dup, "out_of_order": ooo, "errors": errors}
        if args.raw:  # every latency, for a parent that merges several children
            summary["latencies"] = [round(x, 1) for x in lat]
        print(json.dumps(summary), flush=True)

    import resource

    import uvloop  # the load generator's loop in C: its own per-read cost stays out of the latencies

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvloop.run(main())


async def paced_bids(ports: list[int], round_id: int, tokens: list[str], rate: float, seconds: float) -> tuple[list[int], int]:
    import websockets

    seqs: list[int] = []
    errors = 0
    socks = [await websockets.connect(f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/rounds/{round_id}/?token={t}", max_size=None)
             for i, t in enumerate(tokens)]
    for ws in socks:
        await ws.recv()
    price = START
    stop_at = time.monotonic() + seconds
    i = 0
    while time.monotonic() < stop_at:
        ws = socks[i % len(socks)]
        i += 1
        rid = uuid.uuid4().hex[:10]
        await ws.send(json.dumps({"type": "bid", "amount": price, "request_id": rid}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if m.get("request_id") == rid:
                break
        if m["type"] == "ack":
            seqs.append(m["seq"])
            price += INCREMENT
        else:
            errors += 1
            price += INCREMENT
        await asyncio.sleep(1.0 / rate)
    for ws in socks:
        await ws.close()
    return seqs, errors


# ------------------------------------------------------------------ phase 3: the engine without sockets


def run_threads(work, threads: int) -> float:
    """Run work(k) in `threads` threads at once; the seconds until the last one ended."""
    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    started = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - started


def engine_capacity(round_id: int, threads: int, batch: int, seconds: float) -> dict:
    """The bid engine alone: THREADS threads (standing in for the Daphne processes' one drain task per
    round each) call `services.place_bids` with batches of BATCH websocket-shaped attempts on ONE round,
    time-indexed amounts from distinct bidders, for SECONDS. No sockets, no fan-out: what the database
    side of a bid (lock, validation, Bid rows, audit chain, UPDATE, commit) sustains on this machine."""
    from django.conf import settings
    from django.db import connection

    from bidding.models import Bid
    from bidding.services import BidAttempt, place_bids
    from escrow.models import Registration

    settings.BIDDING_MAX_BIDS_PER_SECOND = 0  # the rate limit is one Redis pipeline per batch; off here
    users = [r.bidder for r in Registration.objects.filter(round_id=round_id).select_related("bidder").order_by("id")]
    connection.close()
    accepted, attempted, batches = [0] * threads, [0] * threads, [0] * threads
    t0 = time.monotonic_ns()
    stop_at = time.monotonic() + seconds

    def work(k: int) -> None:
        n = 0
        try:
            while time.monotonic() < stop_at:
                step = (time.monotonic_ns() - t0) // 1000 * batch  # time-indexed, distinct within the batch
                attempts = []
                for j in range(batch):
                    attempts.append(BidAttempt(users[(n + k * 7) % len(users)], START + INCREMENT * (step + j), None, "bench"))
                    n += 1
                results = place_bids(round_id, attempts)
                accepted[k] += sum(1 for r in results if r.accepted)
                attempted[k] += len(results)
                batches[k] += 1
        finally:
            connection.close()

    elapsed = run_threads(work, threads)
    amounts = list(Bid.objects.filter(round_id=round_id).order_by("seq").values_list("amount", flat=True))
    return {"threads": threads, "batch": batch, "accepted_bids_per_s": round(sum(accepted) / elapsed, 1),
            "attempts_per_s": round(sum(attempted) / elapsed, 1), "transactions_per_s": round(sum(batches) / elapsed, 1),
            "db_bids": len(amounts), "acked_not_in_db": sum(accepted) - len(amounts),
            "out_of_order": sum(1 for a, b in zip(amounts, amounts[1:]) if not a < b)}


# ------------------------------------------------------------------------------ phase 4: PG ceiling


_DROP_SCRATCH = "DROP TABLE IF EXISTS bench_bid; DROP TABLE IF EXISTS bench_round"


def _drop_scratch_tables(db_url: str) -> None:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(_DROP_SCRATCH)


def _scratch_tables(conn) -> None:
    conn.execute(_DROP_SCRATCH)
    conn.execute("CREATE TABLE bench_round (id int PRIMARY KEY, price bigint NOT NULL, seq bigint NOT NULL)")
    conn.execute("CREATE TABLE bench_bid (id bigserial PRIMARY KEY, round_id int NOT NULL, seq bigint NOT NULL, amount bigint NOT NULL,"
                 " placed_at timestamptz NOT NULL DEFAULT now(), UNIQUE (round_id, seq))")
    conn.execute("INSERT INTO bench_round VALUES (1, 0, 0)")


def pg_ceiling(db_url: str, threads: int, seconds: float) -> float:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        _scratch_tables(conn)
    count = [0] * threads
    stop_at = time.monotonic() + seconds

    def work(k: int) -> None:
        with psycopg.connect(db_url) as conn:
            while time.monotonic() < stop_at:
                with conn.transaction():
                    price, seq = conn.execute("SELECT price, seq FROM bench_round WHERE id = 1 FOR UPDATE").fetchone()
                    conn.execute("INSERT INTO bench_bid (round_id, seq, amount) VALUES (1, %s, %s)", [seq + 1, price + 1])
                    conn.execute("UPDATE bench_round SET price = %s, seq = %s WHERE id = 1", [price + 1, seq + 1])
                count[k] += 1

    elapsed = run_threads(work, threads)
    _drop_scratch_tables(db_url)
    return sum(count) / elapsed


def pgbench_ceiling(db_url: str, clients: int, seconds: float) -> float | None:
    """The same transaction driven by pgbench (a C client, so no Python in the way), when it is installed."""
    import shutil

    import psycopg

    if not shutil.which("pgbench"):
        return None
    script = ROOT / "var" / "bench-bid.sql"
    script.write_text("BEGIN;\n"
                      "SELECT price, seq FROM bench_round WHERE id = 1 FOR UPDATE \\gset\n"
                      "INSERT INTO bench_bid (round_id, seq, amount) VALUES (1, :seq + 1, :price + 1);\n"
                      "UPDATE bench_round SET price = :price + 1, seq = :seq + 1 WHERE id = 1;\n"
                      "COMMIT;\n")
    with psycopg.connect(db_url, autocommit=True) as conn:
        _scratch_tables(conn)
    try:
        out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-f", str(script), db_url],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        _drop_scratch_tables(db_url)
    for line in out.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    return None


def sample_ceiling(args, samples: dict[str, list[float]]) -> None:
    checkpoint(args.db)
    samples["psycopg"].append(pg_ceiling(args.db, args.pg_threads, args.pg_seconds))
    checkpoint(args.db)
    by_pgbench = pgbench_ceiling(args.db, args.pg_threads, args.pg_seconds)
    if by_pgbench:
        samples["pgbench"].append(by_pgbench)
    checkpoint(args.db)


def checkpoint(db_url: str) -> None:
    """Start each phase from a flushed database (no checkpoint left over from the phase before)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auction_bench"))
    ap.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--routing", choices=["round", "spread"], default="round",
                    help="round: every socket of a round on one process, as deploy/nginx.conf routes /ws/rounds/<id>/ "
                         "(hash of the path); spread: a round's sockets over all processes (round robin)")
    ap.add_argument("--bidders", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate-per-bidder", type=float, default=120)
    ap.add_argument("--bid-limit", type=int, default=150,
                    help="the servers' per-bidder limit, bids/s (BIDDING_MAX_BIDS_PER_SECOND; the product default is 5)")
    ap.add_argument("--amounts", choices=["next", "time"], default="time",
                    help="time: time-indexed amounts that rarely conflict (the hot round's capacity); next: each bidder "
                         "bids the next valid amount from the latest price it saw (a real bidding war)")
    ap.add_argument("--pipeline", type=int, default=1, help="unanswered bids a bidder may have (time amounts)")
    ap.add_argument("--watchers", type=int, default=5000)
    ap.add_argument("--fanout-rate", type=float, default=4)
    ap.add_argument("--fanout-seconds", type=float, default=20)
    ap.add_argument("--engine-threads", type=int, default=2)
    ap.add_argument("--engine-batch", type=int, default=50)
    ap.add_argument("--engine-seconds", type=float, default=10)
    ap.add_argument("--pg-threads", type=int, default=16)
    ap.add_argument("--pg-seconds", type=float, default=5, help="length of each of the 3 ceiling samples per client")
    ap.add_argument("--catalogue-lots", type=int, default=1_500_000, help="lots of the catalogue phase (0: skip it)")
    ap.add_argument("--catalogue-samples", type=int, default=40, help="requests per visitor query and surface")
    ap.add_argument("--only", choices=["all", "catalogue"], default="all")
    ap.add_argument("--watchers-child", action="store_true")
    ap.add_argument("--round", type=int)
    ap.add_argument("--ports")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--phases", default="hot,fanout,watchers,many,engine",
                    help="hot, fanout (5,000 watchers on one process), watchers (--big-watchers over every process), "
                         "many (many rounds: engine processes, HTTP, pgbench over as many rows), engine")
    ap.add_argument("--big-watchers", type=int, default=10_000)
    ap.add_argument("--many-rounds", type=lambda v: [int(x) for x in v.split(",")], default=[16, 200])
    ap.add_argument("--many-bidders", type=int, default=32, help="bidders registered on each of the many rounds")
    ap.add_argument("--many-threads", type=int, default=32,
                    help="bidders with a bid in flight per engine process (threads, or tasks on the loop)")
    ap.add_argument("--many-routing", choices=["round", "spread"], default="round",
                    help="round: each process bids on its share of the rounds (deploy/nginx.conf routes every bid of a "
                         "round to one process); spread: every process on every round")
    ap.add_argument("--many-seconds", type=float, default=10)
    ap.add_argument("--http-clients", type=int, default=16)
    ap.add_argument("--http-servers", type=int, default=2, help="Daphne processes of the many-rounds HTTP phase (0: no HTTP phase)")
    args = ap.parse_args()
    if args.watchers_child:
        watchers_child(args)
        return

    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.only == "catalogue":
        print(json.dumps({"catalogue": catalogue_phase(args)}, ensure_ascii=False))
        return
    fresh_database(args.db)
    django_setup(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    phases = set(args.phases.split(","))
    hot_id, hot_tokens = make_round(args.bidders, "hot")
    fan_id, fan_tokens = make_round(8, "fanout")
    big_id, big_tokens = make_round(8, "watchers")
    engine_id, _ = make_round(args.bidders, "engine")
    from django.db import connection

    connection.close()

    # The ceiling is sampled three times (here, after the hot round, at the end), by psycopg threads and,
    # where installed, by pgbench; the median of each counts and the higher of the two medians is the
    # ceiling (the disk's commit latency, and so the ceiling, drifts during a run).
    samples: dict[str, list[float]] = {"psycopg": [], "pgbench": []}
    if phases & {"hot", "engine"}:
        sample_ceiling(args, samples)
    checkpoint(args.db)

    env = dict(os.environ, DATABASE_URL=args.db, REDIS_URL=args.redis, CHANNEL_PREFIX=f"bench{uuid.uuid4().hex[:6]}",
               AUCTION_MODE="production", DJANGO_DEBUG="0", DB_CONN_MAX_AGE="600", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               BIDDING_MAX_BIDS_PER_SECOND=str(args.bid_limit), BIDDING_MAX_MESSAGES_PER_SECOND=str(max(20, 2 * args.bid_limit)))
    servers = [start_daphne(env) for _ in range(args.servers)] if phases & {"hot", "fanout", "watchers"} else []
    ports = [p for _, p in servers]
    # With round routing the hot round lives on the first process and the fan-out round on the last.
    hot_ports, fan_ports = (ports[:1], ports[-1:]) if args.routing == "round" else (ports, ports)
    result: dict = {"servers": args.servers, "cpus": os.cpu_count(), "routing": args.routing, "per_bidder_bid_limit": args.bid_limit,
                    "phases": sorted(phases)}
    errors = 0
    try:
        if "hot" in phases:
            hot = asyncio.run(hot_round([proc.pid for proc, _ in servers], hot_ports, hot_id, hot_tokens, args.seconds,
                                        args.rate_per_bidder, args.amounts, args.pipeline))
            checks = check_against_db(hot_id, hot["acks"], hot["seen_by"])
            attempts = len(hot["latencies"])
            result.update({
                "hot_round_bidders": args.bidders,
                "amounts": args.amounts,
                "accepted_bids_per_s": round(len(hot["acks"]) / args.seconds, 1),
                "attempts_per_s": round(attempts / args.seconds, 1),
                "refusals": hot["codes"],
                "ack_latency_ms": {"p50": pct(hot["latencies"], 50), "p99": pct(hot["latencies"], 99)},
                "hot_cores_used": hot["cores"],
                **{f"hot_{k}": v for k, v in checks.items()},
            })
            errors += hot["errors"]
            sample_ceiling(args, samples)

        if "fanout" in phases:
            child = subprocess.Popen([sys.executable, __file__, "--watchers-child", "--round", str(fan_id), "--ports",
                                      ",".join(map(str, fan_ports)), "--watchers", str(args.watchers)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            line = child.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"watchers did not get ready: {line!r}")
            connected = json.loads(child.stdout.readline())["connected"]
            seqs, fan_errors = asyncio.run(paced_bids(fan_ports, fan_id, fan_tokens, args.fanout_rate, args.fanout_seconds))
            child.stdin.write(json.dumps(seqs) + "\n")
            child.stdin.flush()
            fan = json.loads(child.stdout.readline())
            child.wait(timeout=120)
            result.update({
                "watchers": connected,
                "fanout_bids": len(seqs),
                "fanout_bids_per_s": round(len(seqs) / args.fanout_seconds, 2),
                "fanout_messages": fan["messages"],
                "fanout_latency_ms": {"p50": fan["p50"], "p99": fan["p99"], "max": fan["max"]},
                "fanout_lost": fan["lost"], "fanout_duplicated": fan["duplicated"], "fanout_out_of_order": fan["out_of_order"],
            })
            errors += fan_errors + fan["errors"]

        if "watchers" in phases:
            result["big_fanout"] = bench_many.many_watchers(args, big_id, big_tokens, ports, paced_bids)
            errors += result["big_fanout"]["errors"]

        if "many" in phases:
            result["many_rounds"] = bench_many.many_rounds(args, env, start_daphne)
            errors += sum(p[k]["errors"] for p in result["many_rounds"].values() for k in bench_many.PHASE_KEYS if k in p)
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    result["errors"] = errors

    checkpoint(args.db)
    if "engine" in phases:
        result["engine"] = engine_capacity(engine_id, args.engine_threads, args.engine_batch, args.engine_seconds)
    if phases & {"hot", "engine"}:
        sample_ceiling(args, samples)
        medians = {by: round(statistics.median(values), 1) for by, values in samples.items() if values}
        ceiling = max(medians.values())
        result["pg_ceiling_tx_per_s"] = round(ceiling, 1)
        result["pg_ceiling_by"] = {by: {"median": medians[by], "samples": [round(v, 1) for v in samples[by]]} for by in medians}
        if "engine" in result:
            result["engine"]["vs_ceiling"] = round(result["engine"]["accepted_bids_per_s"] / ceiling, 3) if ceiling else None
        if "hot" in phases:
            result["throughput_vs_ceiling"] = round(result["accepted_bids_per_s"] / ceiling, 3) if ceiling else None
    if args.catalogue_lots:
        result["catalogue"] = catalogue_phase(args)
    result.update(_totals_and_targets(result))
    if "catalogue" in result:
        result["targets_met"].update({f"catalogue_{k}": v for k, v in result["catalogue"]["targets_met"].items()})
    print(json.dumps(result, ensure_ascii=False))


def catalogue_phase(args) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_catalogue

    env = dict({**BENCH_SECRETS, **os.environ}, REDIS_URL=args.redis, CHANNEL_PREFIX=f"benchcat{uuid.uuid4().hex[:6]}", AUCTION_MODE="production",
               DJANGO_DEBUG="0", DB_CONN_MAX_AGE="600", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return bench_catalogue.run(f"{args.db}_catalogue", args.catalogue_lots, args.catalogue_samples, env, fresh_database, start_daphne, pct)


def _totals_and_targets(result: dict) -> dict:
    """Lost / duplicated / out-of-order over every phase that ran, and each target of a phase that ran."""
    lost = result.get("hot_lost", 0) + result.get("fanout_lost", 0) + result.get("hot_event_lost", 0)
    dup = result.get("hot_duplicated", 0) + result.get("fanout_duplicated", 0) + result.get("hot_event_duplicated", 0)
    ooo = result.get("hot_out_of_order", 0) + result.get("fanout_out_of_order", 0) + result.get("hot_event_out_of_order", 0)
    engine = result.get("engine", {})
    lost += engine.get("acked_not_in_db", 0)
    ooo += engine.get("out_of_order", 0)
    big = result.get("big_fanout")
    if big:
        lost, dup, ooo = lost + big["lost"], dup + big["duplicated"], ooo + big["out_of_order"]
    for phase in result.get("many_rounds", {}).values():
        for key in bench_many.PHASE_KEYS:
            if key in phase:
                lost, dup, ooo = lost + phase[key]["lost"], dup + phase[key]["duplicated"], ooo + phase[key]["out_of_order"]
    targets: dict[str, bool] = {"zero_lost_duplicated_out_of_order": lost == 0 and dup == 0 and ooo == 0}
    if "throughput_vs_ceiling" in result:
        targets["throughput_ge_50pct_ceiling"] = bool(result["throughput_vs_ceiling"] and result["throughput_vs_ceiling"] >= 0.5)
    if "fanout_latency_ms" in result:
        targets["fanout_p99_le_1s_at_5000_watchers"] = bool(result["watchers"] >= 5000 and result["fanout_latency_ms"]["p99"] is not None
                                                            and result["fanout_latency_ms"]["p99"] <= 1000)
    if engine.get("vs_ceiling") is not None:
        targets["engine_ge_50pct_ceiling"] = engine["vs_ceiling"] >= 0.5
    if big:
        targets["fanout_p99_le_500ms_at_10000_watchers_2_processes"] = bool(
            big["watchers"] >= 10_000 and big["latency_ms"]["p99"] is not None and big["latency_ms"]["p99"] <= 500)
    for count, phase in result.get("many_rounds", {}).items():
        # threads calling place_bid (an HTTP bid's shape), then tasks on the loop (a websocket's lone bid)
        for name, label in (("engine", ""), ("loop", "_loop")):
            vs, ratio = phase[f"{name}_2p_vs_ceiling"], phase[f"{name}_2p_vs_1p"]
            targets[f"rounds_{count}{label}_2p_ge_50pct_spread_ceiling"] = bool(vs and vs >= 0.5)
            targets[f"rounds_{count}{label}_2p_ge_1.5x_1p"] = bool(ratio and ratio >= 1.5)
            p99 = [phase[f"{name}_{p}"]["call_latency_ms"]["p99"] for p in ("1p", "2p")]
            targets[f"rounds_{count}{label}_engine_call_p99_le_50ms"] = all(x is not None and x <= 50 for x in p99)
    return {"lost": lost, "duplicated": dup, "out_of_order": ooo, "targets_met": targets}


if __name__ == "__main__":
    main()
