#!/usr/bin/env bash
# The center's proxy to a station (docs/scale-out.md, "Reaching a station's video from the center") with real
# processes on loopback: a nats-server (JetStream) hub, one `didban serve --role edge` station replaying a recording
# (access control on: the center's user and token made with `didban user`), one `didban serve --role center` that
# learns the station's camera from the relay and reaches the station with --station-url and --station-token-file.
# Checks: a clip exported through the center is made at the station and its MP4 through the center is the station's
# own file byte for byte; the live MJPEG streams through the center; path traversal is refused at the center; the
# station killed, the center answers 502 with a JSON error at once.
# Usage: tests/station_proxy.sh build/didban ../shared/data
set -euo pipefail
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIDEO="$DATA/video_fixed/bgslibrary_video02.avi"
if [ ! -f "$VIDEO" ]; then
  if [ -n "${CI:-}" ]; then echo "station_proxy: $VIDEO missing" >&2; exit 1; fi
  echo "station_proxy: skipped ($VIDEO missing)"; exit 0
fi
command -v nats-server > /dev/null || { echo "station_proxy: nats-server missing" >&2; exit 1; }
work=$(mktemp -d /tmp/didban_station_proxy_XXXXXX)
declare -A PIDS
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "station_proxy: FAIL: $*" >&2; tail -5 "$work"/*.out >&2 || true; exit 1; }
say() { echo "station_proxy: $*"; }
. "$ROOT/tests/tools/ports.sh"  # free_port
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; fail "port $1 not open"; }
listen_port() {  # LOG: the port a serve process listens on
  for _ in $(seq 300); do
    p=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$1" 2>/dev/null | head -1 | sed 's/.*://') || true
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  fail "no listening line in $1"
}

HUB=$(free_port)
nats-server -js -a 127.0.0.1 -p "$HUB" -sd "$work/js" >> "$work/nats.out" 2>&1 &
PIDS[nats]=$!
wait_port "$HUB"

cat > "$work/north.yaml" <<YAML
site:
  name: north
cameras:
  - name: north-highway
    uri: $VIDEO
    detector: {type: motion, model: mog2, warmup_s: 1.0}
YAML
printf 'site:\n  name: center\ncameras: []\n' > "$work/center.yaml"

# The center's user at the station: an operator who sees every camera, and its token (shown once, on stdout).
printf 'a long station password\n' > "$work/pw"
"$DIDBAN" user add center --role operator --grant all --password-file "$work/pw" --data "$work/data-north" > /dev/null
"$DIDBAN" user token center --scope operator --data "$work/data-north" 2> /dev/null | tail -1 > "$work/north.token"
TOKEN=$(cat "$work/north.token")
[ "${TOKEN:0:4}" = dbt_ ] || fail "no token made: $(cat "$work/north.token")"

"$DIDBAN" serve --site "$work/north.yaml" --listen 127.0.0.1:0 --data "$work/data-north" --speed 2 \
  --role edge --nats "nats://127.0.0.1:$HUB" --nats-no-stream >> "$work/north.out" 2>&1 &
PIDS[north]=$!
STATION=$(listen_port "$work/north.out")
"$DIDBAN" serve --site "$work/center.yaml" --listen 127.0.0.1:0 --data "$work/data-center" \
  --role center --nats "nats://127.0.0.1:$HUB" --station-url "north=http://127.0.0.1:$STATION" \
  --station-token-file "north=$work/north.token" --station-timeout 5 >> "$work/center.out" 2>&1 &
PIDS[center]=$!
CENTER=$(listen_port "$work/center.out")
C="http://127.0.0.1:$CENTER/api/v1/stations/north"
S="http://127.0.0.1:$STATION/api/v1"
at_station() { curl -sS --max-time 10 -H "Authorization: Bearer $TOKEN" "$@"; }

# The center learns the camera's station from the relay.
for _ in $(seq 300); do
  curl -sS --max-time 5 "http://127.0.0.1:$CENTER/api/v1/stations" 2>/dev/null | grep -q '"north-highway"' && break
  sleep 0.2
done
curl -sS "http://127.0.0.1:$CENTER/api/v1/stations" | grep -q '"north-highway"' || fail "the center did not learn the camera"
say "the center knows north-highway at north"

# A closed segment at the station, then a clip of its first 2 s exported through the center.
seg=""
for _ in $(seq 300); do
  seg=$(curl -sS --max-time 5 "$C/cameras/north-highway/segments?from_us=0&to_us=9000000000000000" |
    python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin)["segments"] if not x["open"]]; print(s[0]["start_us"] if s else "")' 2>/dev/null) || true
  [ -n "$seg" ] && break
  sleep 0.5
done
[ -n "$seg" ] || fail "no closed segment through the center"
[ "$(curl -sS "$C/cameras/north-highway/segments?from_us=$seg&to_us=$((seg + 1))")" = \
  "$(at_station "$S/cameras/north-highway/segments?from_us=$seg&to_us=$((seg + 1))")" ] || fail "segments differ"
clip=$(curl -sS -X POST -H 'Content-Type: application/json' \
  -d "{\"camera\":\"north-highway\",\"from_us\":$seg,\"to_us\":$((seg + 2000000)),\"reason\":\"proxy test\"}" "$C/clips" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "export through the center"
for _ in $(seq 200); do
  curl -sS "$C/clips/$clip" | grep -q '"state":"ready"' && break
  sleep 0.2
done
[ "$(curl -sS "$C/clips/$clip")" = "$(at_station "$S/clips/$clip")" ] || fail "clip state differs"
curl -sS -o "$work/via-center.mp4" "$C/clips/$clip/video.mp4"
at_station -o "$work/at-station.mp4" "$S/clips/$clip/video.mp4"
[ -s "$work/at-station.mp4" ] || fail "no clip MP4 at the station"
cmp "$work/via-center.mp4" "$work/at-station.mp4" || fail "the clip MP4 through the center differs"
say "clip $clip: $(stat -c %s "$work/via-center.mp4") bytes through the center, equal to the station's"

# Live MJPEG through the center.
curl -sS --max-time 3 -o "$work/live.mjpeg" "$C/cameras/north-highway/live.mjpeg" 2> /dev/null || true
grep -aq -- '--didbanframe' "$work/live.mjpeg" || fail "no MJPEG part through the center"
say "live MJPEG: $(grep -ac -- '--didbanframe' "$work/live.mjpeg") parts in 3 s through the center"

# Path traversal never routes.
for t in "/api/v1/stations/north/cameras/../../../auth/me/snapshot.jpg" \
  "/api/v1/stations/north/cameras/..%2F..%2Fusers/snapshot.jpg" "/api/v1/stations/north/clips/%2e%2e/video.mp4"; do
  code=$(curl -sS --path-as-is -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CENTER$t")
  [ "$code" = 400 ] || [ "$code" = 404 ] || fail "$t answered $code"
done
say "traversal attempts refused"

# The station gone: 502 with a JSON error, at once.
kill -9 "${PIDS[north]}"; wait "${PIDS[north]}" 2>/dev/null || true; unset "PIDS[north]"
body=$(curl -sS --max-time 10 -w ' %{http_code}' "$C/cameras/north-highway/snapshot.jpg")
case "$body" in
  *'"code":"bad_gateway"'*"cannot connect to http://127.0.0.1:$STATION"*' 502') ;;
  *) fail "offline station: $body" ;;
esac
say "offline station: 502 bad_gateway"
say "OK"
