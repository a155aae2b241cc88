#!/usr/bin/env bash
# didban sim drone + didban drone analyze end to end: a 6-second synthetic flight, then the analysis; checks the
# files, their headers, that tracks were found, and the error messages and exit codes of bad input.
set -euo pipefail
didban="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$didban" sim drone --out "$work/sim" --seconds 6 --seed 3 > "$work/sim.txt"
[[ "$(cat "$work/sim.txt")" == "wrote 150 frames to $work/sim" ]] || { echo "sim said: $(cat "$work/sim.txt")"; exit 1; }
for f in flight.mp4 flight.srt truth.csv; do [[ -s "$work/sim/$f" ]] || { echo "missing $f"; exit 1; }; done
[[ "$(head -1 "$work/sim/truth.csv")" == "frame,time,id,class,moving,x,y,w,h,lat,lon" ]]
grep -q "^150$" "$work/sim/flight.srt"
grep -q "FrameCnt: 150, DiffTime: 40ms" "$work/sim/flight.srt"

"$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$work/sim/flight.srt" --out "$work/out" > "$work/an.txt"
grep -Eq "^frames 150, tracks [0-9]+, track points [0-9]+, [0-9.]+ ms/frame$" "$work/an.txt" \
  || { echo "analyze said: $(cat "$work/an.txt")"; exit 1; }
for f in tracks.csv tracks.geojson flight.kml flight.geojson annotated.mp4; do
  [[ -s "$work/out/$f" ]] || { echo "missing $f"; exit 1; }
done
[[ "$(head -1 "$work/out/tracks.csv")" == "frame,time,id,lat,lon,x,y,class" ]]
points=$(($(wc -l < "$work/out/tracks.csv") - 1))
(( points > 300 )) || { echo "only $points track points"; exit 1; }
grep -q '"type": "FeatureCollection"' "$work/out/tracks.geojson"
grep -q "<name>flight path</name>" "$work/out/flight.kml"
# Footprints every 25 frames: 6 of them.
[[ "$(grep -c "<name>footprint" "$work/out/flight.kml")" == "6" ]]

# The camera is recognised from the simulator's SRT (the Mavic 3 layout with focal_len 24.00) and printed.
[[ "$(head -1 "$work/an.txt")" == "camera: camera profile mavic3 recognised from the SRT: the Mavic 3 layout (FrameCnt, rel_alt and abs_alt) with focal_len 24 mm; 4:3 sensor frame 17.3x12.9619 mm, lens 24 mm equivalent (telemetry focal length), 1280x720 video = 100 % of the frame's width: hfov 71.61 deg, vfov 44.17 deg" ]] || { echo "camera line: $(head -1 "$work/an.txt")"; exit 1; }

# --no-video writes no video.
"$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$work/sim/flight.srt" --out "$work/out2" --no-video \
  > /dev/null
[[ ! -e "$work/out2/annotated.mp4" && -s "$work/out2/tracks.csv" ]]

# Errors: exit 1 with a message naming the input; usage errors exit 2.
set +e
"$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$work/none.srt" --out "$work/o3" 2> "$work/err.txt"
rc=$?
set -e
[[ $rc == 1 ]] || { echo "rc $rc"; exit 1; }
grep -q "drone analyze: .*none.srt" "$work/err.txt"
set +e
"$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$work/sim/flight.srt" --out "$work/o4" --camera fov=3 \
  2> "$work/err2.txt"
rc=$?
set -e
[[ $rc == 1 ]]
grep -q "unknown key 'fov' (expected width, height, hfov, sensor, aspect, focal, focal35, dfov, crop, profile)" "$work/err2.txt"
set +e
"$didban" drone analyze "$work/sim/flight.mp4" --out "$work/o5" > /dev/null 2>&1
rc=$?
set -e
# A missing required flag is a usage error: exit 2.
[[ $rc == 2 ]] || { echo "usage rc $rc"; exit 1; }

