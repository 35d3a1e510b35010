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
# The trap stops the clock and the server when this script is stopped (Ctrl-C) or fails.
$PY -m daphne -b 127.0.0.1 -p "$PORT" auction_site.asgi:application &
server_pid=$!
trap 'kill $clock_pid $server_pid 2>/dev/null || true' EXIT INT TERM
accounts=$($PY manage.py demo_accounts)
# The banner comes once the site answers, so the time it prints is the time to a working site.
for _ in $(seq 1 120); do
  if $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.5
done
took=""
if [ -n "${RUN_STARTED:-}" ]; then took="  (set-up and start: $(( $(date +%s) - RUN_STARTED )) s)"; fi
cat <<MSG

  司法拍卖平台 / Judicial auction platform:  http://127.0.0.1:${PORT}/${took}
  API docs: http://127.0.0.1:${PORT}/api/docs/    admin: http://127.0.0.1:${PORT}/admin/

  Demo accounts (password for all: demo-pass-2024):
${accounts}

  Move the demo clock: .venv/bin/python manage.py clock advance 1d

MSG
wait $server_pid
