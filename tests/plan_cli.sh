#!/usr/bin/env bash
# `didban plan survey|perimeter|check`: exact summaries, the exported files (every .plan checked against the rules of
# QGroundControl's plan loader by `didban plan check`) and exact error messages.
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
coverage 100.00 %, length 4202.7 m, flight time 420.3 s
mission: 11 items: speed 10.0 m/s, 10 waypoints"
for f in survey.plan survey.kml survey.geojson; do [[ -s "survey/$f" ]] || fail "missing survey/$f"; done
expect_eq "$(grep -c '"command": 16' survey/survey.plan)" "10"
expect_eq "$(grep -c '"type": "SimpleItem"' survey/survey.plan)" "11"
expect_eq "$(grep -c '"command": 178' survey/survey.plan)" "1"
expect_eq "$(grep -c '"hoverSpeed": 10.0' survey/survey.plan)" "1"
expect_eq "$(grep -c '"cruiseSpeed": 10.0' survey/survey.plan)" "1"
expect_eq "$(grep -c '"frame": 3' survey/survey.plan)" "10"
grep -q '"fileType": "Plan"' survey/survey.plan || fail "no fileType"
grep -q '"plannedHomePosition": \[' survey/survey.plan || fail "no plannedHomePosition"
grep -q '<LineString>' survey/survey.kml || fail "no KML line"

# A concave (L-shaped) area with a real camera (1" sensor, 8.8 mm) at 80 m and 70 % overlap.
out=$("$didban" plan survey --area lshape.geojson --altitude 80 --camera sensor=13.2x8.8,focal=8.8,width=5472,height=3648 \
  --overlap 70 --speed 12 --takeoff --rtl --out l)
expect_eq "$out" "survey: 23 lines, 46 waypoints, 924 photos, line spacing 36.0 m, trigger distance 24.0 m, direction 132.4 deg
coverage 100.00 %, length 22408.8 m, flight time 1867.4 s
mission: 49 items: speed 12.0 m/s, take-off to 80.0 m, 46 waypoints, return to launch"

# Perimeter 10 m outside the rectangle.
out=$("$didban" plan perimeter --area area.geojson --altitude 60 --offset 10 --speed 8 --takeoff --rtl --out perimeter)
expect_eq "$out" "perimeter: 5 waypoints, length 2712.8 m, flight time 339.1 s
mission: 8 items: speed 8.0 m/s, take-off to 60.0 m, 5 waypoints, return to launch"
expect_eq "$(grep -c '"command": 16' perimeter/perimeter.plan)" "5"
expect_eq "$(grep -c '"command": 22' perimeter/perimeter.plan)" "1"
expect_eq "$(grep -c '"command": 20' perimeter/perimeter.plan)" "1"
grep -q '"takeoff":true' perimeter/perimeter.geojson || fail "no takeoff property"

# Every plan made above passes the rules of QGroundControl's plan loader.
out=$("$didban" plan check survey/survey.plan l/survey.plan perimeter/perimeter.plan)
expect_eq "$out" "survey/survey.plan: ok: 11 items, 10 waypoints, speed 10.0 m/s (cruise 10.0, hover 10.0)
l/survey.plan: ok: 49 items, 46 waypoints, speed 12.0 m/s (cruise 12.0, hover 12.0), take-off, return to launch
perimeter/perimeter.plan: ok: 8 items, 5 waypoints, speed 8.0 m/s (cruise 8.0, hover 8.0), take-off, return to launch"
# A plan with 6 params in an item is refused, naming the file and the item.
cat > broken.plan <<'JSON'
{"fileType": "Plan", "groundStation": "QGroundControl", "version": 1,
 "geoFence": {"circles": [], "polygons": [], "version": 2}, "rallyPoints": {"points": [], "version": 2},
 "mission": {"firmwareType": 12, "plannedHomePosition": [47.0, 8.0, 0], "items": [
  {"autoContinue": true, "command": 178, "frame": 2, "params": [1, 5, -1, 0, 0, 0, 0], "type": "SimpleItem"},
  {"autoContinue": true, "command": 16, "frame": 3, "params": [0, 0, 0, null, 47.0, 8.0], "type": "SimpleItem"}]}}
JSON
set +e
err=$("$didban" plan check broken.plan 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan check: broken.plan: mission.items[1]: params must hold 7 values, got 6"

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
# A bow-tie area and an inward offset larger than the area.
echo '{"type": "Polygon", "coordinates": [[[8.0, 47.0], [8.01, 47.01], [8.01, 47.0], [8.0, 47.01], [8.0, 47.0]]]}' \
  > bowtie.geojson
set +e
err=$("$didban" plan survey --area bowtie.geojson --altitude 100 --camera hfov=90,width=4000,height=3000 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan survey: bowtie.geojson: the outer ring crosses or touches itself: its edge from position 0 to 1 meets its edge from position 2 to 3 at [8.005000, 47.005001]; an area must be a simple polygon (draw it without crossing edges, or split it)"
set +e
err=$("$didban" plan perimeter --area area.geojson --altitude 60 --offset -300 --out x 2>&1)
rc=$?
set -e
expect_eq "$rc" "1"
expect_eq "$err" "didban plan perimeter: area.geojson: an inward offset of 300 m is larger than the area allows (760.6 m long, 555.9 m across at its narrowest): 300 m inside the boundary, the route's edge along positions 1 to 2 vanishes; the largest inward offset for this area is 277.9 m"
echo "plan_cli: ok"
