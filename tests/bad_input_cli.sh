#!/usr/bin/env bash
# Hostile inputs (issue 20): mutated copies of valid files from ../shared/data/bad_input. Each command must end with
# exit code 1 and one line on stderr naming the file, the line or field and the limit it broke, quickly and in
# bounded memory (docs/security.md). The figures (seconds, peak resident memory) are printed for the record.
#   bash tests/bad_input_cli.sh <didban> <data-dir>
set -euo pipefail
didban=$(realpath "$1")
data="${2:-}"
fail() { echo "FAIL: $*" >&2; exit 1; }
bad="$data/bad_input"
if [[ -z "$data" || ! -d "$bad" ]]; then
  [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]] && fail "test material missing under CI: $bad"
  echo "bad_input_cli: skipped (no $bad)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$bad"  # the files name each other relatively, as the issue runs them

# Generous bounds for the test (sanitizer builds are slower and bigger); the target is 1 s and 200 MB.
max_s=10
max_kb=$((512 * 1024))
have_time=0
[[ -x /usr/bin/time ]] && have_time=1

# expect_fail "EXPECTED STDERR LINE" CMD...: exit 1, exactly that one line on stderr (log lines aside), in time.
expect_fail() {
  local want="$1"
  shift
  local rc=0
  if ((have_time)); then
    timeout "$max_s" /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
  else
    timeout "$max_s" "$@" >"$work/out" 2>"$work/err" || rc=$?
  fi
  [[ "$rc" != 124 ]] || fail "timed out after $max_s s: $*"
  [[ "$rc" == 1 ]] || fail "exit $rc (want 1) for: $* ; stderr: $(head -c 2000 "$work/err")"
  local got
  got=$(grep -v '^\[' "$work/err" || true)
  [[ "$got" == "$want" ]] || fail "for: $*
expected [$want]
got      [$got]"
  if ((have_time)); then
    local secs kb
    read -r secs kb < <(tail -n 1 "$work/time")
    ((kb < max_kb)) || fail "peak memory $kb KB (limit $max_kb KB) for: $*"
    printf '%6s s %8s KB  exit 1  %s\n' "$secs" "$kb" "${*:2}" | cut -c1-160
  fi
}

out="$work/out_dir"
expect_fail "didban analyze: site_invalid_utf8.yaml:7:31: not UTF-8 (byte 0xb4); save the file as UTF-8" \
  "$didban" analyze --site site_invalid_utf8.yaml --no-video --out "$out"
expect_fail "didban analyze: site_alias_bomb.yaml:8:10: the document holds more than 100000 YAML nodes with its \
aliases expanded (limit max_nodes; aliases that repeat large nodes are refused)" \
  "$didban" analyze --site site_alias_bomb.yaml --no-video --out "$out"
expect_fail "didban analyze: site_unknown_top_keys.yaml:3:1: foo: unknown key (known: cameras, fusion, fusion_batch, \
recording, site, sources)" \
  "$didban" analyze --site site_unknown_top_keys.yaml --no-video --out "$out"

for f in 2p31:2147483648 2p63:9223372036854775808 2p31m1:2147483647 1e8:100000000; do
  expect_fail "didban track: det_frame_${f%%:*}.txt:6: frame ${f#*:} is above the limit of 1000000 (raise it with \
--max-frame)" \
    "$didban" track --det "det_frame_${f%%:*}.txt" --out "$work/t.txt"
done

georef=(--tracks tracks_small.txt --camera width=640,height=480,hfov=80 --fps 25 --yaw 0 --out "$out")
expect_fail "didban drone georef: telemetry_gap_1e5s.csv:3: time 100000 s is beyond the limit of 86400 s (24 h) from \
the start" \
  "$didban" drone georef --telemetry telemetry_gap_1e5s.csv "${georef[@]}"
expect_fail "didban drone georef: telemetry_mutated.ulg: vehicle_attitude message 226: timestamp 3.68907e+18 us is \
beyond the limit of 2^53 us (the log's clock counts microseconds since boot)" \
  "$didban" drone georef --telemetry telemetry_mutated.ulg "${georef[@]}"

expect_fail "didban plan survey: area_4400km.geojson: the outer ring spans 0.5 km east-west and 4099.6 km \
north-south, above the limit of 100 km" \
  "$didban" plan survey --area area_4400km.geojson --altitude 100 --camera hfov=82.1,width=3840,height=2160 --out "$out"

# The limits that can be raised say how, and raising them works: frame 100,000,000 needs --max-frame.
expect_fail "didban track: det_frame_1e8.txt:6: frame 100000000 is above the limit of 99999999 (raise it with \
--max-frame)" \
  "$didban" track --det det_frame_1e8.txt --max-frame 99999999 --out "$work/t.txt"
# Nothing was written by the refused commands.
[[ ! -e "$out" ]] || fail "a refused command wrote $out"
echo "bad_input_cli: ok"
