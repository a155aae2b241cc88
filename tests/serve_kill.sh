#!/usr/bin/env bash
# `didban serve` killed with SIGKILL while it records and raises events, then restarted on the same data: at start the
# segment index is repaired (every closed segment plays, the segment that was open plays up to its last complete
# fragment, no index row points at a missing file), and every event delivered on the live WebSocket more than one
# second before the kill is in the store. Waits on conditions, never on the speed of the machine.
#   bash tests/serve_kill.sh <didban> <data-dir>
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
VIDEO="$DATA/video_fixed/intel_car-detection.mp4"  # H.264 768x432, 12.5 fps, a keyframe each 4.8 s; cars cross
need_file "$VIDEO"
work=$(mktemp -d)
pid=""
ws=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() {
  for p in $pid $ws; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "FAIL: serve_kill.sh line $LINENO" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2' ERR
t_start=$SECONDS
json() { json_reply "$1"; }

cat > "$work/site.yaml" <<YAML
site:
  name: serve-kill
recording:
  segment_s: 2
cameras:
  - name: carpark
    uri: $VIDEO
    detector: {type: motion, model: mog2}
    rules:
      - {type: line, name: mid-line, points: [[0, 216], [768, 216]], in: down, out: up}
      - {type: zone, name: lane, points: [[0, 0], [768, 0], [768, 432], [0, 432]], dwell_s: 20}
YAML

start() {
  serve_start "$work/out.txt" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" \
    --offline-after 5
  pid=$SERVE_PID
  port=$PORT
}
get() { api GET "$1"; }
segments() { get "/cameras/carpark/segments?from_us=0&to_us=4102444800000000"; }
closed_count() { segments | json "sum(1 for s in j['segments'] if not s['open'])"; }
# old_events: events that arrived on the WebSocket more than 1 s ago.
old_events() {
  python3 -c "import sys, time; print(sum(1 for l in open(sys.argv[1]) if '\t' in l and float(l.split('\t')[0]) < time.time() - 1))" \
    "$work/ws.txt"
}

start
python3 "$TOOLS/ws_tail.py" "ws://127.0.0.1:$port/api/v1/live?topics=event" > "$work/ws.txt" 2> "$work/ws.err" &
ws=$!
wait_until 20 "the live WebSocket open" grep -qx open "$work/ws.txt"
wait_until 90 "two closed segments and an event older than 1 s" \
  eval '[ "$(closed_count)" -ge 2 ] && [ "$(old_events)" -ge 1 ]'
# Kill inside a fragment's time, not at a boundary we chose: the open segment is whatever it is now.
kill_time=$(python3 -c 'import time; print(f"{time.time():.6f}")')
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
pid=""
wait "$ws" 2>/dev/null || true
ws=""
parts=$(cd "$work/data/recordings/carpark" && ls -- *.part 2>/dev/null || true)
closed_at_kill=$(cd "$work/data/recordings/carpark" && ls -- *.mp4 2>/dev/null || true)
[ -n "$parts" ] || fail "no open segment at the kill"
echo "killed after $((SECONDS - t_start)) s; open at the kill: $parts"

# Restart: the index is repaired before anything records.
start
get /cameras > /dev/null
segments > "$work/seg.json"
dir=$work/data/recordings/carpark
python3 - "$work/seg.json" "$dir" "$parts" "$closed_at_kill" <<'PY' || fail "index check"
import json, os, subprocess, sys
segs, folder, parts = json.load(open(sys.argv[1]))["segments"], sys.argv[2], sys.argv[3].split()
closed_at_kill = sys.argv[4].split()
def frames(path):
    # ffprobe decodes every frame and reports decoding errors on stderr
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", path], capture_output=True, text=True)
    return int(r.stdout.strip() or 0), r.stderr.strip()
bad = []
names = {s["name"] for s in segs}
closed = 0
for s in segs:
    path = os.path.join(folder, s["name"])
    if s["open"]:  # recording again since the restart: the file is still "<name>.part"
        if not os.path.exists(path + ".part") and not os.path.exists(path):
            bad.append(f"open row {s['name']} has no file")
        continue
    if not os.path.exists(path):
        bad.append(f"row {s['name']} points at a missing file")
        continue
    n, err = frames(path)
    if n == 0 or err:
        bad.append(f"{s['name']}: {n} frames, {err[:200]}")
    if s["bytes"] != os.path.getsize(path):
        bad.append(f"{s['name']}: indexed {s['bytes']} bytes, file {os.path.getsize(path)}")
    closed += 1
for p in parts:
    final = p[:-len(".part")]
    if os.path.exists(os.path.join(folder, p)):
        bad.append(f"{p} was not repaired")
    if os.path.exists(os.path.join(folder, final)):
        if final not in names:
            bad.append(f"the repaired {final} is not indexed")
        else:
            n, err = frames(os.path.join(folder, final))
            print(f"the segment open at the kill, {final}: plays {n} frames")
    elif final in names:
        bad.append(f"{final} (no complete fragment, removed) is still indexed")
    else:
        print(f"the segment open at the kill, {final}: held no complete fragment, removed")
for f in closed_at_kill:  # (files closed since the restart may not be committed yet)
    if f not in names:
        bad.append(f"file {f}, closed before the kill, is not indexed")
print(f"{closed} closed segments play; every row has its file")
if bad:
    sys.exit("\n".join(bad))
PY

# Every event delivered more than 1 s before the kill is in the store.
python3 - "$work/ws.txt" "$kill_time" "http://127.0.0.1:$port/api/v1/events?camera=carpark&limit=1000" <<'PY' ||
import json, sys, urllib.request
lines, kill = open(sys.argv[1]).read().splitlines(), float(sys.argv[2])
key = lambda e: (e["time_us"], e["type"], e.get("rule", ""), e.get("track_id", 0))
sent = [json.loads(l.split("\t", 1)[1])["data"] for l in lines if "\t" in l and float(l.split("\t")[0]) < kill - 1]
stored, cursor = set(), ""
while True:
    page = json.load(urllib.request.urlopen(sys.argv[3] + (f"&cursor={cursor}" if cursor else ""), timeout=20))
    stored |= {key(e) for e in page["events"]}
    cursor = page.get("next_cursor", "")
    if not cursor:
        break
missing = [e for e in sent if key(e) not in stored]
print(f"{len(sent)} events delivered more than 1 s before the kill, {len(missing)} missing from the store "
      f"({len(stored)} stored)")
if not sent or missing:
    sys.exit(f"missing: {missing[:5]}")
PY
  fail "events lost by the kill"

serve_stop "$work/out.txt"
pid=""
echo "PASS ($((SECONDS - t_start)) s)"
