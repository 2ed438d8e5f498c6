#!/usr/bin/env bash
# /app/analytics for a tenant with 100,000 leads and a year of data, on the release binary and
# PostgreSQL: seeds with analytics_seed.sql, signs in, and times the year's report (grouped by
# week, then by day) at concurrency 1 and 4 with analytics_load.py.
#
#   cargo build --release -p lead-server
#   apps/lead-server/benches/analytics.sh       # BENCH_PG=postgres://postgres@127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/../../.."

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PORT="${BENCH_PORT:-18081}"
BIN="${BENCH_BIN:-target/release/lead-server}"
DB="lead_analytics_$(date +%s)"
TOKEN="bench-admin-token-0123456789"
WORKDIR="$(mktemp -d)"

psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
cleanup() {
  if [[ -n "${SERVER_PID:-}" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

env HOST=127.0.0.1 PORT="$PORT" DATABASE_URL="$PG/$DB" DATA_DIR="$WORKDIR" ADMIN_TOKEN="$TOKEN" \
  RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn LOG_FORMAT=json \
  "$BIN" serve --workers 0 >"$WORKDIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 0.1; done

CLIENT=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/clients" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"name":"Bench Realty","slug":"bench-realty","industry":"real_estate","timezone":"Asia/Riyadh"}' |
  sed -E 's/.*"id":"([^"]+)".*/\1/')
PASSWORD="bench password 0123456789"
curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/clients/$CLIENT/users" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"email\":\"owner@bench.example\",\"name\":\"Owner\",\"role\":\"owner\",\"password\":\"$PASSWORD\"}" >/dev/null

started=$(date +%s)
psql "$PG/$DB" -q -v tenant="$CLIENT" -f apps/lead-server/benches/analytics_seed.sql
echo "seeded in $(( $(date +%s) - started )) s: $(psql "$PG/$DB" -Atc 'SELECT count(*) FROM leads') leads, $(psql "$PG/$DB" -Atc 'SELECT count(*) FROM messages') messages"

export BENCH_PORT="$PORT" BENCH_EMAIL="owner@bench.example" BENCH_PASSWORD="$PASSWORD"
TO=$(date -u +%Y-%m-%d)
FROM=$(date -u -d '364 days ago' +%Y-%m-%d)
for group in week day; do
  for c in 1 4; do
    echo "group_by=$group concurrency=$c"
    BENCH_PATH="/app/analytics?from=$FROM&to=$TO&group_by=$group" CONCURRENCY=$c REQUESTS="${REQUESTS:-200}" \
      python3 apps/lead-server/benches/analytics_load.py
  done
done
echo "RSS after load: $(ps -o rss= -p "$SERVER_PID" | tr -d ' ') KiB"
