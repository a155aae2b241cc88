#!/usr/bin/env bash
# `didban serve`: a site of two cameras (one a recording played live, one whose file is missing) runs, serves the API
# on 127.0.0.1, records, stores events, reports the missing camera offline, accepts and refuses camera changes through
# the API (refusals name the field and change nothing), keeps the changes across a restart, and stops cleanly on
# SIGTERM (segments closed, store flushed).
#   bash tests/serve_cli.sh <didban> <data-dir>
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")  # absolute: the API refuses paths with ..
VIDEO="$DATA/video_fixed/bgslibrary_video02.avi"
need_file "$VIDEO"
work=$(mktemp -d)
pid=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "FAIL: serve_cli.sh line $LINENO" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2' ERR
json() { json_reply "$1"; }

cat > "$work/site.yaml" <<YAML
site:
  name: serve-test
sources:
  file_roots: [$DATA]
cameras:
  - name: highway
    uri: $VIDEO
    detector: {type: motion, model: mog2, warmup_s: 1.0, merge_gap_px: 0, split_ratio: 2.5, split_min_px: 10}
    rules:
      - {type: line, name: away-line, points: [[95, 150], [300, 150]]}
  - name: missing
    uri: $work/missing.avi
YAML

start() {
  serve_start "$work/out.txt" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --speed 2 \
    --offline-after 2
  pid=$SERVE_PID
  port=$PORT
}
stop() {
  serve_stop "$work/out.txt"
  pid=""
}

start
# Line crossings reach the store; the missing camera is offline (raised once) while the other runs.
for _ in $(seq 150); do
  n=$(api GET "/events?type=line_cross&limit=5" | json 'len(j["events"])') || n=0
  off=$(api GET "/events?type=camera_offline" | json 'len(j["events"])') || off=0
  [ "$n" -gt 0 ] && [ "$off" -gt 0 ] && break
  sleep 0.2
done
[ "$n" -gt 0 ] || fail "no line_cross event in the store"
[ "$off" -eq 1 ] || fail "camera_offline events: $off"
state=$(api GET /cameras | json '",".join(c["name"]+"="+c["status"]["state"] for c in j["cameras"])')
[ "$state" = "highway=online,missing=offline" ] || fail "camera states: $state"
api GET /cameras | json '[c for c in j["cameras"] if c["name"]=="missing"][0]["status"]["last_error"]' |
  grep -q "missing.avi" || fail "the offline camera's error does not name its file"

# A refused change names the field and changes nothing.
c=$(code POST /cameras '{"name": "gate", "uri": "x.avi", "detector": {"type": "nope"}}')
[ "$c" = 400 ] || fail "bad detector: HTTP $c"
field=$(api POST /cameras '{"name": "gate", "uri": "x.avi", "detector": {"type": "nope"}}' | json 'j["error"]["field"]')
[ "$field" = "detector" ] || fail "the refusal names field '$field', not detector"
[ ! -e "$work/site.runtime.json" ] || fail "a refused change wrote the overlay"
# A source the site does not allow (a file outside sources.file_roots) is refused naming uri.
field=$(api POST /cameras '{"name": "gate", "uri": "/etc/passwd"}' | json 'j["error"]["field"]')
[ "$field" = "uri" ] || fail "a camera on /etc/passwd: refusal names '$field'"
[ ! -e "$work/site.runtime.json" ] || fail "a refused source wrote the overlay"
# Accepted changes: add a camera, remove one.
c=$(code POST /cameras "{\"name\": \"gate\", \"uri\": \"$VIDEO\"}")
[ "$c" = 200 ] || [ "$c" = 201 ] || fail "add camera: HTTP $c"
c=$(code DELETE /cameras/missing)
[ "$c" = 200 ] || [ "$c" = 204 ] || fail "remove camera: HTTP $c"
sleep 1
stop
ls "$work/data/recordings/highway/"*.mp4 > /dev/null || fail "no closed segment for highway"
if ls "$work/data/recordings/highway/"*.part > /dev/null 2>&1; then fail "a segment was left open"; fi

# The changes survive a restart.
start
names=$(api GET /cameras | json '",".join(c["name"] for c in j["cameras"])')
[ "$names" = "gate,highway" ] || fail "cameras after restart: $names"

# A time range of the first run's recording exports as one MP4 by stream copy, in a signed evidence package
# (tests/evidence_cli.sh checks packages, masks and blurring); a range without recording is 404 and writes nothing; a
# blurred export (blur_people) is a second package.
range=$(api GET "/cameras/highway/segments?from_us=0&to_us=$(date +%s)000000" |
  json '[(s["start_us"]+500000, min(s["end_us"], s["start_us"]+2500000)) for s in j["segments"] if not s["open"]][0]')
from=$(echo "$range" | tr -d '() ' | cut -d, -f1)
to=$(echo "$range" | tr -d '() ' | cut -d, -f2)
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $from, \"to_us\": $to}")
[ "$c" = 202 ] || fail "clip export: HTTP $c"
id=$(api GET "/clips/highway-$from-$to" | json 'j["id"] + " " + j["state"]')
[ "$id" = "highway-$from-$to ready" ] || fail "clip state: $id"
frames=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 \
  "$work/data/clips/highway-$from-$to/highway-$from-$to.mp4")
[ "$frames" -ge 40 ] || fail "the exported clip has $frames frames"
c=$(code POST /clips '{"camera": "highway", "from_us": 1000, "to_us": 2000}')
[ "$c" = 404 ] || fail "export of a range without recording: HTTP $c"
[ "$(ls "$work/data/clips" | wc -l)" = 1 ] || fail "refused exports wrote files"
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $((from + 1)), \"to_us\": $to, \"blur_people\": true}")
[ "$c" = 202 ] || fail "blurred export: HTTP $c"
"$DIDBAN" export verify "$work/data/clips/highway-$((from + 1))-$to" > /dev/null || fail "the blurred package does not verify"
stop
echo "serve: OK"
