#!/usr/bin/env bash
# `didban serve` live video: a real H.264 clip (made by ffmpeg here, with B-frames and a keyframe every second) is
# played live by a real server; a WebSocket viewer of /api/v1/cameras/cam/live.mp4 gets the init message, the init
# segment and a few seconds of fragments, written to a file that ffprobe reads (frames decoded, first a keyframe,
# decode times increasing); the init message's origin_us plus each frame's media time is exactly the pts_us of the
# tracks messages on /api/v1/live for the same frames; the MJPEG fallback yields valid JPEG parts; /metrics counts it.
#   bash tests/serve_live_video.sh <didban> <data-dir>
set -euo pipefail
DIDBAN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CLIENT="$HERE/tools/live_video_client.py"
for tool in ffmpeg ffprobe python3 curl; do
  if ! command -v "$tool" >/dev/null; then
    if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then echo "FAIL: $tool missing" >&2; exit 1; fi
    echo "SKIP: $tool missing"; exit 0
  fi
done
work=$(mktemp -d)
pid=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# 12 s of 640x360 at 25 fps, H.264 High with B-frames, a keyframe every 25 frames.
ffmpeg -v error -f lavfi -i "testsrc2=size=640x360:rate=25" -t 12 -c:v libx264 -preset veryfast -g 25 \
  -keyint_min 25 -bf 2 -pix_fmt yuv420p "$work/clip.mp4" || fail "ffmpeg could not make the clip"

cat > "$work/site.yaml" <<YAML
site:
  name: live-video-test
cameras:
  - name: cam
    uri: $work/clip.mp4
    detector: {type: motion, model: mog2, warmup_s: 0.5}
YAML

"$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" > "$work/out.txt" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "serve exited"
  sleep 0.1
done
[ -n "$port" ] || fail "serve did not listen"
# Wait until the camera analyses frames.
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$port/api/v1/cameras/cam" | grep -q '"state":"online"' && break
  sleep 0.1
done

# Nobody watches yet: nothing is muxed.
curl -s "http://127.0.0.1:$port/metrics" > "$work/metrics0.txt"
if grep -q '^didban_live_video_fragments_total{camera="cam"} [1-9]' "$work/metrics0.txt"; then
  fail "fragments were muxed before anyone watched"
fi

# One viewer for 5 s, with the tracks messages of the same seconds.
python3 "$CLIENT" record --port "$port" --camera cam --seconds 5 --out "$work/live.mp4" --init "$work/init.json" \
  --tracks "$work/tracks.json" > "$work/record.json" || fail "the live.mp4 client failed"
cat "$work/record.json"

# The file plays: frames decoded, the first packet a keyframe, decode times increasing.
ffprobe -v error -select_streams v -show_entries packet=pts,dts,flags -of csv=p=0 "$work/live.mp4" \
  > "$work/packets.csv" || fail "ffprobe cannot read the live fMP4"
decoded=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames,codec_name \
  -of csv=p=0 "$work/live.mp4")
python3 - "$work" "$decoded" <<'PY' || fail "live fMP4 checks"
import json, sys
work, decoded = sys.argv[1], sys.argv[2]
codec, frames = decoded.split(",")[0], int(decoded.split(",")[1])
inits = json.load(open(f"{work}/init.json"))
tracks = json.load(open(f"{work}/tracks.json"))
rows = [l.strip().split(",") for l in open(f"{work}/packets.csv") if l.strip()]
pts = [int(r[0]) for r in rows]
dts = [int(r[1]) for r in rows]
flags = [r[2] for r in rows]
assert codec == "h264", codec
assert len(inits) == 1, f"expected one init message, got {inits}"
init = inits[0]
assert init["type"] == "init" and init["mime"].startswith('video/mp4; codecs="avc1.64'), init
assert (init["width"], init["height"]) == (640, 360), init
print(f"{len(pts)} packets, {frames} frames decoded, {len(tracks)} tracks messages, origin_us {init['origin_us']}")
assert len(pts) >= 75, f"only {len(pts)} packets in 5 s of 25 fps"
assert frames == len(pts), f"{frames} frames decoded of {len(pts)} packets"
assert flags[0].startswith("K"), f"the first packet is not a keyframe: {flags[0]}"
assert all(b > a for a, b in zip(dts, dts[1:])), "decode times do not increase"
# The same time base: origin_us + media time (the file's timescale is 1 MHz) is a frame's pts_us, the time that the
# tracks message of the frame carries.
times = {init["origin_us"] + p for p in pts}
lo, hi = min(times), max(times)
inside = [t for t in tracks if lo <= t <= hi]
matched = [t for t in inside if t in times]
print(f"{len(inside)} tracks messages inside the video's span, {len(matched)} at exactly a frame's time")
assert len(inside) >= 50, f"only {len(inside)} tracks messages overlap the video"
assert len(matched) == len(inside), f"tracks times not in the video: {sorted(set(inside) - times)[:5]}"
PY

# MJPEG: valid JPEG parts.
python3 "$CLIENT" mjpeg --port "$port" --camera cam --parts 3 --out-dir "$work/mjpeg" > "$work/mjpeg.json" \
  || fail "the MJPEG client failed"
python3 - "$work/mjpeg.json" <<'PY' || fail "MJPEG checks"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["content_type"] == "multipart/x-mixed-replace; boundary=didbanframe", m["content_type"]
assert len(m["parts"]) == 3, m
stamps = [p["timestamp_us"] for p in m["parts"]]
assert all(b > a for a, b in zip(stamps, stamps[1:])), stamps
for p in m["parts"]:
    data = open(p["path"], "rb").read()
    assert p["content_type"] == "image/jpeg" and data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", p
PY
for i in 0 1 2; do
  probe=$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$work/mjpeg/part-$i.jpg")
  [ "$probe" = "mjpeg,640,360" ] || fail "MJPEG part $i: $probe"
done

# Bad requests: an unknown camera is 404 for both routes; a plain GET of the WebSocket route is 426.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/cameras/nope/live.mjpeg")" = 404 ] \
  || fail "MJPEG of an unknown camera is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/cameras/cam/live.mp4")" = 426 ] \
  || fail "a plain GET of live.mp4 is not 426"

# /metrics: fragments made, every viewer gone.
sleep 0.5
curl -s "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
grep -q '^didban_live_video_fragments_total{camera="cam"} [1-9]' "$work/metrics.txt" || fail "no fragments counted"
grep -q '^didban_live_video_jpeg_frames_total{camera="cam"} [1-9]' "$work/metrics.txt" || fail "no JPEG counted"
grep -q '^didban_live_video_viewers{camera="cam",format="mp4"} 0' "$work/metrics.txt" || fail "mp4 viewers left"
grep -q '^didban_live_video_viewers{camera="cam",format="mjpeg"} 0' "$work/metrics.txt" || fail "mjpeg viewers left"

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "serve did not stop within 10 s of SIGTERM"
wait "$pid" || fail "serve exited with $?"
pid=""
echo "PASS: serve_live_video"
