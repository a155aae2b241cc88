#!/usr/bin/env bash
# `didban drone georef`: a synthetic hovering flight with known pixel -> ground answers, a real DJI SRT, and exact
# error messages.
set -euo pipefail
didban="$1"
data="${2:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "expected [$2], got [$1]"; }

# Hovering at 100 m over (47, 8), nadir, north up; 90 deg HFOV on 4000 px: 1000 px = 50 m on the ground.
cat > tel.csv <<'CSV'
time_s,lat,lon,alt_m,yaw_deg,pitch_deg,roll_deg,gimbal_pitch_deg,gimbal_yaw_deg
0,47.0,8.0,100,0,0,0,-90,0
1,47.0,8.0,100,0,0,0,-90,0
CSV
cat > tracks.txt <<'MOT'
1,1,1950,1450,100,100,1,-1,-1,-1
2,1,2950,1450,100,100,1,-1,-1,-1
3,2,1950,450,100,100,1,-1,-1,-1
MOT
# Footprints follow the video's frames (--frames, default the last tracked frame), within the telemetry.
out=$("$didban" drone georef --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --frames 31 --out g)
expect_eq "$(tail -1 <<<"$out")" "georeferenced 3 of 3 rows (0 above the horizon), 2 telemetry samples (csv), 2 footprints"
expect_eq "$(head -1 <<<"$out")" "camera: 4000x3000 video of the given hfov 90.00 deg, vfov 73.74 deg"
out=$("$didban" drone georef --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --out g1)
expect_eq "$(tail -1 <<<"$out")" "georeferenced 3 of 3 rows (0 above the horizon), 2 telemetry samples (csv), 1 footprints"
expect_eq "$(cat g/tracks.csv)" "frame,time,id,lat,lon,x,y
1,0.000,1,47.00000000,8.00000000,0.00,0.00
2,0.033,1,47.00000000,8.00065741,50.00,0.00
3,0.067,2,47.00044976,8.00000000,0.00,50.00"
for f in tracks.geojson flight.geojson flight.kml; do [[ -s "g/$f" ]] || fail "missing g/$f"; done
grep -q '"LineString"' g/tracks.geojson || fail "no track line"
expect_eq "$(grep -o '"kind":"footprint"' g/flight.geojson | wc -l)" "2"

# --yaw 90 turns the image: its right edge points south.
out=$("$didban" drone georef --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --yaw 90 --out y)
expect_eq "$(sed -n 3p y/tracks.csv)" "2,0.033,1,46.99955024,8.00000000,0.00,-50.00"

