#!/usr/bin/env bash
# `didban track`: MOTChallenge detections in, MOTChallenge results out; exact counts, messages and exit codes.
set -euo pipefail
didban="$1"
data="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: got '$1', expected '$2'"; }

det="$data/mot/MOT15/TUD-Campus/det/det.txt"
if [[ ! -f "$det" ]]; then
  [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]] && fail "test material missing under CI: $det"
  echo "SKIP: $det missing"
  exit 0
fi

# 1. Default preset on TUD-Campus (25 fps).
"$didban" track --det "$det" --out "$tmp/res.txt" --fps 25 > "$tmp/log.txt"
expect_eq "$(wc -l < "$tmp/res.txt")" "288" "result rows"
expect_eq "$(cut -d, -f2 "$tmp/res.txt" | sort -n | uniq | wc -l)" "10" "distinct IDs"
expect_eq "$(cut -d, -f2 "$tmp/res.txt" | sort -n | head -1)" "1" "first ID"
expect_eq "$(cut -d, -f2 "$tmp/res.txt" | sort -n | tail -1)" "12" "largest ID"
expect_eq "$(head -1 "$tmp/res.txt")" "1,1,281.93,187.47,79.93,209.54,0.9978,-1,-1,-1" "first row"
expect_eq "$(cut -d, -f1 "$tmp/res.txt" | sort -n | tail -1)" "71" "last frame"
# Every row has 10 columns, frames ascending.
expect_eq "$(awk -F, 'NF != 10' "$tmp/res.txt" | wc -l)" "0" "rows without 10 columns"
cut -d, -f1 "$tmp/res.txt" | sort -n -c || fail "frames not ascending"

# 2. The ByteTrack preset gives its own (different) answer.
"$didban" track --det "$det" --out "$tmp/bt.txt" --fps 25 --preset bytetrack > /dev/null
expect_eq "$(wc -l < "$tmp/bt.txt")" "296" "bytetrack rows"

# 3. Malformed detections: the file and line in the message, exit 1.
printf '1,-1,10,20,30,40,0.9,-1,-1,-1\n2,-1,10,20,abc,40,0.9,-1,-1,-1\n' > "$tmp/bad.txt"
set +e
"$didban" track --det "$tmp/bad.txt" --out "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
set -e
expect_eq "$rc" "1" "exit code, malformed file"
expect_eq "$(cat "$tmp/err.txt")" "didban track: $tmp/bad.txt:2: column 5: not a number: 'abc'" "malformed message"
[[ ! -e "$tmp/out.txt" ]] || fail "an output was written for a malformed input"

printf '1,-1,10,20,30,40,0.9\n0,-1,10,20,30,40,0.9\n' > "$tmp/bad2.txt"
set +e
"$didban" track --det "$tmp/bad2.txt" --out "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
set -e
expect_eq "$rc" "1" "exit code, frame 0"
expect_eq "$(cat "$tmp/err.txt")" "didban track: $tmp/bad2.txt:2: frame must be an integer >= 1, got 0" "frame-0 message"

# 4. Missing file: exit 1 with the path.
set +e
"$didban" track --det "$tmp/none.txt" --out "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
set -e
expect_eq "$rc" "1" "exit code, missing file"
expect_eq "$(cat "$tmp/err.txt")" "didban track: $tmp/none.txt: cannot open (No such file or directory)" "missing message"

# 5. Bad parameters: usage error (2) naming the field.
set +e
"$didban" track --det "$det" --out "$tmp/out.txt" --params '{"max_lost_s": -1}' 2> "$tmp/err.txt"
rc=$?
set -e
expect_eq "$rc" "2" "exit code, bad params"
expect_eq "$(cat "$tmp/err.txt")" "didban track: tracker options: max_lost_s must be in [0, 600]" "bad params message"
# 6. Accuracy of both presets on MOT15 TUD (HOTA, IDF1, MOTA to 0.1; IDSW, FP, FN exact), via `didban eval mot`.
# The default preset must beat OC-SORT (HOTA 49.9 / IDF1 69.2 on TUD-Campus, 51.6 / 73.7 on TUD-Stadtmitte).
mot="$data/mot/MOT15"
for preset in default bytetrack; do
  for seq in TUD-Campus TUD-Stadtmitte; do
    "$didban" track --det "$mot/$seq/det/det.txt" --out "$tmp/$preset-$seq.txt" --fps 25 --preset "$preset" > /dev/null
    "$didban" eval mot --gt "$mot/$seq/gt/gt.txt" --res "$tmp/$preset-$seq.txt" > "$tmp/eval.txt"
    # One sequence: a header, then HOTA DetA AssA MOTA MOTP IDF1 IDP IDR IDSW FP FN.
    got="$(awk -v p="$preset" -v s="$seq" 'NR == 2 {printf "%s %s HOTA=%.1f IDF1=%.1f MOTA=%.1f IDSW=%s FP=%s FN=%s", p, s, $1, $6, $4, $9, $10, $11}' "$tmp/eval.txt")"
    case "$preset $seq" in
      "default TUD-Campus") want="default TUD-Campus HOTA=50.8 IDF1=70.5 MOTA=61.3 IDSW=4 FP=32 FN=103" ;;
      "default TUD-Stadtmitte") want="default TUD-Stadtmitte HOTA=53.5 IDF1=79.1 MOTA=72.1 IDSW=12 FP=36 FN=275" ;;
      "bytetrack TUD-Campus") want="bytetrack TUD-Campus HOTA=45.4 IDF1=58.0 MOTA=58.2 IDSW=7 FP=40 FN=103" ;;
      "bytetrack TUD-Stadtmitte") want="bytetrack TUD-Stadtmitte HOTA=49.2 IDF1=65.7 MOTA=70.3 IDSW=14 FP=50 FN=279" ;;
    esac
    expect_eq "$got" "$want" "accuracy"
  done
done
echo "PASS"
