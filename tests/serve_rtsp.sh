#!/usr/bin/env bash
# `didban serve` on two RTSP cameras served by GStreamer's RTSP server (tests/tools/rtsp_server.py, one server per
# camera): both record; one camera's server is killed (camera_offline through the API), restarted on its port
# (camera_online); that camera has closed segments on both sides of the gap and they play (ffprobe); the other camera
# never goes offline and records without a gap. Waits on conditions (polls with generous timeouts), never on the speed
# of the machine.
#   bash tests/serve_rtsp.sh <didban> <data-dir>
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
CLIP_A="$DATA/video_fixed/traffic/autostrade_a01_haze.mp4"  # H.264 352x288, 25 fps, a keyframe each second
CLIP_B="$DATA/video_fixed/traffic/autostrade_a04_low_sun.mp4"
need_file "$CLIP_A"
need_file "$CLIP_B"
work=$(mktemp -d)
pid=""
RTSP_A=""
RTSP_B=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() {
  for p in $pid $RTSP_A $RTSP_B; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "FAIL: serve_rtsp.sh line $LINENO" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2' ERR
t_start=$SECONDS
json() { json_reply "$1"; }

# start_rtsp VAR CLIP [PORT]: one RTSP server for CLIP; sets VAR to its pid and VAR_URL to its URL.
start_rtsp() {
  local var=$1 clip=$2 port=${3:-0} out=$work/rtsp.$1.$RANDOM p
  /usr/bin/python3 "$TOOLS/rtsp_server.py" --minutes 1.5 --port "$port" "$clip" >"$out" 2>"$out.err" &
  p=$!
  printf -v "$var" '%s' "$p"
  for _ in $(seq 300); do
    grep -qx ready "$out" 2>/dev/null && break
    kill -0 "$p" 2>/dev/null || fail "rtsp_server.py died: $(cat "$out.err")"
    sleep 0.1
  done
  grep -qx ready "$out" || fail "rtsp_server.py not ready after 30 s"
  printf -v "${var}_URL" '%s' "$(head -1 "$out")"
}

start_rtsp RTSP_A "$CLIP_A"
start_rtsp RTSP_B "$CLIP_B"
port_a=${RTSP_A_URL#rtsp://127.0.0.1:}
port_a=${port_a%%/*}

cat > "$work/site.yaml" <<YAML
site:
  name: serve-rtsp
recording:
  segment_s: 2
  check_every_s: 5
cameras:
  - name: a
    uri: $RTSP_A_URL
    detector: {type: motion, warmup_s: 1.0}
  - name: b
    uri: $RTSP_B_URL
    detector: {type: motion, warmup_s: 1.0}
YAML

serve_start "$work/out.txt" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" \
  --offline-after 2
pid=$SERVE_PID
port=$PORT
get() { api GET "$1"; }
state() { get "/cameras/$1" | json 'j["status"]["state"]'; }
count() { get "/events?camera=$1&type=$2&limit=100" | json 'len(j["events"])'; }
# closed_after CAM T: the number of the camera's closed segments that start at or after T (µs).
closed_after() {
  get "/cameras/$1/segments?from_us=0&to_us=4102444800000000" |
    json "sum(1 for s in j['segments'] if not s['open'] and s['start_us'] >= $2)"
}
is_online() { [ "$(state "$1")" = online ]; }
has_closed_after() { [ "$(closed_after "$1" "$2")" -ge "${3:-1}" ]; }
more_events() { [ "$(count "$1" "$2")" -gt "$3" ]; }  # more_events CAM TYPE N: more than N such events

wait_until 60 "both cameras online" eval 'is_online a && is_online b'
wait_until 60 "a closed segment of camera a before the gap" has_closed_after a 0 1
echo "camera a has a closed segment ($((SECONDS - t_start)) s)"
echo "both online, recording ($((SECONDS - t_start)) s)"
# (A slow start can already have raised offline/online events: count from here.)
off_a=$(count a camera_offline)
on_a=$(count a camera_online)
off_b=$(count b camera_offline)

# Camera a's server goes away without a goodbye: offline after 3 s of silence, through the API.
t_down=$(python3 -c 'import time; print(int(time.time() * 1e6))')
kill -9 "$RTSP_A"; wait "$RTSP_A" 2>/dev/null || true
RTSP_A=""
wait_until 30 "camera_offline of camera a" more_events a camera_offline "$off_a"
[ "$(state a)" = offline ] || fail "camera a is $(state a) after camera_offline"
echo "camera a offline ($((SECONDS - t_start)) s)"
# Back on the same port: online again, with a camera_online event.
start_rtsp RTSP_A "$CLIP_A" "$port_a"
wait_until 60 "camera_online of camera a" more_events a camera_online "$on_a"
t_up=$(get "/events?camera=a&type=camera_online&limit=1" | json 'j["events"][0]["time_us"]')
echo "camera a online again ($((SECONDS - t_start)) s)"
wait_until 60 "a closed segment of camera a after the gap" has_closed_after a "$t_up" 1

# Camera a: closed segments before and after the gap, none across it, each plays.
get "/cameras/a/segments?from_us=0&to_us=4102444800000000" > "$work/seg_a.json"
get "/cameras/b/segments?from_us=0&to_us=4102444800000000" > "$work/seg_b.json"
before=$(json "sum(1 for s in j['segments'] if not s['open'] and s['end_us'] <= $t_down)" < "$work/seg_a.json")
after=$(json "sum(1 for s in j['segments'] if not s['open'] and s['start_us'] >= $t_up - 1000000)" < "$work/seg_a.json")
[ "$before" -ge 1 ] || fail "camera a: no closed segment before the gap"
[ "$after" -ge 1 ] || fail "camera a: no closed segment after the gap"
plays() {  # plays CAM FILE: the segment decodes to frames without errors
  local f="$work/data/recordings/$1/$2" frames err
  [ -f "$f" ] || fail "segment $2 of camera $1 is indexed but missing"
  # ffprobe decodes every frame (-count_frames) and reports decoding errors on stderr. (Not `ffmpeg -f null`: its
  # output rounds times to the nominal frame rate, and an RTSP session's first seconds may come faster than that.)
  err=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$f" \
    2>&1 >/dev/null | head -3)
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$f")
  [ -z "$err" ] || fail "segment $2 of camera $1 does not decode cleanly: $err"
  [ "${frames:-0}" -gt 0 ] || fail "segment $2 of camera $1 has no frames"
  echo "$frames"
}
for cam in a b; do
  n=0
  for f in $(json "' '.join(s['name'] for s in j['segments'] if not s['open'])" < "$work/seg_$cam.json"); do
    frames=$(plays "$cam" "$f")
    n=$((n + 1))
  done
  echo "camera $cam: $n closed segments play"
done
echo "camera a: $before segments before the gap, $after after"
# Camera b never went offline and recorded without a gap (each segment starts where the previous ended, within 1 s).
[ "$(count b camera_offline)" -eq "$off_b" ] || fail "camera b went offline"
[ "$(state b)" = online ] || fail "camera b is $(state b)"
gap=$(json "max([b['start_us'] - a['end_us'] for a, b in zip(j['segments'], j['segments'][1:])] or [0])" \
  < "$work/seg_b.json")
[ "$gap" -le 1000000 ] || fail "camera b's recording has a gap of $gap us"
echo "camera b: unaffected (largest gap between segments ${gap} us)"

serve_stop "$work/out.txt"
pid=""
if ls "$work/data/recordings/"*/*.part > /dev/null 2>&1; then fail "a segment was left open after SIGTERM"; fi
echo "PASS ($((SECONDS - t_start)) s)"
