#!/usr/bin/env python3
"""Scores `didban drone analyze` tracks.csv (frame,time,id,lat,lon,x,y,class; frame 0-based, x/y the box centre in
pixels) against boxes, by the reported centre falling inside a box grown by MARGIN of its size on each side.

  score_tracks.py count TRACKS
      tracks=N points=M
  score_tracks.py target TRACKS GT [FIRST_FRAME]
      GT: frame,x,y,w,h,target (1-based frames, one box per frame; repeated frames use the first row; frames from
      FIRST_FRAME, 1-based, default 1). The target counts as detected in a frame when a track point lies in its box.
      target_frames=N detected=M fraction=F
  score_tracks.py boxes TRACKS ANNOTATION
      ANNOTATION: frame,x,y,w,h,ignore (0-based frames; every moving vehicle of the frame boxed; ignore=1 marks a box
      whose object is uncertain: reports there count neither way). Per annotated frame, reports are matched one to one
      to the boxes (nearest centre first); recall = matched boxes / boxes, precision = matched reports / (reports not
      in an ignore box).
      boxes=N reports=R matched=M ignored=I recall=X precision=Y
"""
import csv
import sys

MARGIN = 0.25


def read_points(path):
    points = {}
    ids = set()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            frame = int(row["frame"])
            points.setdefault(frame, []).append((float(row["x"]), float(row["y"])))
            ids.add(row["id"])
    return points, ids


def inside(p, box):
    x, y, w, h = box
    mx, my = MARGIN * w, MARGIN * h
    return x - mx <= p[0] <= x + w + mx and y - my <= p[1] <= y + h + my


def main():
    mode, tracks = sys.argv[1], sys.argv[2]
    points, ids = read_points(tracks)
    if mode == "count":
        print(f"tracks={len(ids)} points={sum(len(v) for v in points.values())}")
    elif mode == "target":
        first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        boxes = {}
        with open(sys.argv[3], newline="") as f:
            for row in csv.DictReader(f):
                frame = int(row["frame"])
                box = tuple(float(row[k]) for k in ("x", "y", "w", "h"))
                if frame >= first and frame not in boxes and box[2] > 0 and box[3] > 0:
                    boxes[frame] = box
        detected = sum(1 for frame, box in boxes.items() if any(inside(p, box) for p in points.get(frame - 1, [])))
        print(f"target_frames={len(boxes)} detected={detected} fraction={detected / max(1, len(boxes)):.3f}")
    elif mode == "boxes":
        truth, ignore = {}, {}
        with open(sys.argv[3], newline="") as f:
            for row in csv.DictReader(f):
                box = tuple(float(row[k]) for k in ("x", "y", "w", "h"))
                (ignore if row["ignore"] == "1" else truth).setdefault(int(row["frame"]), []).append(box)
        n = r = m = ign = 0
        for frame in sorted(set(truth) | set(ignore)):
            boxes = truth.get(frame, [])
            reports = list(points.get(frame, []))
            n += len(boxes)
            pairs = []
            for i, b in enumerate(boxes):
                cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
                for j, p in enumerate(reports):
                    if inside(p, b):
                        pairs.append(((p[0] - cx) ** 2 + (p[1] - cy) ** 2, i, j))
            used_b, used_r = set(), set()
            for _, i, j in sorted(pairs):
                if i not in used_b and j not in used_r:
                    used_b.add(i)
                    used_r.add(j)
            m += len(used_b)
            for j, p in enumerate(reports):
                if j in used_r:
                    r += 1
                elif any(inside(p, b) for b in ignore.get(frame, [])):
                    ign += 1
                else:
                    r += 1
        print(f"boxes={n} reports={r} matched={m} ignored={ign} recall={m / max(1, n):.3f} "
              f"precision={m / max(1, r):.3f}")
    else:
        sys.exit(f"score_tracks.py: unknown mode {mode!r} (count, target, boxes)")


if __name__ == "__main__":
    main()
