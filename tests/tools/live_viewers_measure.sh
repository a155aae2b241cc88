#!/usr/bin/env bash
# Measures what live video viewers cost the server: CPU of the `didban serve` process (all threads: utime + stime from
# /proc/<pid>/stat) over SECONDS with no viewer, one viewer and VIEWERS viewers of the fMP4 of one 720p25 H.264
# camera (a clip made by ffmpeg, played live and analysed with the motion detector). The viewers are one Python
# process (tests/tools/live_video_client.py viewers), outside the measured process.
#   bash tests/tools/live_viewers_measure.sh <didban> [SECONDS=20] [VIEWERS=100] [ROUNDS=1] [serve flags...]
# ROUNDS > 1 repeats the 1-viewer / VIEWERS-viewer pair (interleaved, so the machine's drift hits both alike); the
# serve flags (e.g. --live-fragment-ms 0) go to `didban serve`. CAMERAS=N (environment, default 1) serves N cameras
# of the same clip, each analysed and recorded, as the server issue's capacity runs do; the viewers watch the first.
set -euo pipefail
DIDBAN=$1
SECONDS_EACH=${2:-20}
VIEWERS=${3:-100}
ROUNDS=${4:-1}
shift $(( $# < 4 ? $# : 4 ))
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=25" -t 30 -c:v libx264 -preset veryfast -b:v 2M \
  -maxrate 2M -bufsize 4M -g 50 -pix_fmt yuv420p "$work/clip.mp4"
{
  printf 'site:\n  name: live-viewers\ncameras:\n'
  for i in $(seq "${CAMERAS:-1}"); do
    name=cam; [ "$i" -gt 1 ] && name=cam$i
    printf '  - name: %s\n    uri: %s\n    analysis_width: 640\n    detector: {type: motion, model: mog2}\n' \
      "$name" "$work/clip.mp4"
  done
} > "$work/site.yaml"
"$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" "$@" > "$work/out.txt" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "serve did not listen" >&2; cat "$work/out.txt" >&2; exit 1; }
sleep 5  # warm up (motion model, first segment)

ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }  # utime stime, clock ticks
hz=$(getconf CLK_TCK)
measure() {  # measure <viewers>: prints the server's CPU over SECONDS_EACH as % of one core
  local n=$1 client=""
  if [ "$n" -gt 0 ]; then
    python3 "$HERE/live_video_client.py" viewers --port "$port" --camera cam --count "$n" \
      --seconds $((SECONDS_EACH + 4)) > "$work/viewers-$n.json" &
    client=$!
    sleep 3  # every viewer connected and past its first keyframe
  fi
  local u0 s0 u1 s1
  read -r u0 s0 <<< "$(ticks)"
  sleep "$SECONDS_EACH"
  read -r u1 s1 <<< "$(ticks)"
  [ -n "$client" ] && wait "$client"
  local cpu user sys
  cpu=$(echo "scale=1; 100 * ($u1 + $s1 - $u0 - $s0) / $hz / $SECONDS_EACH" | bc)
  user=$(echo "scale=1; 100 * ($u1 - $u0) / $hz / $SECONDS_EACH" | bc)
  sys=$(echo "scale=1; 100 * ($s1 - $s0) / $hz / $SECONDS_EACH" | bc)
  echo "viewers=$n server_cpu_percent=$cpu (user $user, system $sys) ${client:+client=$(cat "$work/viewers-$n.json")}"
}
echo "${CAMERAS:-1} camera(s), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
measure 0
for _ in $(seq "$ROUNDS"); do
  measure 1
  measure "$VIEWERS"
done
measure 1
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^didban_live_video_(skips|cutoffs|fragments|bytes)_total'
kill -TERM "$pid"
wait "$pid" || true
pid=""
