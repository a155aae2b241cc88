#!/usr/bin/env bash
# The scale-out benchmark (docs/performance.md): a throwaway nats-server with JetStream and a throwaway PostgreSQL
# 15 on loopback, then build/bench/relay_benchmark from 50 simulated stations, each run on a fresh stream and a fresh
# database: once as fast as it goes, once paced at RATE events/s (default 10000, half the 20,000/s target) for the
# publish-to-commit delay, and, when BACKLOG > 0, a catch-up run: BACKLOG events (600000 = a 10-minute cut at
# 1,000/s) published while the center is stopped, then the time for a fresh center to commit them all.
# RELAY_BENCH_RUNS (default "max paced backlog") picks the runs and their order.
# Each run prints the load average before and after and the CPU (user+system seconds) that nats-server and
# PostgreSQL used during it (read before and after, nothing sampling in between); the benchmark prints its own
# (publishers and center together).
#   bash bench/relay_bench.sh [build/bench/relay_benchmark] [SECONDS] [RATE] [BACKLOG] [-- extra benchmark flags]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${1:-$ROOT/build/bench/relay_benchmark}
SECONDS_RUN=${2:-10}
RATE=${3:-10000}
BACKLOG=${4:-0}
shift $(($# < 4 ? $# : 4))
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
RUNS=${RELAY_BENCH_RUNS:-max paced backlog}
. "$ROOT/tests/tools/ports.sh"  # free_port
work=$(mktemp -d)
nats_pid=""
pg_dir=""
cleanup() {
  [ -n "$nats_pid" ] && kill -9 "$nats_pid" 2>/dev/null
  [ -n "$pg_dir" ] && bash "$ROOT/tests/tools/pg_test_server.sh" stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port)

start_nats() {
  if [ -n "$nats_pid" ]; then
    kill -9 "$nats_pid"
    wait "$nats_pid" 2>/dev/null || true
  fi
  rm -rf "$work/js"
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/js" -l "$work/nats.log" &
  nats_pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
}

# CPU seconds (user+system, clock ticks / CLK_TCK) of PID and its children.
cpu_of() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
pg_pid() { head -1 "$pg_dir/data/postmaster.pid"; }
# CPU ticks of PostgreSQL: the postmaster's own and those of its children that ended (fields 14-17 of its stat:
# user, system, children's user, children's system) plus those of its live children. Read once before and once
# after a run (after the benchmark's connections closed), so that no sampler competes with the measured processes
# for the two cores (a shell sampling every 0.5 s took ~5 % of them).
pg_ticks() {
  local pm total=0 p
  pm=$(pg_pid)
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for p in $(pgrep -P "$pm" || true); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

run() {  # NAME BENCHMARK-FLAGS...
  local name=$1
  shift
  start_nats
  local uri nats0 pg0 nats1 pg1 tck
  uri=$(bash "$ROOT/tests/tools/pg_test_server.sh" createdb "$pg_dir" "$name")
  tck=$(getconf CLK_TCK)
  echo "== $name: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  nats0=$(cpu_of "$nats_pid")
  pg0=$(pg_ticks)
  local rc=0
  "$BENCH" --nats "nats://127.0.0.1:$port" --store "$uri" --stations 50 "$@" "${EXTRA[@]}" || rc=$?
  nats1=$(cpu_of "$nats_pid")
  sleep 1  # the benchmark's PostgreSQL backends end and are reaped: their CPU moves to the postmaster's children
  pg1=$(pg_ticks)
  echo "== $name: load average $(cut -d' ' -f1-3 /proc/loadavg); CPU nats-server" \
    "$(awk -v t=$((nats1 - nats0)) -v h="$tck" 'BEGIN {printf "%.1f", t / h}') s, PostgreSQL" \
    "$(awk -v t=$((pg1 - pg0)) -v h="$tck" 'BEGIN {printf "%.1f", t / h}') s; exit $rc"
  return "$rc"
}

{ read -r pg_dir; read -r _; } < <(bash "$ROOT/tests/tools/pg_test_server.sh" start)
status=0
for r in $RUNS; do
  case $r in
    max) run bench_max --seconds "$SECONDS_RUN" || status=1 ;;
    paced) run bench_paced --seconds "$SECONDS_RUN" --rate "$RATE" || status=1 ;;
    backlog) if [ "$BACKLOG" -gt 0 ]; then run bench_backlog --backlog "$BACKLOG" || status=1; fi ;;
    *) echo "relay_bench: unknown run $r (max, paced, backlog)" >&2; exit 2 ;;
  esac
done
exit "$status"
