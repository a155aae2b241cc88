#!/usr/bin/env bash
# Whole-pipeline replay benchmark: CPU time (user+sys), wall time, frames/s and peak memory of
# `didban analyze --no-video` against plain `ffmpeg -threads 1 -i CLIP -f null -` on the same clip, in one run.
#
#   bash bench/pipeline_bench.sh [build/didban] [../shared/data] [repeats]
#
# Prints one Markdown table row per clip and detector; ratios are didban CPU / ffmpeg CPU (median of repeats).
set -euo pipefail
DIDBAN=${1:-build/didban}
DATA=${2:-../shared/data}
REPEATS=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clip720="$work/car_1280x720_25fps.mp4"
ffmpeg -v error -y -i "$DATA/video_fixed/intel_car-detection.mp4" -vf scale=1280:720,fps=25 -c:v libx264 -preset fast \
  -pix_fmt yuv420p "$clip720"

# measure CMD...: prints "cpu_seconds wall_seconds max_rss_kb"
measure() {
  /usr/bin/time -f "%U %S %e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
  awk '{printf "%.3f %.3f %d\n", $1 + $2, $3, $4}' "$work/t"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }

echo "| clip | detector | frames | ffmpeg CPU s | didban CPU s | ratio | didban frames/s (wall) | didban peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
run_case() {
  local clip=$1 det=$2; shift 2
  local n; n=$(frames "$clip")
  local fcpu=() dcpu=() dwall=() drss=()
  for _ in $(seq "$REPEATS"); do
    read -r c w m < <(measure ffmpeg -v error -threads 1 -i "$clip" -f null -)
    fcpu+=("$c")
    read -r c w m < <(measure "$DIDBAN" analyze "$clip" --detector "$det" "$@" --no-video --out "$work/out")
    dcpu+=("$c"); dwall+=("$w"); drss+=("$m")
  done
  local f d w r
  f=$(printf '%s\n' "${fcpu[@]}" | median); d=$(printf '%s\n' "${dcpu[@]}" | median)
  w=$(printf '%s\n' "${dwall[@]}" | median); r=$(printf '%s\n' "${drss[@]}" | median)
  awk -v clip="$(basename "$clip")" -v det="$det" -v n="$n" -v f="$f" -v d="$d" -v w="$w" -v r="$r" \
    'BEGIN {printf "| %s | %s | %d | %.2f | %.2f | %.2f | %.0f | %.0f |\n", clip, det, n, f, d, d / f, n / w, r / 1024}'
}
run_case "$DATA/video_fixed/intel_car-detection.mp4" motion
run_case "$clip720" motion
run_case "$DATA/video_fixed/bgslibrary_video02.avi" motion
run_case "$DATA/video_fixed/bgslibrary_video03.avi" motion
if [ -f "$DATA/models/FastestDet/FastestDet.onnx" ]; then
  run_case "$DATA/video_fixed/intel_car-detection.mp4" gated --model "$DATA/models/FastestDet/FastestDet.onnx"
fi