in_ci() { [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; }
if [[ -z "$data" || ! -f "$data/drone/dji_srt/p4_rtk.SRT" ]] && in_ci; then
  fail "test material missing under CI: ${data:-(no data directory given)}/drone/dji_srt"
fi

# A real DJI SRT (Phantom 4 RTK, 1 Hz, gimbal pitch -24.4): one oblique pixel.
if [[ -n "$data" && -f "$data/drone/dji_srt/p4_rtk.SRT" ]]; then
  echo '1,1,100,100,100,100,1,-1,-1,-1' > one.txt
  out=$("$didban" drone georef --telemetry "$data/drone/dji_srt/p4_rtk.SRT" --tracks one.txt \
    --camera focal35=24,width=3840,height=2160 --fps 1 --frames 55 --out p4)
  expect_eq "$(tail -1 <<<"$out")" "georeferenced 1 of 1 rows (0 above the horizon), 55 telemetry samples (dji-srt), 2 footprints"
  # Recognised as a Phantom 4 RTK (3:2 frame): 73.74 deg hfov, not the 76.31 of the old conversion (which put this
  # pixel near the horizon at 1225.55,-183.24).
  expect_eq "$(head -1 <<<"$out")" "camera: camera profile p4rtk recognised from the SRT: F.PRY and G.PRY attitude \
tuples (the Phantom 4 RTK's SRT layout); 3:2 sensor frame 13.2x8.8 mm, lens 24 mm equivalent, 3840x2160 video = 100 % \
of the frame's width: hfov 73.74 deg, vfov 45.75 deg"
  expect_eq "$(sed -n 2p p4/tracks.csv)" "1,0.000,1,-34.23530525,-58.83776202,897.98,-288.26"
fi

# Errors: exit 1 and one clear line.
check_error() {
  local expected="$1"
  shift
  set +e
  local err
  err=$("$didban" drone georef "$@" 2>&1)
  local rc=$?
  set -e
  expect_eq "$rc" "1"
  expect_eq "$err" "$expected"
}
check_error "didban drone georef: frame 1: tel.csv: telemetry has no frame numbers; a frame rate (fps) is needed" \
  --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --out e
check_error "didban drone georef: missing.srt: cannot open (No such file or directory)" \
  --telemetry missing.srt --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --out e
printf 'time_s,lat,lon,alt_m\n0,47.0,8.0,100\n' > noyaw.csv
check_error "didban drone georef: noyaw.csv: no yaw (aircraft or gimbal heading) in any record: give the camera yaw \
(compass heading of the image top) with --yaw DEGREES" \
  --telemetry noyaw.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --out e
printf '1\n00:00:00,000 --> 00:00:01,000\n[latitude: 47.0] [longitude: 8.x]\n' > bad.srt
check_error "didban drone georef: bad.srt:3: longitude: not a number: '8.x'" \
  --telemetry bad.srt --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --out e
check_error "didban drone georef: camera spec: unknown key 'fov' (expected width, height, hfov, sensor, aspect, focal, \
focal35, dfov, crop, profile)" \
  --telemetry tel.csv --tracks tracks.txt --camera fov=90,width=4000,height=3000 --out e
printf 'time_s,lat,lon\n0,47.0,8.0\n' > bare.csv
check_error "didban drone georef: bare.csv: no altitude (height above take-off or above sea level) in any record: give \
the flight height above the take-off point with --height METRES; no yaw (aircraft or gimbal heading) in any record: \
give the camera yaw (compass heading of the image top) with --yaw DEGREES" \
  --telemetry bare.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --out e
# --height supplies the altitude: 100 m as in tel.csv, so the same answer.
out=$("$didban" drone georef --telemetry bare.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --height 100 --yaw 0 --frames 1 --out h)
expect_eq "$(sed -n 3p h/tracks.csv)" "2,0.033,1,47.00000000,8.00065741,50.00,0.00"

# A 0-based frame column: video frame 1 is the row with frame 0 (detected, or --frame-base 0).
cat > zero.csv <<'CSV'
time_s,frame,lat,lon,alt_m,yaw_deg
0,0,47.0,8.0,100,0
0.04,1,47.001,8.0,100,0
0.08,2,47.002,8.0,100,0
CSV
echo '1,1,1950,1450,100,100,1,-1,-1,-1' > one0.txt
"$didban" drone georef --telemetry zero.csv --tracks one0.txt --camera hfov=90,width=4000,height=3000 --out z >/dev/null
expect_eq "$(sed -n 2p z/tracks.csv)" "1,0.000,1,47.00000000,8.00000000,0.00,0.00"
"$didban" drone georef --telemetry zero.csv --tracks one0.txt --camera hfov=90,width=4000,height=3000 --frame-base 0 \
  --out z0 >/dev/null
expect_eq "$(sed -n 2p z0/tracks.csv)" "1,0.000,1,47.00000000,8.00000000,0.00,0.00"
check_error "didban drone georef: zero.csv:1: the frame column has frame 0 but was given as 1-based (frame base 1)" \
  --telemetry zero.csv --tracks one0.txt --camera hfov=90,width=4000,height=3000 --frame-base 1 --out e

if [[ -n "$data" && -f "$data/drone/dji_srt/mavic_2pro_new.SRT" ]]; then
  # Twelve recordings in one SRT (the frame counter restarts): refused without the video's length, matched by it.
  srt="$data/drone/dji_srt/mavic_2pro_new.SRT"
  recordings="the file holds 12 recordings (its frame counter restarts):
  1: frames 218..820 (603), 0.000..24.160 s, recorded 2019-09-27 10:28:08.438, lines 1..3217
  2: frames 1..1229 (1229), 24.160..73.400 s, recorded 2019-09-27 10:28:46.732, lines 3223..10567
  3: frames 2..837 (836), 73.400..106.920 s, recorded 2019-09-27 10:30:40.859, lines 10573..15307
  4: frames 2..492 (491), 106.920..126.600 s, recorded 2019-09-27 10:32:51.655, lines 15313..18091
  5: frames 1..622 (622), 126.600..151.520 s, recorded 2019-09-27 10:33:25.224, lines 18097..21823
  6: frames 2..529 (528), 151.520..172.720 s, recorded 2019-09-27 10:35:43.967, lines 21829..24589
  7: frames 1..615 (615), 172.720..197.360 s, recorded 2019-09-27 10:50:14.900, lines 24595..28279
  8: frames 1..936 (936), 197.360..234.840 s, recorded 2019-09-27 11:06:52.876, lines 28285..33823
  9: frames 2..1035 (1034), 234.840..276.280 s, recorded 2019-09-27 11:07:47.145, lines 33829..39733
  10: frames 1..496 (496), 276.280..296.160 s, recorded 2019-09-27 11:09:33.587, lines 39739..42691
  11: frames 1..793 (793), 296.160..327.920 s, recorded 2019-09-27 11:10:10.597, lines 42697..47413
  12: frames 1..1049 (1049), 327.920..369.880 s, recorded 2019-09-27 11:10:59.604, lines 47419..53707
choose the video's recording with --telemetry-segment N (0: the video is all of them joined)"
  echo '1,1,1870,1030,100,100,1,-1,-1,-1' > centre.txt
  m2=(--tracks centre.txt --camera focal35=28,width=3840,height=2160 --height 100 --yaw 0)
  check_error "didban drone georef: $srt: cannot match the video without its frame count or duration (--frames): \
$recordings" --telemetry "$srt" "${m2[@]}" --out e
  check_error "didban drone georef: $srt: the video (700 frames, 28.000 s) matches none of its recordings: $recordings" \
    --telemetry "$srt" "${m2[@]}" --frames 700 --fps 25 --out e
  out=$("$didban" drone georef --telemetry "$srt" "${m2[@]}" --frames 1229 --fps 25 --out m2)
  expect_eq "$(tail -1 <<<"$out")" "georeferenced 1 of 1 rows (0 above the horizon), 1225 telemetry samples (dji-srt), 41 footprints"
  expect_eq "$(sed -n 2p m2/tracks.csv)" "1,0.000,1,-35.08135700,-60.28630700,0.00,0.00"
  out=$("$didban" drone georef --telemetry "$srt" "${m2[@]}" --telemetry-segment 12 --out m12)
  expect_eq "$(sed -n 2p m12/tracks.csv)" "1,0.000,1,-35.07959500,-60.30903500,0.00,0.00"
  bad_segment_list=${recordings#*:$'\n'}
  check_error "didban drone georef: $srt: there is no recording 13 (1..12, or 0 for all of them joined):
${bad_segment_list%$'\n'choose*}" --telemetry "$srt" "${m2[@]}" --telemetry-segment 13 --out e
fi

if [[ -n "$data" && -f "$data/drone/px4_ulog/sample.ulg" ]]; then
  # A ULog cut mid-record: read up to its last complete record, with a warning on stderr.
  head -c $(( $(stat -c %s "$data/drone/px4_ulog/sample.ulg") / 2 )) "$data/drone/px4_ulog/sample.ulg" > cut.ulg
  echo '1,1,100,100,100,100,1,-1,-1,-1' > one.txt
  # Its first half has no position and no altitude: both named, with the options that supply them.
  check_error "didban drone georef: warning: cut.ulg: the log is cut at byte 2026617, inside a 'D' record of 128 bytes \
(65 present); its last complete data timestamp is 146.694306 s on the log's clock, 34.119999 s into the telemetry, \
where the telemetry ends
didban drone georef: cut.ulg: no position (latitude/longitude) in any record: give a telemetry file of the flight that \
has one (a log with GPS positions, a DJI flight-log CSV or a plain CSV: docs/drone.md); no altitude (height above \
take-off or above sea level) in any record: give the flight height above the take-off point with --height METRES" \
    --telemetry cut.ulg --tracks one.txt --camera hfov=90,width=4000,height=3000 --fps 30 --out u
fi
# Camera model (docs/aerial.md): a 35 mm-equivalent focal length refers to the sensor's full frame, so without
# one it is refused; a profile or the frame's aspect supplies it. 4:3 frame, 24 mm, 16:9 video, 100 m, nadir, yaw 0:
# the ground is 144.22 m wide, so the right edge (x = 3840) lies 72.11 m east.
cat > tel24.csv <<'CSV'
time_s,lat,lon,alt_m,yaw_deg,gimbal_pitch_deg,focal35_mm
0,47.0,8.0,100,0,-90,24
1,47.0,8.0,100,0,-90,24
CSV
echo '1,1,3790,1030,100,100,1,-1,-1,-1' > edge.txt
names="mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, p4rtk, m300-h20-wide, m300-h20-zoom"
check_error "didban drone georef: tel24.csv: the telemetry's 35 mm-equivalent focal length (24 mm) refers to the \
camera's full sensor frame, which is not known (a 16:9 video is a crop of a 4:3 or 3:2 frame): give --camera-profile \
NAME ($names), aspect=W:H of the sensor in --camera, or the video's own hfov=DEG" \
  --telemetry tel24.csv --tracks edge.txt --camera width=3840,height=2160 --fps 1 --out e
out=$("$didban" drone georef --telemetry tel24.csv --tracks edge.txt --camera width=3840,height=2160,aspect=4:3 --fps 1 \
  --out a43)
expect_eq "$(head -1 <<<"$out")" "camera: 4:3 sensor frame, lens 24 mm equivalent (telemetry focal length), 3840x2160 \
video = 100 % of the frame's width: hfov 71.59 deg, vfov 44.16 deg"
expect_eq "$(sed -n 2p a43/tracks.csv | cut -d, -f6,7)" "72.11,0.00"
out=$("$didban" drone georef --telemetry tel24.csv --tracks edge.txt --camera width=3840,height=2160 --camera-profile \
  air2 --fps 1 --out air2)
expect_eq "$(head -1 <<<"$out")" "camera: camera profile air2 (given); 4:3 sensor frame 6.4x4.8 mm, lens 24 mm \
equivalent (telemetry focal length), 3840x2160 video = 100 % of the frame's width: hfov 71.59 deg, vfov 44.16 deg"
check_error "didban drone georef: camera profile: unknown 'mavic9' (known: $names)" \
  --telemetry tel24.csv --tracks edge.txt --camera width=3840,height=2160 --camera-profile mavic9 --fps 1 --out e

# Control points: the camera of tel.csv really looks 30 deg east of north from 2 m east and 1 m south of where the
# telemetry says; four image points with their true positions give that back.
cat > cp.csv <<'CSV'
# frame,x,y: pixels of the 4000x3000 video; lat,lon: surveyed
frame,x,y,lat,lon
1,500,400,47.00075678,7.99953387
1,3500,600,47.00000424,8.00117613
2,2000,2900,46.99944570,7.99956611
2,1000,2500,46.99982638,7.99912826
CSV
out=$("$didban" drone georef --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --yaw 0 --control-points cp.csv --out cp)
expect_eq "$(sed -n 2p <<<"$out" | sed 's/ (line [0-9]*)$//')" "control points: yaw 30.00 deg (the given 0 +30.00), \
offset east 2.00 m north -1.00 m; residuals of 4 control points: rms 0.00 m, median 0.00 m, max 0.00 m"
expect_eq "$(head -2 cp/control_points.csv | cut -d, -f1,2)" "line,frame
3,1"
printf 'frame,x,y,lat,lon\n1,500,400,47.0,8.0\n2,10,20,47.1\n' > bad_cp.csv
check_error "didban drone georef: bad_cp.csv:3: expected 5 fields, got 4" \
  --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --control-points bad_cp.csv \
  --out e
printf 'frame,x,y,lat,lon\n1,500,400,47.0,north\n' > bad_cp2.csv
check_error "didban drone georef: bad_cp2.csv:2: lon: not a number: 'north'" \
  --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --control-points bad_cp2.csv \
  --out e
printf 'frame,x,y,lat\n' > bad_cp3.csv
check_error "didban drone georef: bad_cp3.csv:1: missing column 'lon' (the header needs frame, x, y, lat, lon)" \
  --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --control-points bad_cp3.csv \
  --out e
# No yaw in the telemetry: the control points give it.
out=$("$didban" drone georef --telemetry noyaw.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 \
  --fps 30 --control-points cp.csv --frames 1 --out cpn)
expect_eq "$(sed -n 2p <<<"$out" | cut -d, -f1)" "control points: yaw 30.00 deg (fitted; the telemetry has none)"

echo "drone_georef_cli: ok"
