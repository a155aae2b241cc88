#!/usr/bin/env bash
# Counts of the default detector on the real road clips against the counts by eye (issue 15).
#
#   bench/traffic_counts.sh [--didban build/didban] [--data ../shared/data] [--out /tmp/traffic_counts]
#                           [--tolerance-s 1.0] [--reuse] [--detector '{type: motion, ...}'] [SITE.yaml ...]
#
# For each site file (default: every tests/traffic/*.yaml) runs
#   didban analyze CLIP --site SITE --no-video --quiet --out OUT/<site stem>
# (the site files hold only lines: the detector is the default one), then compares the line_cross events of
# events.jsonl with tests/traffic/truth_crossings.csv per line and direction:
#   truth, counted, error % ((counted - truth) / truth), and crossing by crossing: an event matches an unmatched
#   crossing by eye of the same line and direction within --tolerance-s seconds (nearest pairs first); crossings left
#   are "missed"; events left are "double" when a crossing of the same line and direction (already matched) lies
#   within the tolerance (one vehicle counted twice), else "false"; an event that only matches a crossing of the
#   other direction is "wrong dir" (and that crossing is missed). matched error = (missed + double + false + wrong)
#   / truth. lag: the median of didban's frame minus the frame by eye over the matched crossings. Classes: over the
#   matched crossings, didban's class against the class by eye as heavy (truck, bus) or light (car, van, motorcycle).
# Event times are turned into frame numbers (decoded frame index from 0, as in the truth) with ffprobe's frame
# timestamps, relative to the first packet, as didban's source does.
# --reuse: do not run didban when OUT/<stem>/events.jsonl exists (to re-print the table).
# --detector SPEC: the same detector settings on every clip (a YAML flow mapping, as a site file's `detector:`),
#   written into copies of the site files under OUT/sites/: to compare settings against the default.
# Exit status 0 when every run completed (the table is a measurement, not a pass/fail test).
set -euo pipefail
cd "$(dirname "$0")/.."

didban=build/didban
data=../shared/data
out=/tmp/traffic_counts
tol=1.0
reuse=0
detector=
sites=()
while (($#)); do
  case "$1" in
    --didban) didban=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tolerance-s) tol=$2; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --detector) detector=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) sites+=("$1"); shift ;;
  esac
