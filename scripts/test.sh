#!/usr/bin/env bash
# The README's test command (`make test`) runs this: the whole suite against real services.
# PostgreSQL and Redis: from DATABASE_URL / REDIS_URL, defaulting to this machine's servers.
# Object storage and Stripe: real protocol servers started here (moto's S3 server, localstripe).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

export AUCTION_MODE=test
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/auction}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p tests/artifacts
if [ -z "${AWS_S3_ENDPOINT_URL:-}" ]; then
  port=$(free_port)
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" > tests/artifacts/moto.log 2>&1 &
  pids+=($!)
  export AWS_S3_ENDPOINT_URL="http://127.0.0.1:$port"
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_STORAGE_BUCKET_NAME="${AWS_STORAGE_BUCKET_NAME:-auction-test-media}"

if [ -z "${STRIPE_API_BASE:-}" ]; then
  port=$(free_port)
  # A store of this run's own (never the shared file in /tmp): two runs on one machine never share payments.
  $PY scripts/localstripe_private.py --port "$port" > tests/artifacts/localstripe.log 2>&1 &
  pids+=($!)
  export STRIPE_API_BASE="http://127.0.0.1:$port"
fi
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_localstripe}"
export PAYMENT_PROVIDER="${PAYMENT_PROVIDER:-stripe}"

# Wait for the servers to answer.
for url in "$AWS_S3_ENDPOINT_URL" "$STRIPE_API_BASE"; do
  for _ in $(seq 1 100); do
    if $PY -c "import urllib.request,sys; urllib.request.urlopen('$url', timeout=1)" 2>/dev/null; then break; fi
    if $PY -c "import urllib.request,urllib.error,sys
try: urllib.request.urlopen('$url', timeout=1)
except urllib.error.HTTPError: sys.exit(0)
except Exception: sys.exit(1)" ; then break; fi
    sleep 0.2
  done
done

set +e
$PY -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$rc"
