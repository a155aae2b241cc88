#!/usr/bin/env bash
# `didban analyze` end to end on real clips, and its errors on bad input.
#   bash tests/analyze_cli.sh <didban> <data-dir>
set -euo pipefail
DIDBAN=$1
DATA=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_error EXPECTED_SUBSTRING CMD...: the command must exit 1 and print the substring on stderr.
expect_error() {
  local want=$1; shift
  set +e
  "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "exit $rc (want 1) for: $* ; stderr: $(cat "$work/stderr")"
  grep -qF -- "$want" "$work/stderr" || fail "stderr lacks '$want' for: $* ; got: $(cat "$work/stderr")"
}

# Bad input: each a clear message naming the input, exit 1.
expect_error "$work/missing.mp4" "$DIDBAN" analyze "$work/missing.mp4" --out "$work/o1" --no-video
# Deterministic garbage (random bytes once decoded as H.263 by chance).
yes 'not a video' | head -c 200000 >"$work/random.mp4" || true
expect_error "$work/random.mp4" "$DIDBAN" analyze "$work/random.mp4" --out "$work/o2" --no-video
expect_error "unknown detector 'foo'" "$DIDBAN" analyze "$DATA/video_fixed/bgslibrary_video02.avi" --detector foo \
  --out "$work/o3" --no-video
expect_error "$work/none.onnx" "$DIDBAN" analyze "$DATA/video_fixed/bgslibrary_video02.avi" --detector dnn \
  --model "$work/none.onnx" --out "$work/o4" --no-video

# A truncated file decodes what is there and says so, or fails with a message naming it: never a crash.
head -c 300000 "$DATA/video_fixed/intel_car-detection.mp4" >"$work/truncated.mp4"
set +e
"$DIDBAN" analyze "$work/truncated.mp4" --out "$work/o5" --no-video >"$work/stdout" 2>"$work/stderr"
rc=$?
set -e
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "truncated file: exit $rc"
if [ "$rc" -eq 1 ]; then grep -qF "$work/truncated.mp4" "$work/stderr" || fail "truncated: message lacks the path"; fi

# A real clip: tracks, summary and annotated video.
"$DIDBAN" analyze "$DATA/video_fixed/bgslibrary_video02.avi" --out "$work/v02" >"$work/stdout" 2>"$work/stderr" ||
  fail "analyze video02: $(cat "$work/stderr")"
for f in tracks.txt summary.json annotated.mp4; do [ -s "$work/v02/$f" ] || fail "missing $f"; done
frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frames"])' "$work/v02/summary.json")
[ "$frames" -eq 748 ] || fail "summary frames $frames, want 748"
vframes=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
  "$work/v02/annotated.mp4")
[ "$vframes" -eq 748 ] || fail "annotated.mp4 has $vframes frames, want 748"
tracks=$(cut -d, -f2 "$work/v02/tracks.txt" | sort -u | wc -l)
[ "$tracks" -ge 10 ] || fail "only $tracks tracks on a busy highway clip"
# With the example site: traffic rules, interval statistics and one snapshot per event (exact golden counts: the
# example has no detector settings, the default detector gets its calibration). By eye 23 away and 20 toward;
# didban's 26 away are the 23 and 3 double counts (slices of cars, docs/traffic.md "Calibration-aware detection").
here=$(cd "$(dirname "$0")/.." && pwd)
# count STATS LINE DIRECTION: the line's count in that direction over all classes (length classes split it).
count() { awk -F, -v l="$2" -v d="$3" '$4 == l && $5 == "count" && $7 == d {s += $8} END {print s + 0}' "$1"; }
"$DIDBAN" analyze --site "$here/examples/bgslibrary_video02.yaml" "$DATA/video_fixed/bgslibrary_video02.avi" \
  --out "$work/site" --no-video -q 2>"$work/stderr" || fail "analyze --site: $(cat "$work/stderr")"
n=$(count "$work/site/stats.csv" away-line away)
[ "$n" -eq 26 ] || fail "away count $n: $(cat "$work/site/stats.csv")"
n=$(count "$work/site/stats.csv" toward-line toward)
[ "$n" -eq 20 ] || fail "toward count $n"
events=$(wc -l <"$work/site/events.jsonl")
snaps=$(find "$work/site/snapshots" -name '*.jpg' | wc -l)
[ "$events" -eq "$snaps" ] || fail "$events events but $snaps snapshots"
grep -q '"snapshot":' "$work/site/events.jsonl" || fail "events lack snapshot paths"
# The car-park example: 2 cars up and 2 down by eye, each counted once (docs/traffic.md).
"$DIDBAN" analyze --site "$here/examples/intel_car_detection.yaml" "$DATA/video_fixed/intel_car-detection.mp4" \
  --out "$work/carpark" --no-video -q 2>"$work/stderr" || fail "analyze carpark: $(cat "$work/stderr")"
n=$(count "$work/carpark/stats.csv" mid-line up)
[ "$n" -eq 2 ] || fail "carpark up count $n"
n=$(count "$work/carpark/stats.csv" mid-line down)
[ "$n" -eq 2 ] || fail "carpark down count $n"
expect_error "no camera named 'nope'" "$DIDBAN" analyze --site "$here/examples/bgslibrary_video02.yaml" --camera nope \
  --out "$work/o6" --no-video
echo "analyze_cli: ok"
