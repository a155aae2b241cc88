#!/usr/bin/env bash
# Privacy masks, evidence packages and the audit log through `didban serve` and the CLI: a camera with a privacy mask
# records; its snapshot and its clip export come out with the polygon black (decoded and checked pixel by pixel); an
# export is a signed package that `didban export verify` accepts with the server's key and refuses, naming the file,
# once a byte of the clip changes; an unmasked export (the `unmask` flag) is audited as such; a blurred export names
# its classes in the manifest; marking and releasing evidence is audited; the audit log reads through the API and
# `didban audit`, verifies, and `didban audit verify` names the entry changed in the SQLite file.
#   bash tests/evidence_cli.sh <didban> <data-dir>
set -euo pipefail
source "$(dirname "$0")/tools/serve_lib.sh"
DIDBAN=$1
DATA=$(cd "$2" 2>/dev/null && pwd || echo "$2")
VIDEO="$DATA/video_fixed/bgslibrary_video02.avi"  # 320x240, 25 fps
need_file "$VIDEO"
work=$(mktemp -d)
pid=""
fail() { echo "FAIL: $*" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2; exit 1; }
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "FAIL: evidence_cli.sh line $LINENO" >&2; [ -f "$work/out.txt" ] && tail -20 "$work/out.txt" >&2' ERR
json() { json_reply "$1"; }
# Statistics of the gray levels of a picture (first frame of a video, or a JPEG) inside the mask's core (the polygon
# [[80,60],[240,60],[240,180],[80,180]] less 16 px, one macroblock, at each side) and outside it: "max_in mean_out".
gray_stats() {
  ffmpeg -v error -i "$1" -frames:v 1 -f rawvideo -pix_fmt gray -y "$work/frame.gray"
  python3 - "$work/frame.gray" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
w, h = 320, 240
assert len(b) == w * h, len(b)
inside = [b[y * w + x] for y in range(76, 165) for x in range(96, 225)]
outside = [b[y * w + x] for y in range(h) for x in range(w) if not (60 <= x <= 240 and 60 <= y <= 180)]
print(max(inside), sum(outside) // len(outside))
PY
}

cat > "$work/site.yaml" <<YAML
site:
  name: evidence-test
cameras:
  - name: highway
    uri: $VIDEO
    detector: {type: motion, model: mog2, warmup_s: 1.0}
    privacy_masks:
      - [[80, 60], [240, 60], [240, 180], [80, 180]]
YAML

start() {
  serve_start "$work/out.txt" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --speed 2
  pid=$SERVE_PID
  port=$PORT
}
stop() {
  serve_stop "$work/out.txt"
  pid=""
}

# A first run records a few seconds (its segments close at the stop); the snapshot is masked.
start
for _ in $(seq 100); do
  c=$(code GET /cameras/highway/snapshot.jpg) || c=0
  [ "$c" = 200 ] && break
  sleep 0.1
done
curl -sS --max-time 20 -o "$work/snap.jpg" "http://127.0.0.1:$port/api/v1/cameras/highway/snapshot.jpg"
read -r max_in mean_out <<< "$(gray_stats "$work/snap.jpg")"
[ "$max_in" -le 8 ] || fail "the snapshot shows pixels under the mask (max gray $max_in)"
[ "$mean_out" -ge 40 ] || fail "the snapshot outside the mask is dark (mean $mean_out)"
sleep 4
stop
[ -f "$work/data/keys/export_ed25519.key" ] || fail "no signing key"
[ "$(stat -c %a "$work/data/keys/export_ed25519.key")" = 600 ] || fail "the signing key is not 0600"

start
range=$(api GET "/cameras/highway/segments?from_us=0&to_us=$(date +%s)000000" |
  json '[(s["start_us"]+500000, min(s["end_us"], s["start_us"]+2500000)) for s in j["segments"] if not s["open"]][0]')
from=$(echo "$range" | tr -d '() ' | cut -d, -f1)
to=$(echo "$range" | tr -d '() ' | cut -d, -f2)

# The masked export: a signed package whose clip is black under the polygon.
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $from, \"to_us\": $to, \"reason\": \"case 7\", \"evidence\": true}")
[ "$c" = 202 ] || fail "masked export: HTTP $c"
id="highway-$from-$to"
pkg="$work/data/clips/$id"
[ "$(ls "$pkg" | tr '\n' ' ')" = "$id.mp4 manifest.json manifest.sig " ] || fail "package holds: $(ls "$pkg")"
python3 - "$pkg/manifest.json" <<'PY' || fail "manifest"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["camera"] == "highway" and m["reason"] == "case 7" and m["exported_by"] == "local", m
assert m["processing"]["masked"] is True and m["processing"]["reencoded"] in ("libx264", "mpeg4"), m["processing"]
assert [f["name"] for f in m["files"]] == [m["files"][0]["name"]] and len(m["files"][0]["sha256"]) == 64
PY
read -r max_in mean_out <<< "$(gray_stats "$pkg/$id.mp4")"
[ "$max_in" -le 8 ] || fail "the masked clip shows pixels under the mask (max gray $max_in)"
[ "$mean_out" -ge 40 ] || fail "the masked clip outside the mask is dark (mean $mean_out)"
api GET "/clips/$id" | json 'j["evidence"]' | grep -qx True || fail "the clip is not marked as evidence"

