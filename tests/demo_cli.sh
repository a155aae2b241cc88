#!/usr/bin/env bash
# `didban demo`: renders the simulated site into a temporary folder, serves it on a free 127.0.0.1 port and prints
# the URL; through the API every camera comes online, a wrong_way and a stopped event arrive within the first pass of
# the 60 s loop, the junction cameras' fusion produces global tracks; SIGTERM stops it cleanly. A second start reuses
# the rendered files.
#   bash tests/demo_cli.sh <didban> [<data-dir>]
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
work=$(mktemp -d)
pid=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -30 "$work/out.txt" >&2; exit 1; }
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
json() { json_reply "$1"; }

start() {
  # Rendering takes about a minute on 2 busy cores the first time.
  SERVE_WAIT_S=180 serve_start "$work/out.txt" demo --listen 127.0.0.1:0 --data "$work/demo"
  pid=$SERVE_PID
  url="http://127.0.0.1:$PORT"
  wait_until 10 "the demo's URL ($url) printed" grep -q "open $url" "$work/out.txt"
}
stop() {
  serve_stop "$work/out.txt"
  pid=""
}
# With user accounts the demo prints a login (user demo); without them (/auth/me is 404) the server is open on
# loopback.
login() {
  rm -f "$work/cookies"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/auth/me")" = 404 ] && return 0
  password=$(grep -o 'log in as demo with password [^ ]*' "$work/out.txt" | head -1 | sed 's/.* //')
  [ -n "$password" ] || fail "the demo printed no login"
  c=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/cookies" -H 'Content-Type: application/json' \
    --data "{\"username\": \"demo\", \"password\": \"$password\"}" "$url/api/v1/auth/login")
  [ "$c" = 200 ] || fail "demo login: HTTP $c"
}
api() {
  if [ -f "$work/cookies" ]; then curl -sf -m 10 -b "$work/cookies" "$url/api/v1$1"; else curl -sf -m 10 "$url/api/v1$1"; fi
}

start
login
grep -q "rendering junction-1" "$work/out.txt" || fail "the first start did not render"
for f in junction-1 junction-2 junction-3 highway drone; do
  [ -s "$work/demo/video/$f.mp4" ] || fail "no $f.mp4"
done
[ -s "$work/demo/video/drone.srt" ] || fail "no drone telemetry"
codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 \
  "$work/demo/video/highway.mp4")
[ "$codec" = "h264,640,360" ] || fail "highway.mp4 is $codec"

# Every camera online.
for _ in $(seq 300); do
  state=$(api /cameras | json '",".join(c["name"]+"="+c["status"]["state"] for c in j["cameras"])') || state=""
  [ "$state" = "junction-1=online,junction-2=online,junction-3=online,highway=online,drone=online" ] && break
  [ "$(echo "$state" | tr ',' '\n' | sort | grep -c '=online')" = 5 ] && break
  sleep 0.2
done
[ "$(echo "$state" | tr ',' '\n' | grep -c '=online')" = 5 ] || fail "cameras: $state"
t_online=$SECONDS

# The wrong-way and stopped vehicles are reported within the loop (the junction's at about 20 s and 33 s, the
# highway's at about 25 s and 30 s), and the junction's global tracks reach the store.
ww=0 st=0 gt=0
for _ in $(seq 350); do
  ww=$(api "/events?type=wrong_way&limit=10" | json 'len(j["events"])') || ww=0
  st=$(api "/events?type=stopped&limit=10" | json 'len(j["events"])') || st=0
  gt=$(api "/tracks?from_us=0&to_us=$(date +%s)000000&limit=1000" |
    json 'len({p["global_id"] for p in j["points"] if p.get("global_id")})') || gt=0
  [ "$ww" -gt 0 ] && [ "$st" -gt 0 ] && [ "$gt" -gt 0 ] && break
  sleep 0.2
done
echo "after $((SECONDS - t_online)) s online: wrong_way $ww, stopped $st, global tracks $gt"
[ "$ww" -gt 0 ] || fail "no wrong_way event"
[ "$st" -gt 0 ] || fail "no stopped event"
[ "$gt" -gt 0 ] || fail "no fused global track"
stop

# A second start reuses the rendered files.
start
grep -q "rendered files are up to date" "$work/out.txt" || fail "the second start rendered again"
login
api /cameras > /dev/null || fail "the API after a restart (with the same login)"
stop
echo "demo: OK"
