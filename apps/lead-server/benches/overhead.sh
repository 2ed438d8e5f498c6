#!/usr/bin/env bash
# Cost of metrics and tracing on the intake path, all in one run: the release binary on
# PostgreSQL answers POST /webhooks/web-form (wrk, webform.lua, concurrency $CONC) under three
# configurations, in turn, $ROUNDS times:
#   off      METRICS_ENABLED=false, no OTEL_EXPORTER_OTLP_ENDPOINT
#   metrics  metrics recorded (the default), no span export
#   traces   metrics, and spans exported over OTLP/HTTP (protobuf) to a local sink (otlp_sink.py)
# Each server start gets a fresh database and a warm-up; prints req/s per run and the median of
# each configuration with its cost against `off`.
#
#   cargo build --release -p lead-server
#   apps/lead-server/benches/overhead.sh       # BENCH_PG=... DURATION=10s ROUNDS=3 CONC=64
set -euo pipefail
cd "$(dirname "$0")/../../.."

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
CONC="${CONC:-64}"
PORT="${BENCH_PORT:-18081}"
SINK_PORT="${SINK_PORT:-14318}"
BIN=target/release/lead-server
TOKEN="bench-admin-token-0123456789"
WORKDIR="$(mktemp -d)"
SERVER_PID=""
DB=""

python3 apps/lead-server/benches/otlp_sink.py "$SINK_PORT" "$WORKDIR/sink.counts" &
SINK_PID=$!

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  if [[ -n "$DB" ]]; then psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true; fi
  DB=""
}
cleanup() {
  stop_server
  kill "$SINK_PID" 2>/dev/null || true
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

# run <config> <round>: prints the req/s of one measured run.
run() {
  local config=$1 round=$2 extra=()
  case $config in
    off) extra=(METRICS_ENABLED=false) ;;
    metrics) extra=(METRICS_ENABLED=true) ;;
    traces) extra=(METRICS_ENABLED=true OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT"
                   OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf) ;;
  esac
  DB="lead_overhead_${config}_${round}_$$"
  psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
  env -u OTEL_EXPORTER_OTLP_ENDPOINT HOST=127.0.0.1 PORT="$PORT" DATABASE_URL="$PG/$DB" \
    DATA_DIR="$WORKDIR/$config-$round" ADMIN_TOKEN="$TOKEN" RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
    LOG_FORMAT=json DB_MAX_CONNECTIONS="${DB_MAX_CONNECTIONS:-32}" "${extra[@]}" \
    "$BIN" serve --workers 0 >"$WORKDIR/server-$config-$round.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 0.1; done
  API_KEY=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/clients" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d '{"name":"Bench Realty","slug":"bench-realty","industry":"real_estate","timezone":"Asia/Riyadh"}' |
    sed -E 's/.*"api_key":"([^"]+)".*/\1/')
  export API_KEY
  RUN=0 wrk -t2 -c"$CONC" -d"${WARMUP:-3s}" -s apps/lead-server/benches/webform.lua \
    "http://127.0.0.1:$PORT/webhooks/web-form" >/dev/null
  local out
  out=$(RUN=1 wrk -t2 -c"$CONC" -d"$DURATION" -s apps/lead-server/benches/webform.lua \
    "http://127.0.0.1:$PORT/webhooks/web-form")
  if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers in $config round $round" >&2; fi
  stop_server
  grep 'Requests/sec' <<<"$out" | awk '{print $2}'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A results
for round in $(seq "$ROUNDS"); do
  for config in off metrics traces; do
    rps=$(run "$config" "$round")
    results[$config]+="$rps "
    printf 'round %d %-8s %10s req/s\n' "$round" "$config" "$rps"
  done
done
base=$(tr ' ' '\n' <<<"${results[off]}" | grep . | median)
for config in off metrics traces; do
  m=$(tr ' ' '\n' <<<"${results[$config]}" | grep . | median)
  awk -v c="$config" -v m="$m" -v b="$base" \
    'BEGIN { printf "median %-8s %10.1f req/s   %+6.1f%% against off\n", c, m, (m - b) / b * 100 }'
done
echo "OTLP sink received (batches bytes): $(cat "$WORKDIR/sink.counts" 2>/dev/null || echo '0 0')"