# The camera model: telemetry without a focal length needs a lens; a 35 mm-equivalent focal length needs the sensor
# frame it refers to; the spec describes the video's frames; each refusal names the options that supply what is
# missing (exit 1, one line).
{
  echo "time_s,lat,lon,rel_alt_m,abs_alt_m,gimbal_yaw_deg,gimbal_pitch_deg"
  for t in 0 1 2 3 4 5 6 7; do echo "$t,29.25,47.55,100,210,90,-90"; done
} > "$work/nolens.csv"
refused() {  # refused EXPECTED ARGS...: drone analyze of the flight with ARGS exits 1 saying EXPECTED
  set +e
  "$didban" drone analyze "$work/sim/flight.mp4" --out "$work/o7" --no-video "${@:2}" > /dev/null 2> "$work/err7.txt"
  local rc=$?
  set -e
  [[ $rc == 1 ]] || { echo "refused $*: rc $rc"; exit 1; }
  [[ "$(cat "$work/err7.txt")" == "drone analyze: $1" ]] || { echo "refused: $(cat "$work/err7.txt")"; exit 1; }
}
refused "$work/nolens.csv: no lens: the camera spec has none (hfov=DEG, focal35=MM, focal=MM with sensor=WxH) and the telemetry has no focal length: give one, or --camera-profile NAME (mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, p4rtk, m300-h20-wide, m300-h20-zoom)" --telemetry "$work/nolens.csv"
refused "$work/nolens.csv: focal35=24 refers to the camera's full sensor frame, which is not known (a 16:9 video is a crop of a 4:3 or 3:2 frame): give --camera-profile NAME (mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, p4rtk, m300-h20-wide, m300-h20-zoom), aspect=W:H of the sensor in --camera, or the video's own hfov=DEG" --telemetry "$work/nolens.csv" --camera focal35=24
refused "--camera: width=640, height=720 but the video $work/sim/flight.mp4 is 1280x720 (the camera spec describes the analysed frames: leave width and height out)" --telemetry "$work/nolens.csv" --camera width=640
refused "camera profile: unknown 'nosuch' (known: mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, p4rtk, m300-h20-wide, m300-h20-zoom)" --telemetry "$work/nolens.csv" --camera-profile nosuch
"$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$work/nolens.csv" --camera-profile mavic3 --out "$work/o8" \
  --no-video > "$work/an8.txt"
[[ "$(head -1 "$work/an8.txt")" == "camera: camera profile mavic3 (given); 4:3 sensor frame 17.3x12.9619 mm, lens 24 mm equivalent (profile), 1280x720 video = 100 % of the frame's width: hfov 71.61 deg, vfov 44.17 deg" ]] || { echo "camera line: $(head -1 "$work/an8.txt")"; exit 1; }

# A DJI SRT holding several recordings (its frame counter restarts) is matched to the video or refused, listing the
# recordings and the option: never a pose from another recording.
srt="${2:-../shared/data}/drone/dji_srt/mavic_2pro_new.SRT"
if [[ -f "$srt" ]]; then
  set +e
  "$didban" drone analyze "$work/sim/flight.mp4" --telemetry "$srt" --out "$work/o6" --no-video 2> "$work/err6.txt"
  rc=$?
  set -e
  [[ $rc == 1 ]] || { echo "several recordings: rc $rc"; exit 1; }
  [[ "$(head -1 "$work/err6.txt")" == "drone analyze: $srt: the video (150 frames, 6.000 s) matches none of its recordings: the file holds 12 recordings (its frame counter restarts):" ]] ||
    { echo "several recordings: $(head -1 "$work/err6.txt")"; exit 1; }
  [[ "$(tail -1 "$work/err6.txt")" == "choose the video's recording with --telemetry-segment N (0: the video is all of them joined)" ]] ||
    { echo "several recordings: $(tail -1 "$work/err6.txt")"; exit 1; }
elif [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; then
  echo "test material missing under CI: $srt"
  exit 1
fi
echo "drone_analyze: ok"
