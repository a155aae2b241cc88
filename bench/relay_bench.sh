#!/usr/bin/env bash
# The scale-out benchmark (docs/performance.md): a throwaway nats-server with JetStream and a throwaway PostgreSQL
# 15 on loopback, then build/bench/relay_benchmark from 50 simulated stations: once as fast as it goes, once paced
# at RATE events/s (default 10000, half the 20,000/s target) for the publish-to-commit delay.
#   bash bench/relay_bench.sh [build/bench/relay_benchmark] [SECONDS] [RATE]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${1:-$ROOT/build/bench/relay_benchmark}
SECONDS_RUN=${2:-10}
RATE=${3:-10000}
work=$(mktemp -d)
nats_pid=""
pg_dir=""
cleanup() {
  [ -n "$nats_pid" ] && kill -9 "$nats_pid" 2>/dev/null
  [ -n "$pg_dir" ] && bash "$ROOT/tests/tools/pg_test_server.sh" stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/js" -l "$work/nats.log" &
nats_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
{ read -r pg_dir; read -r _; } < <(bash "$ROOT/tests/tools/pg_test_server.sh" start)
uri=$(bash "$ROOT/tests/tools/pg_test_server.sh" createdb "$pg_dir" bench_max)
"$BENCH" --nats "nats://127.0.0.1:$port" --store "$uri" --stations 50 --seconds "$SECONDS_RUN"
# A fresh stream and database for the paced run.
kill -9 "$nats_pid"; wait "$nats_pid" 2>/dev/null || true
rm -rf "$work/js"
nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/js" -l "$work/nats.log" &
nats_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
uri=$(bash "$ROOT/tests/tools/pg_test_server.sh" createdb "$pg_dir" bench_paced)
"$BENCH" --nats "nats://127.0.0.1:$port" --store "$uri" --stations 50 --seconds "$SECONDS_RUN" --rate "$RATE"