# The unmasked export (allowed without access control: everyone is local) shows the picture and is audited as such.
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $((from + 1)), \"to_us\": $to, \"unmask\": true}")
[ "$c" = 202 ] || fail "unmasked export: HTTP $c"
read -r max_in mean_out <<< "$(gray_stats "$work/data/clips/highway-$((from + 1))-$to/highway-$((from + 1))-$to.mp4")"
[ "$max_in" -gt 40 ] || fail "the unmasked clip is black under the mask (max gray $max_in)"

# A blurred export names its classes; an unknown class is refused naming the field; no files are left.
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $((from + 2)), \"to_us\": $to, \"blur_classes\": [\"person\", \"car\"]}")
[ "$c" = 202 ] || fail "blurred export: HTTP $c"
json 'j["processing"]["blurred_classes"]' < "$work/data/clips/highway-$((from + 2))-$to/manifest.json" |
  grep -qx "\['car', 'person'\]\|\['person', 'car'\]" || fail "blurred classes in the manifest"
field=$(api POST /clips "{\"camera\": \"highway\", \"from_us\": $((from + 3)), \"to_us\": $to, \"blur_classes\": [\"dragon\"]}" |
  json 'j["error"]["field"]')
[ "$field" = "blur_classes" ] || fail "unknown class refusal names '$field'"
[ ! -e "$work/data/clips/highway-$((from + 3))-$to" ] || fail "a refused export left a folder"
c=$(code POST /clips "{\"camera\": \"highway\", \"from_us\": $from, \"to_us\": $to}")
[ "$c" = 409 ] || fail "a second export of the same range: HTTP $c"

# Evidence release: needs a reason, is audited.
c=$(code PUT "/clips/$id/evidence" '{"evidence": false}')
[ "$c" = 400 ] || fail "release without a reason: HTTP $c"
api PUT "/clips/$id/evidence" '{"evidence": false, "reason": "case closed"}' | json 'j["evidence"]' | grep -qx False ||
  fail "release"
c=$(code PUT "/clips/nope/evidence" '{"evidence": false, "reason": "x"}')
[ "$c" = 404 ] || fail "release of a missing clip: HTTP $c"

# The audit log through the API: filters, paging, export.
actions=$(api GET "/audit?actor=local" | json '",".join(e["action"] for e in j["entries"] if e["action"].startswith(("clip", "evidence")))')
echo "$actions" | grep -q "clip_export,clip_export_unmasked,clip_export" || fail "audited exports: $actions"
echo "$actions" | grep -q "evidence_release" || fail "no evidence_release entry: $actions"
n=$(api GET "/audit?action=clip_export&limit=1" | json 'str(len(j["entries"])) + " " + str(j["next_after_seq"] > 0)')
[ "$n" = "1 True" ] || fail "paging: $n"
api GET "/audit?action=evidence_release" | json 'j["entries"][0]["detail"]["reason"]' | grep -qx "case closed" ||
  fail "the release's reason is not in the audit log"
lines=$(curl -sS --max-time 20 "http://127.0.0.1:$port/api/v1/audit/export?action=clip_export" | wc -l)
[ "$lines" -eq 2 ] || fail "audit export: $lines lines"
c=$(code GET "/audit?actor=x%27%20OR%20%271%27=%271")
[ "$c" = 200 ] || fail "SQL metacharacters in a filter: HTTP $c"
stop

# The CLI: the package verifies with the server's key; the audit chain verifies, lists and exports.
"$DIDBAN" export verify "$pkg" --key "$work/data/keys/export_ed25519.pub" > "$work/v.txt" || fail "export verify"
grep -q "signature valid" "$work/v.txt" || fail "export verify says: $(cat "$work/v.txt")"
"$DIDBAN" audit verify --data "$work/data" > "$work/a.txt" || fail "audit verify: $(cat "$work/a.txt")"
grep -q "chain intact" "$work/a.txt" || fail "audit verify says: $(cat "$work/a.txt")"
"$DIDBAN" audit list --data "$work/data" --action evidence_release | grep -q "clip:$id" || fail "audit list"
"$DIDBAN" audit export --data "$work/data" --out "$work/audit.jsonl" 2> /dev/null
entries=$(wc -l < "$work/audit.jsonl")
[ "$entries" -ge 6 ] || fail "audit export wrote $entries entries"

# Tampering: a changed byte of the clip, another key, a changed audit entry; each named.
printf 'x' | dd of="$pkg/$id.mp4" bs=1 seek=2000 conv=notrunc status=none
if "$DIDBAN" export verify "$pkg" --key "$work/data/keys/export_ed25519.pub" 2> "$work/e.txt"; then
  fail "a changed clip verified"
fi
grep -q "$id.mp4: SHA-256 does not match the manifest" "$work/e.txt" || fail "export verify says: $(cat "$work/e.txt")"
if "$DIDBAN" export verify "$pkg" --key 0000000000000000000000000000000000000000000000000000000000000001 \
  2> "$work/e.txt"; then
  fail "verified with another key"
fi
grep -q "manifest.json: the signature does not match" "$work/e.txt" || fail "other key: $(cat "$work/e.txt")"
sqlite3 "$work/data/audit.db" "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"
if "$DIDBAN" audit verify --data "$work/data" 2> "$work/e.txt"; then fail "a changed audit entry verified"; fi
grep -q "audit.db: entry 3: hash does not match its contents (changed)" "$work/e.txt" ||
  fail "audit verify says: $(cat "$work/e.txt")"
echo "evidence: OK"
