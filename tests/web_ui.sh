#!/usr/bin/env bash
# The web UI in a real browser: a real `didban serve` on 127.0.0.1 (port 0) runs a site of two recorded street
# cameras played live and serves web/dist; Debian's Chromium, driven by playwright-core (web/e2e/run.mjs), logs in
# when the server has access control, sees the wall's tiles play with boxes, enlarges one, opens the map (the
# site-file camera's field of view, the hotspots of its wrong-way events), sees an event arrive and acknowledges it,
# plays its clip, draws a line in the editor, saves it and sees it count, opens the dashboard (its charts and a CSV),
# recordings and administration, and switches to Persian (dir=rtl, Solar Hijri dates). Screenshots of
# every view go to build/web-screens/ (WEB_SCREENS to change).
#   bash tests/web_ui.sh <didban> <data-dir>
set -euo pipefail
DIDBAN=$1
case "$DIDBAN" in /*) ;; */*) DIDBAN="$(cd "$(dirname "$DIDBAN")" && pwd)/$(basename "$DIDBAN")" ;; esac  # the demo runs from web/
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STREET="$DATA/video_fixed/traffic/suburban_street.mp4"
ROAD="$DATA/video_fixed/intel_car-detection.mp4"
in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; }
skip() { if in_ci; then echo "FAIL: $*" >&2; exit 1; fi; echo "SKIP: $*"; exit 0; }
[ -f "$STREET" ] && [ -f "$ROAD" ] || skip "missing $STREET or $ROAD"
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM:-}" ] || skip "no /usr/bin/chromium (scripts/setup-debian.sh installs it)"
[ -f "$ROOT/web/dist/index.html" ] && [ -d "$ROOT/web/node_modules/playwright-core" ] ||
  skip "web UI not built (bash scripts/web.sh)"
