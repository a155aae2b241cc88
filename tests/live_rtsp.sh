#!/usr/bin/env bash
# `didban analyze` on RTSP from GStreamer's RTSP server (tests/tools/rtsp_server.py): events and tracks on disk as they
# happen (kill -9 loses at most the last second; the annotated video stays playable); stop while the stream is stalled
# (server SIGSTOPped); a killed and restarted server is reconnected. Measures; asserts only generous bounds.
#   bash tests/live_rtsp.sh <didban> <data-dir>
set -euo pipefail
DIDBAN=$1
DATA=$2
work=$(mktemp -d)
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/tools/live_lib.sh"
trap 'cleanup_servers; rm -rf "$work"' EXIT

# 1. kill -9 during a live run with traffic rules: every event older than 1 s is in events.jsonl (each event's
#    snapshot is written when the event is raised, so the snapshots are the witnesses), tracks.txt ends with a whole
#    line, the fragmented annotated.mp4 plays.
start_rtsp
start_analyze "$work/k" "$RTSP_URL" --site "$SITE"
wait_frames "$work/k" 120 40
sleep 3
kill_time=$(now)
kill -9 "$AN_PID"; wait "$AN_PID" 2>/dev/null || true
[ ! -e "$work/k/summary.json" ] || fail "summary.json after kill -9?"
snaps=0; old=0; missing=0
for f in "$work/k/snapshots"/*.jpg; do
  [ -e "$f" ] || continue
  snaps=$((snaps + 1))
  if python3 -c "import os, sys; sys.exit(0 if os.path.getmtime(sys.argv[1]) < float(sys.argv[2]) - 1 else 1)" \
    "$f" "$kill_time"; then
    old=$((old + 1))
    grep -qF "$(basename "$f")" "$work/k/events.jsonl" || { missing=$((missing + 1)); echo "not in events.jsonl: $f"; }
  fi
done
events=$(wc -l <"$work/k/events.jsonl")
echo "kill -9: $events events in events.jsonl, $snaps snapshots ($old older than 1 s, $missing of them missing)"
[ "$old" -gt 0 ] || fail "no event older than 1 s to check (snapshots: $snaps)"
[ "$missing" -eq 0 ] || fail "$missing events older than 1 s missing from events.jsonl"
[ -z "$(tail -c 1 "$work/k/tracks.txt")" ] || fail "tracks.txt ends mid-line"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
  "$work/k/annotated.mp4" 2>/dev/null || true)
last=$(tail -1 "$work/k/tracks.txt" | cut -d, -f1)
echo "kill -9: annotated.mp4 plays ${frames:-0} frames; tracks.txt up to frame $last"
[ -n "$frames" ] && [ "$frames" -gt 0 ] || fail "annotated.mp4 not playable after kill -9"

# 2. The server stalls (SIGSTOP): a read blocks (read timeout 10 s); SIGINT stops it at once.
start_analyze "$work/s" "$RTSP_URL"
wait_frames "$work/s" 30
kill -STOP "$RTSP_PID"
sleep 2
stop_analyze INT "$work/s" stalled
check_outputs "$work/s" stopped
kill -CONT "$RTSP_PID"

# 3. The server is killed and restarted on its port: reconnected; then SIGTERM while streaming.
port=${RTSP_URL#rtsp://127.0.0.1:}
port=${port%%/*}
start_analyze "$work/r" "$RTSP_URL"
wait_frames "$work/r" 30
t_down=$(now)
kill -9 "$RTSP_PID"; wait "$RTSP_PID" 2>/dev/null || true
sleep 3
before=$(tail -1 "$work/r/tracks.txt" | cut -d, -f1)
start_rtsp "$port"
down=$(seconds_since "$t_down")
wait_frames "$work/r" $((before + 25))
stop_analyze TERM "$work/r" restarted
check_outputs "$work/r" stopped
reconnects=$(json "$work/r/summary.json" 'j["reconnects"]')
offline=$(json "$work/r/summary.json" 'j["offline_s"]')
python3 -c "import sys; d, off = map(float, sys.argv[1:]); print(f'restart: online again {off - d:.2f} s after the server came back (offline {off:.2f} s, down {d:.2f} s)')" "$down" "$offline"
[ "$reconnects" -eq 1 ] || fail "reconnects $reconnects, want 1"
echo "PASS"
