#!/usr/bin/env bash
# Live-bidding benchmark (tests/load/bench_bidding.py): 2 Daphne processes + PostgreSQL + Redis.
# Prints ONE JSON line of figures. Not part of the test suite. Options are passed through, e.g.
#   scripts/benchmark.sh --watchers 5000 --bidders 300 --seconds 15
set -euo pipefail
cd "$(dirname "$0")/.."
# 5,000 watcher sockets + 2 servers need many file descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/auction_bench}"
mkdir -p var
exec .venv/bin/python tests/load/bench_bidding.py "$@"
