#!/usr/bin/env bash
# What access control costs a REST request: one server_test process serves the same site twice, with access control
# (bearer tokens of a viewer with an owner grant and of an admin) and without; wrk drives each in turn at ~200
# requests/s (src/server/wrk_200rps.lua), ROUNDS times, interleaved so that the machine's load falls on all three
# alike. CPU is the process's utime + stime (/proc/PID/stat, every thread) over each run, per request served.
# The default route asks for the one camera the viewer may see (north, owner city), so all three callers run the same
# store query and get the same 50 events: the difference is the access check alone. Without `camera=` the viewer's
# query is narrowed to its cameras while the others' is not (a different query, not only a check).
#   bash bench/auth_cost.sh [build/src/server/server_test] [ROUNDS=3] [SECONDS=10] [PATH=/api/v1/events?limit=50&camera=north]
set -euo pipefail
TEST=${1:-build/src/server/server_test}
ROUNDS=${2:-3}
SECS=${3:-10}
ROUTE=${4:-/api/v1/events?limit=50&camera=north}
HERE=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
DIDBAN_SERVE_SECONDS=$((ROUNDS * 3 * (SECS + 2) + 20)) "$TEST" --gtest_also_run_disabled_tests \
  --gtest_filter='*AccessServeForLoadTest*' >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q "without access control" "$out" && break; sleep 0.1; done
port=$(sed -n 's/^serving on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")
open_port=$(sed -n 's/^without access control on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")
viewer=$(sed -n 's/^viewer token //p' "$out")
admin=$(sed -n 's/^admin token //p' "$out")
[ -n "$port" ] && [ -n "$open_port" ] || { cat "$out" >&2; exit 1; }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
declare -A req cpu
run() {  # mode port [header]
  local t0 t1 n
  t0=$(ticks)
  if [ -n "${3:-}" ]; then
    n=$(wrk -t2 -c4 -d"${SECS}s" -s "$HERE/src/server/wrk_200rps.lua" -H "$3" "http://127.0.0.1:$2$ROUTE" |
      awk '/requests in/ {print $1}')
  else
    n=$(wrk -t2 -c4 -d"${SECS}s" -s "$HERE/src/server/wrk_200rps.lua" "http://127.0.0.1:$2$ROUTE" |
      awk '/requests in/ {print $1}')
  fi
  t1=$(ticks)
  req[$1]=$((${req[$1]:-0} + n))
  cpu[$1]=$((${cpu[$1]:-0} + t1 - t0))
  sleep 1
}
for _ in $(seq "$ROUNDS"); do
  run open "$open_port"
  run viewer "$port" "Authorization: Bearer $viewer"
  run admin "$port" "Authorization: Bearer $admin"
done
echo "route $ROUTE, $ROUNDS rounds of ${SECS} s each, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %9s %14s %10s\n" caller requests "CPU/request" "vs open"
base=$(python3 -c "print(${cpu[open]} / $hz / ${req[open]} * 1e6)")
for m in open viewer admin; do
  python3 -c "
c = ${cpu[$m]} / $hz / ${req[$m]} * 1e6
print(f'%-8s %9d %11.0f us %+9.1f %%' % ('$m', ${req[$m]}, c, (c / $base - 1) * 100))"
done
