#!/usr/bin/env bash
# CPU of `didban demo` (every thread: utime + stime of /proc/<pid>/stat) over a window once it serves, and the
# cameras' counters. Figures: docs/performance.md.
#   bash tests/tools/demo_cpu.sh <didban> [<seconds, default 60>] [<demo folder, default a temporary one>]
set -euo pipefail
DIDBAN=$1
WINDOW=${2:-60}
work=$(mktemp -d)
DATA=${3:-$work/demo}
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$DIDBAN" demo --listen 127.0.0.1:0 --data "$DATA" > "$work/out.txt" 2>&1 &
pid=$!
url=""
for _ in $(seq 3000); do
  url=$(grep -o 'open http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/^open //') || true
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/out.txt"; exit 1; }
  sleep 0.1
done
grep -E "rendered in|up to date" "$work/out.txt"
sleep 10  # cameras started, background models learnt
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
a=$(ticks)
s0=$(date +%s.%N)
sleep "$WINDOW"
b=$(ticks)
s1=$(date +%s.%N)
echo "didban demo: $(echo "scale=1; 100 * ($b - $a) / $hz / ($s1 - $s0)" | bc) % of one core over $WINDOW s" \
  "($(nproc) cores), $(ls /proc/$pid/task | wc -l) threads"
curl -s "$url/api/v1/cameras" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["cameras"]:
    s = c["status"]
    print("  %-11s %s, %.1f frames/s, %d frames, %d dropped" % (c["name"], s["state"], s.get("frames_per_second", 0),
          s.get("frames_total", 0), s.get("frames_dropped_total", 0)))'
