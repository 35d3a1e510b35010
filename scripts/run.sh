#!/usr/bin/env bash
# `make run`: migrate, load the demo data, start the clock process and Daphne on http://127.0.0.1:8000.
# With no environment set it uses the embedded defaults (SQLite, in-memory channels, local files, sandbox payments).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export AUCTION_MODE="${AUCTION_MODE:-demo}"
PORT="${PORT:-8000}"
mkdir -p var
$PY manage.py migrate --noinput >/dev/null
$PY manage.py load_demo
$PY manage.py run_clock --interval 1 > var/run_clock.log 2>&1 &
clock_pid=$!
# The trap stops the clock process when the server stops (Ctrl-C) or this script fails.
trap 'kill $clock_pid 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  司法拍卖平台 / Judicial auction platform:  http://127.0.0.1:${PORT}/
  API schema: http://127.0.0.1:${PORT}/api/schema/    admin: http://127.0.0.1:${PORT}/admin/

  Demo accounts (password for all: demo-pass-2024):
$($PY manage.py demo_accounts)

  Move the demo clock: .venv/bin/python manage.py clock advance 1d

MSG
$PY -m daphne -b 127.0.0.1 -p "$PORT" auction_site.asgi:application