done
((${#sites[@]})) || sites=(tests/traffic/*.yaml)
if [[ ! -x $didban ]]; then
  echo "traffic_counts: $didban not found (build it: cmake --build build --target didban)" >&2
  exit 2
fi
for tool in ffprobe python3; do
  command -v $tool >/dev/null || { echo "traffic_counts: $tool not found" >&2; exit 2; }
done
mkdir -p "$out"
if [[ -n $detector ]]; then
  mkdir -p "$out/sites"
  copies=()
  for site in "${sites[@]}"; do
    copy="$out/sites/$(basename "$site")"
    # The detector line goes just before the camera's rules (the site files hold one camera).
    awk -v det="    detector: $detector" '/^    rules:/ && !done {print det; done = 1} {print}' "$site" >"$copy"
    copies+=("$copy")
  done
  sites=("${copies[@]}")
fi

runs=()
for site in "${sites[@]}"; do
  stem=$(basename "$site" .yaml)
  uri=$(sed -n 's/^ *uri: *//p' "$site" | head -1)
  clip="$data/${uri#*shared/data/}"
  [[ -f $clip ]] || { echo "traffic_counts: $site: clip $clip not found" >&2; exit 2; }
  dir="$out/$stem"
  if ((reuse)) && [[ -f $dir/events.jsonl ]]; then
    :
  else
    rm -rf "$dir"
    t0=$(date +%s%N)
    nice -n 5 "$didban" analyze "$clip" --site "$site" --no-video --quiet --out "$dir" >"$out/$stem.log" 2>&1 || {
      echo "traffic_counts: didban analyze failed on $clip (log: $out/$stem.log):" >&2
      tail -5 "$out/$stem.log" >&2
      exit 1
    }
    echo "$stem: $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
  fi
  # Frame times, relative to the first packet (pts, else dts), as didban's FfmpegSource computes them.
  first=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,dts_time -read_intervals '%+#1' \
    -of default=nw=1 "$clip" | awk -F= '$2 != "N/A" {print $2; exit}')
  ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time,pkt_dts_time \
    -of default=nw=1 "$clip" >"$dir/frame_times.txt"
  runs+=("$site|$clip|$dir|${first:-0}")
done

python3 - "$tol" "${runs[@]}" <<'EOF'
import csv, json, os, re, sys

tol = float(sys.argv[1])
truth = list(csv.DictReader(open("tests/traffic/truth_crossings.csv")))


def frame_times(path, first):
    """Per decoded frame its time in seconds from the first packet (best effort timestamp, else packet dts)."""
    times, cur = [], {}
    for line in open(path):
        k, _, v = line.strip().partition("=")
        cur[k] = v
        if "best_effort_timestamp_time" in cur and "pkt_dts_time" in cur:
            t = cur["best_effort_timestamp_time"]
            if t == "N/A":
                t = cur["pkt_dts_time"]
            times.append(None if t == "N/A" else float(t) - first)
            cur = {}
    known = [t for t in times if t is not None]
    step = (known[-1] - known[0]) / max(1, len(known) - 1) if len(known) > 1 else 0.04
    for i, t in enumerate(times):  # a frame without a timestamp: one step after the previous one
        if t is None:
            times[i] = times[i - 1] + step if i else 0.0
    return times


def to_frame(times, t):
    lo, hi = 0, len(times) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    if lo > 0 and abs(times[lo - 1] - t) <= abs(times[lo] - t):
        lo -= 1
    return lo


rows = []
pairs_cls = []  # (class by eye, didban's class) of every matched crossing
for run in sys.argv[2:]:
    site, clip, outdir, first = run.split("|")
    name = os.path.basename(clip)
    times = frame_times(os.path.join(outdir, "frame_times.txt"), float(first))
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 25
    lines = []  # (line, in name, out name) from the site file's line rules
    for m in re.finditer(r"type: *line, *name: *([^,}]+),.*?in: *([^,}]+), *out: *([^,}\s]+)", open(site).read()):
        lines.append((m.group(1).strip(), m.group(2).strip(), m.group(3).strip()))
    events = []
    for l in open(os.path.join(outdir, "events.jsonl")):
        e = json.loads(l)
        if e.get("type") != "line_cross":
            continue
        d = e.get("detail", "")
        d = d[len("direction="):] if d.startswith("direction=") else d
        events.append({"line": e.get("rule"), "dir": d, "frame": to_frame(times, e["time_s"]), "track": e["track_id"],
                       "class": e.get("class", "unknown")})
    summary = json.load(open(os.path.join(outdir, "summary.json")))
    for line, din, dout in lines:
        tl = [t for t in truth if t["clip"] == name and t["line"] == line]
        el = [e for e in events if e["line"] == line]
        # Nearest pairs first, same direction.
        pairs = sorted((abs(e_i["frame"] - int(t["frame"])), ei, ti)
                       for ei, e_i in enumerate(el) for ti, t in enumerate(tl)
                       if e_i["dir"] == t["direction"] and abs(e_i["frame"] - int(t["frame"])) <= tol * fps)
        em, tm = {}, {}
        for _, ei, ti in pairs:
            if ei not in em and ti not in tm:
                em[ei], tm[ti] = ti, ei
        for ei, ti in em.items():
            pairs_cls.append((tl[ti]["class"], el[ei]["class"], name))
        for d in (din, dout):
            n_truth = sum(1 for t in tl if t["direction"] == d)
            n_ev = sum(1 for e in el if e["dir"] == d)
            matched = sum(1 for ei in em if el[ei]["dir"] == d)
            lags = sorted(el[ei]["frame"] - int(tl[ti]["frame"]) for ei, ti in em.items() if el[ei]["dir"] == d)
            lag = "%+d" % lags[len(lags) // 2] if lags else ""
            missed = [int(t["frame"]) for ti, t in enumerate(tl) if t["direction"] == d and ti not in tm]
            double, false, wrong = [], [], []
            for ei, e in enumerate(el):
                if e["dir"] != d or ei in em:
                    continue
                near_same = [t for t in tl if t["direction"] == d and abs(e["frame"] - int(t["frame"])) <= tol * fps]
                near_other = [t for t in tl if t["direction"] != d and abs(e["frame"] - int(t["frame"])) <= tol * fps]
                (double if near_same else wrong if near_other else false).append(e["frame"])
            if n_truth == 0 and n_ev == 0:
                continue
            err = "%+.0f %%" % (100.0 * (n_ev - n_truth) / n_truth) if n_truth else "-"
            n_bad = len(missed) + len(double) + len(false) + len(wrong)
            merr = "%.0f %%" % (100.0 * n_bad / n_truth) if n_truth else "-"
            rows.append([name, line, d, n_truth, n_ev, err, matched, len(missed), len(double), len(false), len(wrong),
                         merr, lag, " ".join(map(str, missed)), " ".join(map(str, double + false + wrong)),
                         summary.get("tracks", "")])

hdr = ["clip", "line", "direction", "truth", "counted", "error", "matched", "missed", "double", "false", "wrong dir",
       "matched error", "lag", "missed frames (by eye)", "extra frames (didban)", "tracks"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for r in rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
T = sum(r[3] for r in rows)
C = sum(r[4] for r in rows)
M = sum(r[6] for r in rows)
bad = sum(r[7] + r[8] + r[9] + r[10] for r in rows)
print("| all | | | %d | %d | %+.0f %% | %d | %d | %d | %d | %d | %.0f %% | | | | |" % (
    T, C, 100.0 * (C - T) / T, M, sum(r[7] for r in rows), sum(r[8] for r in rows), sum(r[9] for r in rows),
    sum(r[10] for r in rows), 100.0 * bad / T))
# Classes: heavy (truck, bus) against light (car, van, motorcycle, bicycle) over the matched crossings that have a
# class.
group = {"truck": "heavy", "bus": "heavy", "car": "light", "van": "light", "motorcycle": "light", "bicycle": "light"}


def classes(pairs, label):
    known = [(t, c) for t, c, _ in pairs if c != "unknown"]
    right = sum(1 for t, c in known if group.get(t, t) == group.get(c, c))
    heavy = [(t, c) for t, c in known if group.get(t, t) == "heavy"]
    heavy_right = sum(1 for t, c in heavy if group.get(c, c) == "heavy")
    light_right = sum(1 for t, c in known if group.get(t, t) != "heavy" and group.get(c, c) != "heavy")
    by = {}
    for _, c, _ in pairs:
        by[c] = by.get(c, 0) + 1
    print("classes%s: %d matched crossings, %d with a class (%s); heavy/light right on %d%s (heavy %d of %d, light %d"
          " of %d)" % (label, len(pairs), len(known), ", ".join("%s %d" % kv for kv in sorted(by.items())), right,
                       " (%.0f %%)" % (100.0 * right / len(known)) if known else "", heavy_right, len(heavy),
                       light_right, len(known) - len(heavy)))


classes(pairs_cls, "")
# Tuning set and held-out set (docs/traffic.md, "Held-out discipline"): totals and classes of each.
TUNING = {"bgslibrary_video02.avi", "bgslibrary_video03.avi", "autostrade_a04_low_sun.mp4", "suburban_street.mp4"}
for label, member in (("tuning", lambda n: n in TUNING), ("held out", lambda n: n not in TUNING)):
    rs = [r for r in rows if member(r[0])]
    t = sum(r[3] for r in rs)
    if not t:
        continue
    b = sum(r[7] + r[8] + r[9] + r[10] for r in rs)
    worst = max((int(r[11].rstrip(" %")) for r in rs if r[3]), default=0)
    print("%s: by eye %d, counted %d, matched %d, missed %d, double %d, false %d, wrong dir %d: matched error %.0f %%"
          " (worst line/direction %d %%; rows within 5 %%: %d of %d)" % (
              label, t, sum(r[4] for r in rs), sum(r[6] for r in rs), sum(r[7] for r in rs), sum(r[8] for r in rs),
              sum(r[9] for r in rs), sum(r[10] for r in rs), 100.0 * b / t, worst,
              sum(1 for r in rs if r[3] and int(r[11].rstrip(" %")) <= 5), sum(1 for r in rs if r[3])))
    classes([p for p in pairs_cls if member(p[2])], " (" + label + ")")
print("(tolerance %.2f s; frames are decoded frame indices from 0; lag: median of didban's frame minus the frame"
      " by eye over the matched crossings)" % tol)
EOF
