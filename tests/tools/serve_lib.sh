# Helpers for the tests that run `didban serve` or `didban demo` (tests/serve_*.sh and others): sourced, not run.
# Expects DIDBAN and work (a temporary folder) to be set and `fail MESSAGE` to be defined. Sets SERVE_PID and PORT.

# serve_start LOG ARGS...: starts `$DIDBAN ARGS...` in the background with its output in LOG and waits (up to
# SERVE_WAIT_S, default 30 s) for its "listening on http://127.0.0.1:PORT" line. LOG is emptied first, in this shell: a background child
# truncates it only when it runs, and a restart must never read the previous run's port.
serve_start() {
  local log=$1
  shift
  : > "$log"
  "$DIDBAN" "$@" >> "$log" 2>&1 &
  SERVE_PID=$!
  PORT=""
  for _ in $(seq $((${SERVE_WAIT_S:-30} * 10))); do
    PORT=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/.*://') || true
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || fail "didban $1 exited: $(tail -5 "$log")"
    sleep 0.1
  done
  fail "didban $1 did not listen within ${SERVE_WAIT_S:-30} s"
}

# serve_stop LOG: SIGTERM, waits up to 30 s for a clean exit (status 0 and "stopped (store flushed)" in LOG).
serve_stop() {
  local log=$1
  kill -TERM "$SERVE_PID"
  for _ in $(seq 300); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVE_PID" 2>/dev/null && fail "did not stop within 30 s of SIGTERM"
  wait "$SERVE_PID" || fail "exited with status $?"
  SERVE_PID=""
  grep -q "stopped (store flushed)" "$log" || fail "no clean stop: $(tail -5 "$log")"
}

# json EXPR: reads one JSON reply from stdin and prints EXPR (Python, `j` is the document); a reply that is not JSON
# fails naming the reply.
json_reply() {
  python3 -c "
import json, sys
raw = sys.stdin.read()
try:
    j = json.loads(raw)
except ValueError:
    sys.exit('not a JSON reply (%d bytes): %r' % (len(raw), raw[:300]))
print($1)"
}

# need_file PATH: test material; missing, it fails when CI is set and skips (exit 0) otherwise.
need_file() {
  [ -f "$1" ] && return 0
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then echo "FAIL: missing $1" >&2; exit 1; fi
  echo "SKIP: missing $1"
  exit 0
}

# wait_until SECONDS WHAT CMD...: polls CMD every 0.2 s until it succeeds; fails naming WHAT after SECONDS, or at once
# when the server (SERVE_PID) has exited.
wait_until() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt "$deadline" ] || fail "$what: not after $limit s"
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited while waiting for: $what"
    sleep 0.2
  done
}

# api METHOD PATH [JSON]: the reply body of a request to the server started by serve_start (PATH under /api/v1).
# code METHOD PATH [JSON]: its HTTP status only. Each waits at most API_TIMEOUT_S (60) seconds.
api() {
  curl -sS --max-time "${API_TIMEOUT_S:-60}" -X "$1" "http://127.0.0.1:$PORT/api/v1$2" \
    ${3:+-H 'Content-Type: application/json' --data "$3"}
}
code() {
  curl -sS --max-time "${API_TIMEOUT_S:-60}" -o /dev/null -w '%{http_code}' -X "$1" "http://127.0.0.1:$PORT/api/v1$2" \
    ${3:+-H 'Content-Type: application/json' --data "$3"}
}
