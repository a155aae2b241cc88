#!/usr/bin/env bash
# didban wildtrack-detections + didban fuse on WILDTRACK (seed 0): exact outputs, metrics and error messages.
set -euo pipefail
didban="$1"
data="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wt="$data/multicam/WILDTRACK"
if [[ ! -d "$wt" ]]; then
  if [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; then echo "missing $wt under CI" >&2; exit 1; fi
  echo "skip: $wt missing"; exit 0
fi
fail() { echo "FAIL: $*" >&2; exit 1; }

out="$("$didban" wildtrack-detections --data "$wt" --seed 0 --out "$work/wt0")"
[[ "$out" == "wrote 15993 detections in 7 views over 200 frames, 4785 ground-truth rows, site.yaml -> $work/wt0" ]] \
  || fail "wildtrack-detections said: $out"
[[ "$(head -1 "$work/wt0/gt.csv")" == "frame,id,x,y" ]] || fail "gt header"
[[ "$(wc -l < "$work/wt0/gt.csv")" == "4786" ]] || fail "gt rows"
# Deterministic: the same seed writes the same files.
"$didban" wildtrack-detections --data "$wt" --seed 0 --out "$work/again" > /dev/null
cmp -s "$work/wt0/C3.txt" "$work/again/C3.txt" || fail "seed 0 not deterministic"

tracks=()
for c in 1 2 3 4 5 6 7; do tracks+=(--tracks "C$c=$work/wt0/C$c.txt"); done
out="$("$didban" fuse --site "$work/wt0/site.yaml" "${tracks[@]}" --fps 2 --out "$work/fused" --gt "$work/wt0/gt.csv")"
# The site has a `fusion_batch:` section: offline fusion (box-model multi-view detection per step with the pair
# re-detection and joint box re-assignment, then the junction linker with the Kalman junction cost, gap junctions,
# each detection's own covariance and detector feedback from its tracks; positions smoothed along each track by a
# constant-velocity Kalman smoother, smooth_accel_sigma 1: the goldens moved with it, MODA 0.9421 -> 0.9526, IDF1
# 0.9172 -> 0.9218, the first row 0.942,9.510 -> 0.951,9.517).
expected="fused 7 cameras over 200 frames: 189 global tracks, 4742 rows -> $work/fused/global_tracks.csv (no site origin: no GeoJSON)
3 boxes did not reach the ground and were skipped
at 0.50 m: MODA 0.9526 MOTA 0.9434 IDF1 0.9218 precision 0.9806 recall 0.9718 (TP 4650 FP 92 FN 135 IDSW 44)"
[[ "$out" == "$expected" ]] || fail "fuse said: $out"
[[ "$(sed -n 1,2p "$work/fused/global_tracks.csv")" == "frame,time,id,x,y,lat,lon,cameras
1,0.000,1,0.951,9.517,,,C1;C3;C5;C6;C7" ]] || fail "csv head: $(sed -n 1,2p "$work/fused/global_tracks.csv")"

# `didban eval ground` reads the global tracks CSV and agrees with what `fuse --gt` printed (one scorer).
[[ "$("$didban" eval ground --gt "$work/wt0/gt.csv" --res "$work/fused/global_tracks.csv" --threshold 0.5 | tail -1)" \
  == "95.26  94.34  0.081    92.18  75.28  76.33  74.46  44    92  135" ]] || fail "eval ground disagrees"

# --live-lag 2: the live runtime's fixed-lag fuser on the files (the batch consensus and junction linker over an 8 s
# window, each step emitted once 2 s old and never rewritten; later corrections are counted notices).
out="$("$didban" fuse --site "$work/wt0/site.yaml" "${tracks[@]}" --fps 2 --out "$work/live" --gt "$work/wt0/gt.csv" \
  --live-lag 2)"
expected="fused 7 cameras over 200 frames: 207 global tracks, 4771 rows -> $work/live/global_tracks.csv (no site origin: no GeoJSON)
3 boxes did not reach the ground and were skipped
fixed lag 2.00 s: 38 corrections after emission (13 merges, 8 splits, 17 swaps)
at 0.50 m: MODA 0.9549 MOTA 0.9371 IDF1 0.9190 precision 0.9788 recall 0.9760 (TP 4670 FP 101 FN 115 IDSW 85)"
[[ "$out" == "$expected" ]] || fail "fuse --live-lag 2 said: $out"
[[ "$(sed -n 2p "$work/live/global_tracks.csv")" == "1,0.000,1,0.952,9.518,,,C1;C3;C5;C6;C7" ]] \
  || fail "live row: $(sed -n 2p "$work/live/global_tracks.csv")"

# --streaming: the live fuser, each detection an observation (the figures before the batch mode).
out="$("$didban" fuse --site "$work/wt0/site.yaml" "${tracks[@]}" --fps 2 --out "$work/stream" --gt "$work/wt0/gt.csv" \
  --streaming | tail -1)"
[[ "$out" == "at 0.50 m: MODA 0.7703 MOTA 0.7172 IDF1 0.7665 precision 0.8817 recall 0.8897 (TP 4257 FP 571 FN 528 IDSW 254)" ]] \
  || fail "streaming said: $out"
[[ "$(sed -n 2p "$work/stream/global_tracks.csv")" == "1,0.000,1,3.120,14.362,,,C1;C2;C6;C7" ]] || fail "streaming row"
# A bad fusion_batch key is an error naming the site and section.
{ cat "$work/wt0/site.yaml"; echo "  pair_gate: 3"; } > "$work/bad.yaml"
set +e
msg="$("$didban" fuse --site "$work/bad.yaml" "${tracks[@]}" --fps 2 --out "$work/e" 2>&1)"; rc=$?
set -e
[[ $rc == 1 && "$msg" == "didban fuse: $work/bad.yaml: fusion_batch: unknown parameter 'pair_gate'"* ]] \
  || fail "bad fusion_batch: $rc $msg"
# A malformed --gt file is an error naming the file and line (the fused tracks are still written first).
printf 'frame,id,x,y\n1,5,2.0,oops\n' > "$work/bad_gt.csv"
set +e
msg="$("$didban" fuse --site "$work/wt0/site.yaml" "${tracks[@]}" --fps 2 --out "$work/badgt" --gt "$work/bad_gt.csv" 2>&1)"
rc=$?
set -e
[[ $rc == 1 && "$msg" == *"didban fuse: $work/bad_gt.csv:2: column 'y': not a number: 'oops'" ]] || fail "bad gt: $rc $msg"
[[ -s "$work/badgt/global_tracks.csv" ]] || fail "bad gt: tracks not written"
# The box model needs pinhole calibrations: a homography camera is an error naming the site and the camera.
cat > "$work/homography.yaml" <<'YAML'
site:
  name: flat
cameras:
  - name: A
    calibration:
      homography:
        image: [[0, 0], [100, 0], [100, 100], [0, 100]]
        ground: [[0, 0], [1, 0], [1, 1], [0, 1]]
fusion_batch:
  consensus: box_model
YAML
echo "1,-1,10,10,5,20,1,-1,-1,-1" > "$work/a.txt"
set +e
msg="$("$didban" fuse --site "$work/homography.yaml" --tracks "A=$work/a.txt" --fps 2 --out "$work/h" 2>&1)"; rc=$?
set -e
[[ $rc == 1 && "$msg" == "didban fuse: $work/homography.yaml: consensus box_model: camera 'A' has no pinhole calibration" ]] \
  || fail "box model without pinhole: $rc $msg"

# With a site origin the rows carry lat/lon and a GeoJSON is written.
sed 's/^  name: wildtrack$/  name: wildtrack\n  origin: {lat: 46.5191, lon: 6.5668}/' "$work/wt0/site.yaml" > "$work/geo.yaml"
"$didban" fuse --site "$work/geo.yaml" "${tracks[@]}" --fps 2 --out "$work/geo" > /dev/null
[[ "$(sed -n 2p "$work/geo/global_tracks.csv")" == "1,0.000,1,0.951,9.517,46.51918561,6.56681239,C1;C3;C5;C6;C7" ]] \
  || fail "lat/lon row: $(sed -n 2p "$work/geo/global_tracks.csv")"
grep -q '"type":"FeatureCollection"' "$work/geo/global_tracks.geojson" || fail "geojson"

# Errors: unknown camera (1), malformed --tracks (2), missing fps (2).
set +e
msg="$("$didban" fuse --site "$work/wt0/site.yaml" --tracks C9=x.txt --fps 2 --out "$work/e" 2>&1)"; rc=$?
set -e
[[ $rc == 1 && "$msg" == "didban fuse: camera 'C9' is not in $work/wt0/site.yaml" ]] || fail "unknown camera: $rc $msg"
set +e
msg="$("$didban" fuse --site "$work/wt0/site.yaml" --tracks C1 --fps 2 --out "$work/e" 2>&1)"; rc=$?
set -e
[[ $rc == 2 && "$msg" == "didban fuse: --tracks expects CAMERA=FILE, got 'C1'" ]] || fail "bad spec: $rc $msg"
set +e
msg="$("$didban" fuse --site "$work/wt0/site.yaml" --tracks "C1=$work/wt0/C1.txt" --out "$work/e" 2>&1)"; rc=$?
set -e
[[ $rc == 2 && "$msg" == "didban fuse: --fps is needed (the site gives no fps for these cameras)" ]] \
  || fail "no fps: $rc $msg"
# The example site (calibrations through ../shared/data beside the repository) gives the same tracks, with lat/lon.
example="$(cd "$(dirname "$0")/.." && pwd)/examples/wildtrack/site.yaml"
if [[ -f "$(dirname "$example")/../../../shared/data/multicam/WILDTRACK/calibrations/extrinsic/extr_CVLab1.xml" ]]; then
  "$didban" fuse --site "$example" "${tracks[@]}" --out "$work/example" > /dev/null
  [[ "$(sed -n 2p "$work/example/global_tracks.csv")" == "1,0.000,1,0.951,9.517,46.51918561,6.56681239,C1;C3;C5;C6;C7" ]] \
    || fail "example site row: $(sed -n 2p "$work/example/global_tracks.csv")"
fi
echo "ok"