SCREENS=${WEB_SCREENS:-$ROOT/build/web-screens}
work=$(mktemp -d)
pid=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -30 "$work/out.txt" >&2; exit 1; }
cleanup() {
  local rc=$?
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; sleep 1; kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

cat > "$work/site.yaml" <<YAML
site:
  name: web-ui-test
recording:
  segment_s: 4
cameras:
  - name: street
    uri: $STREET
    detector: {type: motion, model: mog2, warmup_s: 1.0}
    calibration:
      homography: {image: [[0, 352], [640, 352], [430, 110], [215, 110]], ground: [[0, 0], [14, 0], [14, 60], [0, 60]]}
    rules:
      - {type: line, name: kerb, points: [[180, 250], [620, 250]]}
      # Northbound only: southbound vehicles are wrong-way events with ground positions, the map's hotspots.
      - {type: wrong_way, name: northbound, points: [[0, 352], [640, 352], [430, 110], [215, 110]], heading_deg: 0}
      # Its own level-of-service bounds (not the defaults 7/11/16/22/28): the dashboard grades its density with them.
      - {type: congestion, name: jam, points: [[0, 352], [640, 352], [430, 110], [215, 110]], length_m: 60, lanes: 2,
         density_thresholds: [4, 8, 12, 16, 20]}
  - name: road
    uri: $ROAD
    detector: {type: motion, model: mog2, warmup_s: 1.0}
YAML
"$DIDBAN" serve --help 2>&1 | grep -q -- '--web' || fail "didban serve has no --web flag"

export DIDBAN_E2E_USER="" DIDBAN_E2E_PASSWORD="" DIDBAN_E2E_CAMERA=street
if "$DIDBAN" --help 2>&1 | grep -qE '^ +user( |$)'; then
  export DIDBAN_E2E_USER=admin DIDBAN_E2E_PASSWORD=web-ui-admin-pass DIDBAN_E2E_VIEWER=watcher
  export DIDBAN_E2E_VIEWER_PASSWORD=web-ui-viewer-pass DIDBAN_E2E_VIEWER_CAMERA=road
fi

if [ -n "$DIDBAN_E2E_USER" ]; then
  # Users for the login and permission tests (`didban user`; serve's --auth auto turns access control on once the
  # data folder has users): an admin, and a viewer granted only the camera road.
  mkdir -p "$work/data"
  printf '%s\n' "$DIDBAN_E2E_PASSWORD" > "$work/admin.pw"
  printf '%s\n' "$DIDBAN_E2E_VIEWER_PASSWORD" > "$work/viewer.pw"
  "$DIDBAN" user add admin --role admin --data "$work/data" --password-file "$work/admin.pw" > /dev/null ||
    fail "didban user add admin"
  "$DIDBAN" user add watcher --role viewer --grant camera:road --data "$work/data" --password-file "$work/viewer.pw" \
    > /dev/null || fail "didban user add watcher"
fi

start() {
  "$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --web "$ROOT/web/dist" \
    --offline-after 5 > "$work/out.txt" 2>&1 &
  pid=$!
  for _ in $(seq 150); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "serve exited"
    sleep 0.1
  done
  fail "serve did not listen"
}
if ! start; then exit 1; fi
base="http://127.0.0.1:$port"

# The static route: index, an asset with its type and caching, traversal refused, the API unaffected.
curl -sf "$base/" | grep -q '<div id="app">' || fail "GET / is not the UI's index.html"
hdr=$(curl -s -D - -o /dev/null "$base/")
echo "$hdr" | grep -qi "content-security-policy: default-src 'self'" || fail "index.html without the CSP header"
asset=$(curl -sf "$base/" | grep -o '/assets/index-[^"]*\.js' | head -1)
ahdr=$(curl -sf -D - -o /dev/null "$base$asset")
echo "$ahdr" | grep -qi 'content-type: text/javascript' || fail "$asset: not text/javascript"
echo "$ahdr" | grep -qi 'cache-control: public, max-age=31536000, immutable' || fail "$asset: not cached for a year"
for p in "/../etc/passwd" "/assets/../../etc/passwd" "/%2e%2e/etc/passwd" "/assets%2f..%2f..%2fetc%2fpasswd" "/.git/config"; do
  c=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base$p")
  [ "$c" = 400 ] || [ "$c" = 404 ] || fail "traversal $p answered $c"
done
c=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/nope")
[ "$c" = 404 ] || fail "/api/v1/nope answered $c"
curl -s "$base/api/v1/nope" | grep -q '"error"' || fail "/api/v1/nope is not a JSON error"
echo "ok: static route (index, asset type and caching, traversal refused)"

cd "$ROOT/web"
node e2e/run.mjs "$base" "$SCREENS" || fail "browser tests failed (screenshots in $SCREENS)"
kill -TERM "$pid"
wait "$pid" || fail "serve exited with $? after SIGTERM"
pid=""

# The demo site (`didban demo`: three fused junction cameras, a highway and a drone, with its login): the first
# screen after login, a global track followed across cameras (timeline, plan played, follow export), following one
# live, the stations view. WEB_UI_DEMO=0 skips this part.
if [ "${WEB_UI_DEMO:-1}" != 0 ]; then
  "$DIDBAN" demo --listen 127.0.0.1:0 --data "$work/demo" > "$work/out.txt" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 1800); do  # rendering takes about a minute on 2 busy cores
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "demo exited"
    sleep 0.1
  done
  [ -n "$port" ] || fail "the demo did not listen"
  demo_pw=$(grep -o 'log in as demo with password [^ ]*' "$work/out.txt" | head -1 | sed 's/.* //') || true
  DIDBAN_E2E_USER=demo DIDBAN_E2E_PASSWORD="$demo_pw" node e2e/demo.mjs "http://127.0.0.1:$port" "$SCREENS" ||
    fail "browser tests on the demo failed (screenshots in $SCREENS)"
  kill -TERM "$pid"
  wait "$pid" || fail "demo exited with $? after SIGTERM"
  pid=""
fi
echo "PASS: web UI in Chromium (screenshots in $SCREENS)"
