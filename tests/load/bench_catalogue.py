"""Catalogue phase of the benchmark (run by bench_bidding.py; its figures go into the one JSON line).

1. A fresh database, migrated, then LOTS lots with one round each generated in SQL (courts, cases,
   lots, rounds; INSERT ... SELECT generate_series). The catalogue's indexes are dropped for the load and
   created again from their own definitions (pg_indexes.indexdef, i.e. the migrations'), then VACUUM
   ANALYZE, as a restored national database would be.
2. One Daphne process on that database; every visitor query is asked SAMPLES times (after a warm-up)
   through the API (GET /api/v1/rounds/) and through the HTML page (GET /), one request at a time.
   -> p50/p95 per query and surface, with the count each query found.
3. The floor measured in the same run: the same server answering /healthz (framework and HTTP alone)
   and psycopg fetching one page of listed rounds by primary key (the database alone). A query's
   "over_floor_ms" is its p95 minus the HTTP floor's p95.
Targets (issue 12): every query's p95 <= 100 ms through the API, <= 200 ms through the page.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]

CITIES = ["苏州", "杭州", "南京", "上海", "北京", "广州", "深圳", "成都", "武汉", "西安", "重庆", "天津", "长沙", "郑州", "青岛",
          "济南", "合肥", "福州", "厦门", "宁波", "无锡", "常州", "南通", "温州", "绍兴", "嘉兴", "佛山", "东莞", "昆明", "贵阳",
          "南宁", "南昌", "太原", "沈阳", "大连", "长春", "兰州", "银川", "西宁", "海口", "珠海", "中山", "惠州", "泉州", "漳州",
          "扬州", "镇江", "徐州", "盐城", "淮安", "泰州", "湖州", "金华", "台州", "丽水", "芜湖", "洛阳", "烟台", "潍坊", "保定"]
# The province of each city above (same order).
PROVINCES = ["江苏", "浙江", "江苏", "上海", "北京", "广东", "广东", "四川", "湖北", "陕西", "重庆", "天津", "湖南", "河南", "山东",
             "山东", "安徽", "福建", "福建", "浙江", "江苏", "江苏", "江苏", "浙江", "浙江", "浙江", "广东", "广东", "云南", "贵州",
             "广西", "江西", "山西", "辽宁", "辽宁", "吉林", "甘肃", "宁夏", "青海", "海南", "广东", "广东", "广东", "福建", "福建",
             "江苏", "江苏", "江苏", "江苏", "江苏", "江苏", "浙江", "浙江", "浙江", "浙江", "安徽", "河南", "山东", "山东", "河北"]
assert len(PROVINCES) == len(CITIES)
DISTRICTS = ["姑苏区", "西湖区", "鼓楼区", "浦东新区", "朝阳区", "天河区", "南山区", "锦江区", "江汉区", "雁塔区", "渝中区", "和平区",
             "岳麓区", "金水区", "市南区", "历下区", "蜀山区", "台江区", "思明区", "海曙区", "滨湖区", "新北区", "崇川区", "鹿城区"]
ROADS = ["人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "长江路", "黄河路", "文化路", "青年路", "胜利路", "光明路",
         "平江路", "观前街", "文三路", "天目山路", "南京路", "淮海路", "延安路", "环城路"]
ESTATES = ["住宅", "商铺", "办公用房", "厂房", "国有建设用地使用权", "别墅", "公寓", "仓库"]
BRANDS = ["宝马", "奔驰", "大众", "丰田", "本田", "比亚迪", "奥迪", "别克", "福特", "吉利", "长城", "解放", "东风", "五菱"]
VEHICLES = ["轿车", "越野车", "货车", "客车", "挂车", "商务车"]
MOVABLES = ["挖掘机", "数控加工中心", "船舶", "翡翠手镯", "字画", "生产设备", "装载机", "红木家具", "黄金饰品", "注塑机"]
OTHERS = ["车位使用权", "商标专用权", "专利权", "林地经营权", "债权", "租赁权"]
# Lot.subtype of each word above (same order).
ESTATE_SUBTYPES = ["residential", "shop", "office", "factory", "industrial_land", "villa", "residential", "factory"]
VEHICLE_SUBTYPES = ["car", "suv", "truck", "bus", "truck", "car"]
MOVABLE_SUBTYPES = ["machinery", "machinery", "ship", "jewellery", "art", "machinery", "machinery", "art", "jewellery", "machinery"]
OTHER_SUBTYPES = ["parking", "rights", "rights", "rights", "rights", "rights"]
RARE_WORD, RARE_EVERY = "钧窑天青釉", 100_000  # one lot in RARE_EVERY carries it

# (name, API query, page query): the visitor queries of issue 12.
QUERIES = [
    ("front_page", {}, {}),
    ("city", {"q": "苏州"}, {"q": "苏州"}),
    ("two_words", {"q": "苏州 住宅"}, {"q": "苏州 住宅"}),
    ("rare_word", {"q": RARE_WORD}, {"q": RARE_WORD}),
    ("category_status", {"category": "real_estate", "status": "open"}, {"category": "real_estate", "status": "open"}),
    ("price_range", {"min_price": 100_000_000, "max_price": 200_000_000}, {"min_price": "1000000", "max_price": "2000000"}),
    ("page_500", {"page": 500}, {"page": 500}),
    # issue 15's filters: region + sub-type, round + discount, a synonym, ending soon (open rounds only)
    ("province_subtype", {"province": "江苏", "subtype": "residential"}, {"province": "江苏", "subtype": "residential"}),
    ("city_district", {"city": "杭州", "district": "西湖区"}, {"city": "杭州", "district": "西湖区"}),
    ("round_discount", {"round": "second", "max_discount": 70}, {"round": "second", "max_discount": "7"}),
    ("synonym", {"q": "汽车"}, {"q": "汽车"}),
    ("ending_soon", {"sort": "ending_soon"}, {"sort": "ending_soon"}),
]
API_TARGET_MS, PAGE_TARGET_MS = 100, 200


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], expr: str) -> str:
    return f"({_arr(values)})[(1 + ({expr}) % {len(values)})::int]"


# A lot's starting price and reference price (fen) from its number: the start is 56–100 % of the reference.
PRICE = "((10000 + ({n}::bigint * 104729) % 5000000) * 1000)"
REFERENCE = "(" + PRICE + " * 100 / (56 + {n} % 45))"


def generate_sql(lots: int) -> list[str]:
    """The statements filling an empty, migrated database with `lots` lots, one listed round each."""
    courts = 400
    cases = max(1, lots // 4)
    city = _pick(CITIES, "c.n")
    province = _pick(PROVINCES, "c.n")
    reference = REFERENCE.format(n="r.n")
    now = "now()"
    return [
        "SELECT setseed(0.42)",
        f"""INSERT INTO lots_court (id, name, code, province, city, contact)
            SELECT n, {city} || '市第' || n || '人民法院', 'B' || lpad(n::text, 3, '0'), {province}, {city}, '0512-' || (10000000 + n)
            FROM generate_series(1, {courts}) AS c(n)""",
        f"""INSERT INTO lots_enforcementcase (id, court_id, case_number, applicants, respondents, amount_owed, status, created_at)
            SELECT n, 1 + abs(hashint8(n)) % {courts}, '(' || (2019 + n % 7) || ')B' || lpad((1 + abs(hashint8(n)) % {courts})::text, 3, '0')
                   || '执' || n || '号',
                   '["申请人"]', '["被执行人"]', 100000 + n, 'open', {now} - interval '400 days'
            FROM generate_series(1::bigint, {cases}) AS c(n)""",
        # The lot's city is its court's city; the kind of lot by a hash of n (8 in 20 real estate, 4 vehicles, 1 equity, 5 movables, 2 other).
        f"""INSERT INTO lots_lot (id, case_id, title, category, description, location, city, size_unit, defects_and_encumbrances,
                                  occupancy, title_status, transfer_tax_payer, judgment_enforced, reference_price,
                                  reference_price_source, created_at, province, district, subtype)
            SELECT l.n, l.case_id,
                   CASE l.kind
                     WHEN 'real_estate' THEN l.city || '市' || {_pick(DISTRICTS, "l.n / 7")} || {_pick(ROADS, "l.n / 3")} || (l.n % 300 + 1)
                                             || '号' || (l.n % 30 + 1) || '幢' || (l.n % 2000 + 101) || '室' || {_pick(ESTATES, "l.n / 20")}
                     WHEN 'vehicle' THEN {_pick(BRANDS, "l.n / 20")} || {_pick(VEHICLES, "l.n / 13")} || ' 车牌' || l.n
                     WHEN 'equity' THEN l.city || '第' || l.n || '号实业有限公司' || (l.n % 90 + 5) || '%股权'
                     WHEN 'movable' THEN {_pick(MOVABLES, "l.n / 20")} || '一批（编号' || l.n || '）'
                     ELSE {_pick(OTHERS, "l.n / 20")} || '（' || l.city || '，编号' || l.n || '）'
                   END || CASE WHEN l.n % {RARE_EVERY} = 7 THEN '{RARE_WORD}瓷器' ELSE '' END,
                   l.kind, '', l.city || '市' || {_pick(DISTRICTS, "l.n / 7")} || {_pick(ROADS, "l.n / 3")} || (l.n % 300 + 1) || '号',
                   l.city, '㎡', '', '', '', 'each', '', {REFERENCE.format(n="l.n")}, '询价', {now} - interval '300 days',
                   l.province, {_pick(DISTRICTS, "l.n / 7")},
                   CASE l.kind
                     WHEN 'real_estate' THEN {_pick(ESTATE_SUBTYPES, "l.n / 20")}
                     WHEN 'vehicle' THEN {_pick(VEHICLE_SUBTYPES, "l.n / 13")}
                     WHEN 'equity' THEN 'equity'
                     WHEN 'movable' THEN {_pick(MOVABLE_SUBTYPES, "l.n / 20")}
                     ELSE {_pick(OTHER_SUBTYPES, "l.n / 20")}
                   END
            FROM (SELECT n, e.id AS case_id, c.city, c.province,
                         (ARRAY['real_estate','real_estate','real_estate','real_estate','real_estate','real_estate','real_estate',
                                'real_estate','vehicle','vehicle','vehicle','vehicle','equity','movable','movable','movable','movable',
                                'movable','other','other'])[(1 + abs(hashint8(n * 3 + 1)) % 20)::int] AS kind
                  FROM generate_series(1::bigint, {lots}) AS g(n)
                  JOIN lots_enforcementcase e ON e.id = 1 + abs(hashint8(n * 5 + 2)) % {cases}
                  JOIN lots_court c ON c.id = e.court_id) AS l""",
        # One round per lot, listed: 二拍 when n % 5 = 1, 变卖 when n % 40 = 3, else 一拍; its discount as lots.discount
        # rounds it (whole percent, half up). Status by n % 200: 12 open, 24 announced, 1 suspended, 3 withdrawn, 60 sold, 90 failed, 10 closed.
        f"""INSERT INTO lots_round (id, lot_id, number, kind, status, starting_price, deposit, increment, starts_at, ends_at,
                                    scheduled_ends_at, balance_due_days, proxy_bidding_enabled, announcement, bidding_notice,
                                    published_at, current_price, seq, bid_count, status_reason, suspended_from, leader_code,
                                    created_at, listed, discount)
            SELECT r.n, r.n, CASE WHEN r.n % 40 = 3 THEN 3 WHEN r.n % 5 = 1 THEN 2 ELSE 1 END,
                   CASE WHEN r.n % 40 = 3 THEN 'selloff' ELSE 'auction' END, r.status, r.price, greatest(r.price / 5, 1), greatest(r.price / 100, 1), r.starts,
                   r.starts + interval '1 day', r.starts + interval '1 day', 10, false, '', '',
                   r.starts - interval '30 days', CASE WHEN r.bids > 0 THEN r.price + r.bids * greatest(r.price / 100, 1) END,
                   r.bids, r.bids, '', '', '', r.starts - interval '35 days', true,
                   (200 * r.price + {reference}) / (2 * {reference})
            FROM (SELECT n, s.status,
                         {PRICE.format(n="n")} AS price,
                         CASE WHEN s.status IN ('open', 'sold', 'closed') THEN (n * 31) % 40 ELSE 0 END AS bids,
                         CASE s.status
                           WHEN 'open' THEN {now} - interval '1 day' + (n % 86400) * interval '1 second' + interval '1 minute'
                           WHEN 'announced' THEN {now} + interval '1 day' + (n % 2592000) * interval '1 second'
                           WHEN 'suspended' THEN {now} + interval '5 days' + (n % 864000) * interval '1 second'
                           ELSE {now} - interval '2 days' - (n % 94608000) * interval '1 second'
                         END AS starts
                  FROM generate_series(1::bigint, {lots}) AS g(n)
                  CROSS JOIN LATERAL (SELECT CASE
                      WHEN n % 200 < 12 THEN 'open' WHEN n % 200 < 36 THEN 'announced' WHEN n % 200 < 37 THEN 'suspended'
                      WHEN n % 200 < 40 THEN 'withdrawn' WHEN n % 200 < 100 THEN 'sold' WHEN n % 200 < 190 THEN 'failed'
                      ELSE 'closed' END AS status) AS s) AS r""",
        *[f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
          for t in ("lots_court", "lots_enforcementcase", "lots_lot", "lots_round")],
    ]


TABLES = ("lots_round", "lots_lot", "lots_enforcementcase")


def load(db_url: str, lots: int) -> dict:
    """Fill the (fresh, migrated) database; returns the seconds each step took."""
    import psycopg

    took: dict[str, float] = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        # Secondary indexes (not the primary keys or constraints' own indexes) are built after the load.
        rows = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [list(TABLES)]).fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')
        started = time.monotonic()
        with conn.transaction():
            for statement in generate_sql(lots):
                conn.execute(statement)
        took["insert_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        for _, definition in rows:
            conn.execute(definition)
        took["indexes_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        for table in (*TABLES, "lots_court"):
            conn.execute(f"VACUUM ANALYZE {table}")
        took["vacuum_analyze_s"] = round(time.monotonic() - started, 1)
        took["database_mb"] = round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20)
    return took


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
    resp = conn.getresponse()
    body = resp.read()
    return (time.perf_counter() - started) * 1000, resp.status, body


def _timed(port: int, path: str, samples: int, warmup: int = 3) -> tuple[list[float], int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for _ in range(warmup):
            _get(conn, path)
        times = []
        for _ in range(samples):
            ms, status, body = _get(conn, path)
            times.append(ms)
    finally:
        conn.close()
    return times, status, body


def _db_floor(db_url: str, samples: int, pct) -> dict:
    """psycopg alone: 20 listed rounds with their lots and cases by primary key (what any page ends with)."""
    import psycopg

    times = []
    with psycopg.connect(db_url) as conn:
        top = conn.execute("SELECT max(id) FROM lots_round").fetchone()[0] or 1
        for k in range(samples + 3):
            ids = [1 + (k * 7919 + j * 104729) % top for j in range(20)]
            started = time.perf_counter()
            conn.execute("SELECT r.*, l.*, c.* FROM lots_round r JOIN lots_lot l ON l.id = r.lot_id "
                         "JOIN lots_enforcementcase c ON c.id = l.case_id WHERE r.id = ANY(%s)", [ids]).fetchall()
            if k >= 3:
                times.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return {"p50": pct(times, 50), "p95": pct(times, 95)}


def run(db_url: str, lots: int, samples: int, env: dict, fresh_database, start_daphne, pct) -> dict:
    import json

    fresh_database(db_url)
    menv = dict(env, DATABASE_URL=db_url)
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=menv, check=True)
    took = {"migrate_s": round(time.monotonic() - started, 1), **load(db_url, lots)}
    result: dict = {"lots": lots, "generation": took}
    proc, port = start_daphne(menv)
    try:
        floor_times, _, _ = _timed(port, "/healthz", samples)
        http_floor = {"p50": pct(floor_times, 50), "p95": pct(floor_times, 95)}
        result["floor_ms"] = {"http_healthz": http_floor, "db_page_by_id": _db_floor(db_url, samples, pct)}
        api, page = {}, {}
        for name, api_query, page_query in QUERIES:
            times, status, body = _timed(port, "/api/v1/rounds/?" + urlencode(api_query), samples)
            data = json.loads(body) if status == 200 else {}
            api[name] = {"p50": pct(times, 50), "p95": pct(times, 95), "status": status, "count": data.get("count"),
                         "count_is_estimate": data.get("count_is_estimate"), "rows": len(data.get("results", [])),
                         "over_floor_ms": round(pct(times, 95) - http_floor["p95"], 1)}
            times, status, body = _timed(port, "/?" + urlencode(page_query), samples)
            page[name] = {"p50": pct(times, 50), "p95": pct(times, 95), "status": status, "cards": body.count(b'class="lot-card'),
                          "over_floor_ms": round(pct(times, 95) - http_floor["p95"], 1)}
        result["api_ms"], result["page_ms"] = api, page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["targets_met"] = {
        f"api_p95_le_{API_TARGET_MS}ms": all(v["status"] == 200 and v["p95"] <= API_TARGET_MS for v in result["api_ms"].values()),
        f"page_p95_le_{PAGE_TARGET_MS}ms": all(v["status"] == 200 and v["p95"] <= PAGE_TARGET_MS for v in result["page_ms"].values()),
    }
    if not os.environ.get("BENCH_KEEP_CATALOGUE"):
        _drop(db_url)  # 1.5 M lots are a few GB: do not leave them in the cluster (a replica's base backup copies it all)
    return result


def _drop(db_url: str) -> None:
    import psycopg

    base, name = db_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
