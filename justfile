# Recipes for the lead response service; `just` lists them.

# List the recipes.
default:
    @just --list

# Start the service on 127.0.0.1:8000 with SQLite under ./data and the offline qualifier.
run:
    cargo run --release

# Run every test (PostgreSQL and Redis tests read TEST_DATABASE_URL / TEST_REDIS_URL).
test:
    cargo test --workspace

# Format check, lints, tests, docs and crate boundaries, exactly as CI runs them.
check:
    .ci/run

# Run the benchmarks (extraction, intake).
bench:
    cargo bench --workspace

# Run the offline qualifier on the eval dev set and score it.
eval:
    cargo run --release -- eval --cases ../shared/eval/qualification-dev.jsonl --profiles ../shared/eval/clients.json --out target/predictions.jsonl && python3 ../shared/eval/score.py ../shared/eval/qualification-dev.jsonl target/predictions.jsonl

# Play the scripted live-chat dialogues of the eval dev set through the use cases and summarise.
eval-conversations:
    cargo run --release -- eval-conversations --cases ../shared/eval/conversations-dev.jsonl --profiles ../shared/eval/clients.json --out target/conversations.jsonl

# Start the local PostgreSQL and Redis if they are down.
db-up:
    pg_isready -h 127.0.0.1 -q || pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; redis-cli ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no

# Apply database migrations to DATABASE_URL.
migrate:
    cargo run --release -- migrate

# Load-test the release binary's web-form intake and health endpoints with wrk (PostgreSQL).
load:
    apps/lead-server/benches/load.sh
