#!/usr/bin/env bash
# `didban plan survey|perimeter`: exact summaries, the exported files and exact error messages.
set -euo pipefail
didban="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "expected [$2], got [$1]"; }

cat > area.geojson <<'JSON'
{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[8.0, 47.0], [8.01, 47.0],
 [8.01, 47.005], [8.0, 47.005], [8.0, 47.0]]]}}
JSON
cat > lshape.geojson <<'JSON'
{"type": "Polygon", "coordinates": [[[8.0, 47.0], [8.012, 47.0], [8.012, 47.003], [8.004, 47.003], [8.004, 47.009],
 [8.0, 47.009], [8.0, 47.0]]]}
JSON

# Survey of a 760 m x 556 m rectangle at 100 m with a 200 m x 150 m footprint and 50 % overlap.
out=$("$didban" plan survey --area area.geojson --altitude 100 --camera hfov=90,width=4000,height=3000 --overlap 50 \
  --out survey)
expect_eq "$out" "survey: 5 lines, 10 waypoints, 60 photos, line spacing 100.0 m, trigger distance 75.0 m, direction 0.0 deg
coverage 100.00 %, length 4202.7 m, flight time 420.3 s"
for f in survey.plan survey.kml survey.geojson; do [[ -s "survey/$f" ]] || fail "missing survey/$f"; done
expect_eq "$(grep -c '"command": 16' survey/survey.plan)" "10"
expect_eq "$(grep -c '"type": "SimpleItem"' survey/survey.plan)" "10"
expect_eq "$(grep -c '"frame": 3' survey/survey.plan)" "10"
grep -q '"fileType": "Plan"' survey/survey.plan || fail "no fileType"
grep -q '"plannedHomePosition": \[' survey/survey.plan || fail "no plannedHomePosition"
grep -q '<LineString>' survey/survey.kml || fail "no KML line"

# A concave (L-shaped) area with a real camera (1" sensor, 8.8 mm) at 80 m and 70 % overlap.
out=$("$didban" plan survey --area lshape.geojson --altitude 80 --camera sensor=13.2x8.8,focal=8.8,width=5472,height=3648 \
  --overlap 70 --speed 12 --out l)
expect_eq "$out" "survey: 23 lines, 46 waypoints, 924 photos, line spacing 36.0 m, trigger distance 24.0 m, direction 132.4 deg
coverage 100.00 %, length 22408.8 m, flight time 1867.4 s"

# Perimeter 10 m outside the rectangle.
out=$("$didban" plan perimeter --area area.geojson --altitude 60 --offset 10 --speed 8 --out perimeter)
expect_eq "$out" "perimeter: 5 waypoints, length 2712.8 m, flight time 339.1 s"
expect_eq "$(grep -c '"command": 16' perimeter/perimeter.plan)" "5"

# Errors: exit 1 and one clear line.
echo '{"type": "Point", "coordinates": [8, 47]}' > point.geojson
set +e
err=$("$didban" plan survey --area point.geojson --altitude 100 --camera hfov=90,width=4000,height=3000 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan survey: point.geojson: no Polygon found (expected a Polygon geometry, or a Feature or FeatureCollection holding one)"
set +e
err=$("$didban" plan survey --area missing.geojson --altitude 100 --camera hfov=90,width=4000,height=3000 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan survey: missing.geojson: cannot open (No such file or directory)"
set +e
err=$("$didban" plan survey --area area.geojson --altitude 100 --camera hfov=90 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan survey: camera spec: width and height (pixels) are required and must be positive"
set +e
err=$("$didban" plan perimeter --area area.geojson --altitude -5 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan perimeter: altitude must be positive, got -5"
echo "plan_cli: ok"
