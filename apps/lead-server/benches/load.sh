#!/usr/bin/env bash
# Load test of the release binary on PostgreSQL: POST /webhooks/web-form (unique phone per request)
# and GET /health at concurrency 16, 64 and 256 with wrk, after a 5 s warm-up; prints req/s and
# p50/p99, idle RSS, and the 202 answers against the leads stored. Server settings such as
# DB_INTAKE_LANES or DB_INTAKE_BATCH_MAX pass through from the environment.
#
#   cargo build --release -p lead-server
#   apps/lead-server/benches/load.sh            # BENCH_PG=postgres://postgres@127.0.0.1:5432 DURATION=15s
set -euo pipefail
cd "$(dirname "$0")/../../.."

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-15s}"
PORT="${BENCH_PORT:-18080}"
BIN=target/release/lead-server
DB="lead_bench_$(date +%s)"
TOKEN="bench-admin-token-0123456789"
WORKDIR="$(mktemp -d)"

psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
cleanup() {
  if [[ -n "${SERVER_PID:-}" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

# HTTP only (--workers 0): the intake path is what is measured; the rate limit is off.
env HOST=127.0.0.1 PORT="$PORT" DATABASE_URL="$PG/$DB" DATA_DIR="$WORKDIR" ADMIN_TOKEN="$TOKEN" \
  RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn LOG_FORMAT=json DB_MAX_CONNECTIONS="${DB_MAX_CONNECTIONS:-32}" \
  "$BIN" serve --workers 0 >"$WORKDIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 0.1; done

sleep 1
echo "idle RSS: $(ps -o rss= -p "$SERVER_PID" | tr -d ' ') KiB"

API_KEY=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/clients" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"name":"Bench Realty","slug":"bench-realty","industry":"real_estate","timezone":"Asia/Riyadh"}' |
  sed -E 's/.*"api_key":"([^"]+)".*/\1/')
export API_KEY

report() { # name, wrk output
  local rps p50 p99
  rps=$(grep 'Requests/sec' <<<"$2" | awk '{print $2}')
  p50=$(grep -E '^ +50%' <<<"$2" | awk '{print $2}')
  p99=$(grep -E '^ +99%' <<<"$2" | awk '{print $2}')
  local errors
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$2" | tr '\n' ' ' || true)
  printf '%-28s %10s req/s   p50 %8s   p99 %8s %s\n' "$1" "$rps" "$p50" "$p99" "$errors"
}

# Warm-up (not reported): every pooled connection prepares its statements and the tables
# leave the empty state the query planner first sees.
run=0
accepted=0
out=$(RUN=$run wrk -t2 -c64 -d"${WARMUP:-5s}" -s apps/lead-server/benches/webform.lua "http://127.0.0.1:$PORT/webhooks/web-form")
accepted=$(grep -E '^ +[0-9]+ requests in' <<<"$out" | awk '{print $1}')
run=$((run + 1))
for c in 16 64 256; do
  # Each run and wrk thread has a mobile prefix of its own (see webform.lua).
  out=$(RUN=$run wrk -t2 -c"$c" -d"$DURATION" --latency -s apps/lead-server/benches/webform.lua "http://127.0.0.1:$PORT/webhooks/web-form")
  run=$((run + 1))
  accepted=$((accepted + $(grep -E '^ +[0-9]+ requests in' <<<"$out" | awk '{print $1}') - $(grep -E 'Non-2xx' <<<"$out" | awk '{print $5}' || echo 0)))
  report "POST /webhooks/web-form c$c" "$out"
done
for c in 16 64 256; do
  out=$(wrk -t2 -c"$c" -d"$DURATION" --latency "http://127.0.0.1:$PORT/health")
  report "GET /health c$c" "$out"
done
echo "web forms answered 202: $accepted; leads stored: $(psql "$PG/$DB" -Atc 'SELECT count(*) FROM leads')"
echo "RSS after load: $(ps -o rss= -p "$SERVER_PID" | tr -d ' ') KiB"
