#!/usr/bin/env bash
# `didban serve --tls-cert --tls-key`: with a self-signed certificate made here by `openssl req -x509` (never
# committed), every route is served over TLS only: REST, the web UI, /metrics, the live fMP4 WebSocket and MJPEG, with
# HSTS; curl checks the certificate (--cacert) and refuses it without; a plain-HTTP request to the port is dropped
# without taking the server down (counted); bad flags are refused before anything starts, naming the flag and file.
#   bash tests/serve_tls.sh <didban> <data-dir>
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
VIDEO="$DATA/video_fixed/bgslibrary_video02.avi"
need_file "$VIDEO"
for tool in openssl curl python3; do
  if ! command -v "$tool" > /dev/null; then
    if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then echo "FAIL: $tool missing" >&2; exit 1; fi
    echo "SKIP: $tool missing"
    exit 0
  fi
done
work=$(mktemp -d)
SERVE_PID=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() { [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "FAIL: serve_tls.sh line $LINENO" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2' ERR

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/other.key" 2> /dev/null
echo "not PEM" > "$work/junk.pem"
mkdir -p "$work/web"
echo '<!doctype html><title>didban-tls-test</title>' > "$work/web/index.html"

cat > "$work/site.yaml" <<YAML
site:
  name: tls-test
sources:
  file_roots: [$DATA]
cameras:
  - name: highway
    uri: $VIDEO
    detector: {type: motion, model: mog2, warmup_s: 1.0}
  - name: private
    uri: $VIDEO
    privacy_masks:
      - [[80, 60], [240, 60], [240, 180], [80, 180]]
YAML

# Bad flags: exit status 1 and exactly this message, before the site starts.
refused() {
  local want=$1
  shift
  local rc=0
  "$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --no-record "$@" \
    > "$work/bad.txt" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "serve $*: exit status $rc, not 1: $(tail -3 "$work/bad.txt")"
  grep -qxF "didban serve: $want" "$work/bad.txt" || fail "serve $*: not '$want': $(tail -3 "$work/bad.txt")"
}
refused "--tls-cert: needs --tls-key too" --tls-cert "$work/cert.pem"
refused "--tls-key: needs --tls-cert too" --tls-key "$work/key.pem"
refused "--tls-cert $work/none.pem: no such file" --tls-cert "$work/none.pem" --tls-key "$work/key.pem"
refused "--tls-key $work/none.pem: no such file" --tls-cert "$work/cert.pem" --tls-key "$work/none.pem"
refused "--tls-cert $work/web: not a regular file" --tls-cert "$work/web" --tls-key "$work/key.pem"
refused "--tls-cert $work/junk.pem: not a PEM certificate" --tls-cert "$work/junk.pem" --tls-key "$work/key.pem"
refused "--tls-key $work/junk.pem: not a PEM private key (or one protected by a pass phrase)" \
  --tls-cert "$work/cert.pem" --tls-key "$work/junk.pem"
refused "--tls-key $work/other.key: does not match the certificate in $work/cert.pem" \
  --tls-cert "$work/cert.pem" --tls-key "$work/other.key"
if [ "$(id -u)" != 0 ]; then  # root reads any file
  cp "$work/key.pem" "$work/locked.pem"
  chmod 000 "$work/locked.pem"
  refused "--tls-key $work/locked.pem: cannot read (Permission denied)" \
    --tls-cert "$work/cert.pem" --tls-key "$work/locked.pem"
fi

# The server over TLS. Its line reads "listening on https://127.0.0.1:PORT".
: > "$work/out.txt"
"$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --no-record --web "$work/web" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" >> "$work/out.txt" 2>&1 &
SERVE_PID=$!
PORT=""
for _ in $(seq 300); do
  PORT=$(grep -o 'listening on https://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
  [ -n "$PORT" ] && break
  kill -0 "$SERVE_PID" 2> /dev/null || fail "serve exited"
  sleep 0.1
done
[ -n "$PORT" ] || fail "serve did not listen on https within 30 s"
url="https://127.0.0.1:$PORT"
tls() { curl -sS --max-time 20 --cacert "$work/cert.pem" "$@"; }

[ "$(tls -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "GET /healthz over TLS"
tls -D "$work/headers.txt" -o /dev/null "$url/healthz"
grep -qi '^strict-transport-security: max-age=31536000' "$work/headers.txt" || fail "no HSTS: $(cat "$work/headers.txt")"
names=$(tls "$url/api/v1/cameras" | json_reply '",".join(c["name"] for c in j["cameras"])')
[ "$names" = highway,private ] || fail "cameras over TLS: $names"
grep -q didban-tls-test <<<"$(tls "$url/")" || fail "the web UI over TLS"
grep -q '^didban_http_requests_total' <<<"$(tls "$url/metrics")" || fail "/metrics over TLS"
# Without the CA curl refuses the certificate (exit 60); plain HTTP to the port is dropped, and TLS goes on.
rc=0
curl -sS --max-time 10 -o /dev/null "$url/healthz" 2> /dev/null || rc=$?
[ "$rc" = 60 ] || fail "curl without --cacert: exit $rc, not 60 (certificate refused)"
rc=0
curl -sS --max-time 10 -o "$work/plain.txt" "http://127.0.0.1:$PORT/healthz" 2> /dev/null || rc=$?
[ "$rc" = 52 ] || [ "$rc" = 56 ] || fail "plain HTTP to the TLS port: curl exit $rc (expected an empty reply)"
[ ! -s "$work/plain.txt" ] || fail "plain HTTP got an answer: $(head -c 200 "$work/plain.txt")"
[ "$(tls -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "HTTPS after a plain-HTTP client"
grep -q '^didban_tls_handshake_failures_total{reason="plain_http"} 1$' <<<"$(tls "$url/metrics")" ||
  fail "the plain-HTTP client is not counted"
kill -0 "$SERVE_PID" || fail "serve died"

# Live video over TLS: MJPEG parts, and the fMP4 WebSocket (wss) with its init message and init segment.
wait_until 30 "camera online" sh -c "curl -s --cacert '$work/cert.pem' '$url/api/v1/cameras/highway' | grep -q '\"state\":\"online\"'"
rc=0
tls --max-time 5 -o "$work/mjpeg.bin" "$url/api/v1/cameras/highway/live.mjpeg" 2> /dev/null || rc=$?
[ "$rc" = 28 ] || fail "MJPEG over TLS: curl exit $rc (expected the 5 s limit)"
grep -aq 'Content-Type: image/jpeg' "$work/mjpeg.bin" || fail "no JPEG part over TLS"
# wss CAMERA FRAGMENTS MASKED [QUERY]: the init message (its "masked" as given), the init segment and FRAGMENTS
# fragments of the camera's live fMP4. A feed nobody watched starts at the camera's next keyframe (every 12 s in
# this clip), hence the long socket timeout.
wss() {
  python3 - "$PORT" "$work/cert.pem" "$1" "$2" "$3" "${4:-}" <<'PY'
import base64, json, os, socket, ssl, struct, sys
port, ca, camera, fragments, masked, query = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), \
    sys.argv[5] == "true", sys.argv[6]
ctx = ssl.create_default_context(cafile=ca)
sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60), server_hostname="127.0.0.1")
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall((f"GET /api/v1/cameras/{camera}/live.mp4{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    chunk = sock.recv(4096)
    assert chunk, "closed during the handshake"
    buf += chunk
head, buf = buf.split(b"\r\n\r\n", 1)
assert b" 101 " in head.split(b"\r\n")[0], head
def need(n):
    global buf
    while len(buf) < n:
        chunk = sock.recv(65536)
        assert chunk, "closed"
        buf += chunk
def message():
    global buf
    need(2)
    op, n, pos = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if n == 126:
        need(4); n, pos = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        need(10); n, pos = struct.unpack("!Q", buf[2:10])[0], 10
    need(pos + n)
    payload, buf = buf[pos:pos + n], buf[pos + n:]
    return op, payload
op, init = message()
assert op == 1 and json.loads(init)["type"] == "init", (op, init[:200])
assert json.loads(init)["masked"] == masked, init
op, segment = message()
assert op == 2 and segment[4:8] == b"ftyp", (op, segment[:16])
for _ in range(fragments):
    op, fragment = message()
    assert op == 2 and fragment[4:8] == b"moof", (op, fragment[:16])
print(f"wss {camera}{query}: init message (masked {masked}), init segment, {fragments} fragments")
PY
}
wss highway 5 false || fail "the live fMP4 WebSocket over TLS"
# A camera with privacy masks: its viewers get the masked re-encode (frames counted once encoded); ?unmask=1 (allowed
# here: access control is off) the stream copy.
wss private 5 true || fail "the masked live fMP4 over TLS"
wss private 5 false '?unmask=1' || fail "the unmasked live fMP4 over TLS"
grep -q '^didban_live_video_masked_frames_total{camera="private"} [1-9]' <<<"$(tls "$url/metrics")" ||
  fail "the masked camera's live view was not re-encoded: $(tls "$url/metrics" | grep masked_frames)"

serve_stop "$work/out.txt"
# The unmasked view is in the audit log (anonymous: access control is off), once.
"$DIDBAN" audit list --data "$work/data" --action live_view_unmasked > "$work/audit.txt"
[ "$(grep -c 'camera:private' "$work/audit.txt")" = 1 ] || fail "live_view_unmasked audit: $(cat "$work/audit.txt")"
grep -q anonymous "$work/audit.txt" || fail "live_view_unmasked audit actor: $(cat "$work/audit.txt")"
echo "serve_tls: OK"
