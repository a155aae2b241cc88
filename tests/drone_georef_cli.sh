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
expect_eq "$out" "georeferenced 3 of 3 rows (0 above the horizon), 2 telemetry samples (csv), 2 footprints"
out=$("$didban" drone georef --telemetry tel.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 \
  --out g1)
expect_eq "$out" "georeferenced 3 of 3 rows (0 above the horizon), 2 telemetry samples (csv), 1 footprints"
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

# A real DJI SRT (Phantom 4 RTK, 1 Hz, gimbal pitch -24.4): one oblique pixel.
if [[ -n "$data" && -f "$data/drone/dji_srt/p4_rtk.SRT" ]]; then
  echo '1,1,100,100,100,100,1,-1,-1,-1' > one.txt
  out=$("$didban" drone georef --telemetry "$data/drone/dji_srt/p4_rtk.SRT" --tracks one.txt \
    --camera focal35=24,width=3840,height=2160 --fps 1 --frames 55 --out p4)
  expect_eq "$out" "georeferenced 1 of 1 rows (0 above the horizon), 55 telemetry samples (dji-srt), 2 footprints"
  expect_eq "$(sed -n 2p p4/tracks.csv)" "1,0.000,1,-34.23435820,-58.83420665,1225.55,-183.24"
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
check_error "didban drone georef: frame 1: telemetry at 0 s: no yaw in the telemetry (give the camera yaw)" \
  --telemetry noyaw.csv --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --fps 30 --out e
printf '1\n00:00:00,000 --> 00:00:01,000\n[latitude: 47.0] [longitude: 8.x]\n' > bad.srt
check_error "didban drone georef: bad.srt:3: longitude: not a number: '8.x'" \
  --telemetry bad.srt --tracks tracks.txt --camera hfov=90,width=4000,height=3000 --out e
check_error "didban drone georef: camera spec: unknown key 'fov' (expected width, height, hfov, sensor, focal, focal35)" \
  --telemetry tel.csv --tracks tracks.txt --camera fov=90,width=4000,height=3000 --out e
echo "drone_georef_cli: ok"
