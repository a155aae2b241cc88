#!/usr/bin/env python3
"""Time-slice of a counting line, for counting vehicles by eye (issue 15, tests/traffic/README.md).

Usage:
  bench/traffic_timeslice.py CLIP --line X1,Y1,X2,Y2 --out DIR [--name NAME] [--offset PX] [--frames-per-column N]
                             [--columns C] [--xscale S] [--crops] [--crop W,H] [--zoom Z] [--threshold T]

Writes into DIR (created):
  NAME_slice_K.png   the pixels along the line (left = first point X1,Y1, right = last point), one row per frame,
                     frames top to bottom, N frames per column, C columns per image; a frame number every 25 frames
                     on the left of each column (yellow tick), columns separated by a blue bar. Beside the counting
                     line's slice (L0) are, narrower, the slices of two parallel lines OFFSET px to its left (L-) and
                     to its right (L+), walking from the first point to the last one as seen on the screen (y down):
                     a vehicle that shows in L- before L+ crosses "in" (to the right-hand side; didban's `in`), the
                     other way "out".
  NAME_candidates.csv candidate crossings found in the slice (pixels differing from the per-pixel temporal median):
                     id, first and last frame, middle frame, position range along the line (px from the first point),
                     guessed direction (in/out/?) from the order of L- and L+. A help for the person counting, not a
                     count: merged, split and missed vehicles are expected.
  NAME_crops_K.png   with --crops: for each candidate a row of 5 crops of the frame around the crossing (middle frame
                     -2d, -d, 0, +d, +2d; d = half the candidate's duration, at least 2), the line drawn in red,
                     the frame number in the top-left corner, the candidate id at the left.
  NAME_frames_K.png  with --frames A,B,...: crops (--crop W,H around --at X,Y, or the whole frame) of the given
                     frames, to check doubtful crossings on their frames.

Frame numbers are the decoded frame index from 0 (ffmpeg's %{n}, every decoded frame, -fps_mode passthrough).
Needs only Python 3 and ffmpeg/ffprobe (no numpy, no OpenCV): PNGs are written with zlib.
"""

import argparse
import csv
import json
import math
import os
import struct
import subprocess
import sys
import zlib

# 3x5 digit font, rows top to bottom, 3 bits per row (MSB = left).
_FONT = {
    "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
    "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 2, 2], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
    "-": [0, 0, 7, 0, 0], "+": [0, 2, 7, 2, 0], "L": [4, 4, 4, 4, 7], "#": [5, 7, 5, 7, 5], " ": [0, 0, 0, 0, 0],
    "i": [2, 0, 2, 2, 2], "n": [0, 6, 5, 5, 5], "o": [0, 7, 5, 5, 7], "u": [0, 5, 5, 5, 7], "t": [2, 7, 2, 2, 3],
    "?": [7, 1, 2, 0, 2],
}


class Image:
    """An RGB image in a bytearray."""

    def __init__(self, w, h, fill=(0, 0, 0)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(fill) * (w * h))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(c)

    def get(self, x, y):
        i = 3 * (y * self.w + x)
        return self.px[i], self.px[i + 1], self.px[i + 2]

    def rect(self, x0, y0, w, h, c):
        for y in range(max(0, y0), min(self.h, y0 + h)):
            for x in range(max(0, x0), min(self.w, x0 + w)):
                self.set(x, y, c)

    def text(self, x, y, s, c=(255, 255, 0), scale=2):
        for ch in s:
            rows = _FONT.get(ch, _FONT["?"])
            self.rect(x - 1, y - 1, 3 * scale + 2, 5 * scale + 2, (0, 0, 0))
            for r, bits in enumerate(rows):
                for b in range(3):
                    if bits & (4 >> b):
                        self.rect(x + b * scale, y + r * scale, scale, scale, c)
            x += 4 * scale

    def line(self, x0, y0, x1, y1, c):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for k in range(n + 1):
            t = k / n
            self.set(int(round(x0 + t * (x1 - x0))), int(round(y0 + t * (y1 - y0))), c)

    def paste(self, other, x0, y0):
        for y in range(other.h):
            ty = y0 + y
            if not 0 <= ty < self.h:
                continue
            x_from, x_to = max(0, x0), min(self.w, x0 + other.w)
            if x_to <= x_from:
                continue
            src = 3 * (y * other.w + (x_from - x0))
            dst = 3 * (ty * self.w + x_from)
            self.px[dst:dst + 3 * (x_to - x_from)] = other.px[src:src + 3 * (x_to - x_from)]

    def save_png(self, path):
        raw = bytearray()
        stride = 3 * self.w
        for y in range(self.h):
            raw.append(0)
            raw += self.px[y * stride:(y + 1) * stride]

        def chunk(tag, data):
            body = tag + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 6)))
            f.write(chunk(b"IEND", b""))


def probe(clip):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                          "-of", "json", clip], check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    return int(s["width"]), int(s["height"])


def frames(clip, w, h):
    """Yields (index, bytes) for every decoded frame, RGB24."""
    p = subprocess.Popen(["ffmpeg", "-v", "fatal", "-i", clip, "-map", "0:v:0", "-fps_mode", "passthrough", "-f",
                          "rawvideo", "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    size = w * h * 3
    n = 0
    while True:
        buf = p.stdout.read(size)
        if len(buf) < size:
            break
        yield n, buf
        n += 1
    p.stdout.close()
    p.wait()


def line_points(x1, y1, x2, y2, w, h):
    """Integer pixel positions along the segment, one per pixel of length (nearest pixel)."""
    n = max(2, int(round(math.hypot(x2 - x1, y2 - y1))) + 1)
    pts = []
    for k in range(n):
        t = k / (n - 1)
        x = min(w - 1, max(0, int(round(x1 + t * (x2 - x1)))))
        y = min(h - 1, max(0, int(round(y1 + t * (y2 - y1)))))
        pts.append((x, y))
    return pts


def sample(buf, w, pts):
    out = bytearray()
    for x, y in pts:
        i = 3 * (y * w + x)
        out += buf[i:i + 3]
    return bytes(out)


def median_row(rows, n):
    """Per-pixel temporal median of a list of rows (bytes, n pixels x RGB)."""
    med = bytearray(3 * n)
    step = max(1, len(rows) // 400)  # at most about 400 frames for the median
    sub = rows[::step]
    for i in range(3 * n):
        vals = sorted(r[i] for r in sub)
        med[i] = vals[len(vals) // 2]
    return bytes(med)


def foreground(rows, med, n, threshold):
    """Per frame, a list of booleans: the pixel's RGB distance (sum of absolute differences) to the median."""
    fg = []
    for r in rows:
        fg.append([abs(r[3 * i] - med[3 * i]) + abs(r[3 * i + 1] - med[3 * i + 1]) + abs(r[3 * i + 2] - med[3 * i + 2])
                   > threshold for i in range(n)])
    return fg


def components(fg, n, min_pixels, gap_frames=2, gap_px=3):
    """Connected components of the foreground in (frame, position), joined across small gaps."""
    nf = len(fg)
    label = [[0] * n for _ in range(nf)]
    comps = []
    for f in range(nf):
        for i in range(n):
            if not fg[f][i] or label[f][i]:
                continue
            cid = len(comps) + 1
            stack = [(f, i)]
            label[f][i] = cid
            cells = []
            while stack:
                a, b = stack.pop()
                cells.append((a, b))
                for da in range(-gap_frames, gap_frames + 1):
                    for db in range(-gap_px, gap_px + 1):
                        fa, ib = a + da, b + db
                        if 0 <= fa < nf and 0 <= ib < n and fg[fa][ib] and not label[fa][ib]:
                            label[fa][ib] = cid
                            stack.append((fa, ib))
            comps.append(cells)
    out = []
    for cells in comps:
        if len(cells) < min_pixels:
            continue
        fs = [c[0] for c in cells]
        ps = [c[1] for c in cells]
        out.append({"first": min(fs), "last": max(fs), "lo": min(ps), "hi": max(ps), "pixels": len(cells),
                    "mid": int(round(sum(fs) / len(fs))), "cells": cells})
    out.sort(key=lambda c: (c["mid"], c["lo"]))
    return out


def onset(fg, comp, n):
    """Mean frame of the foreground of another line's slice in the component's frame and position window."""
    tot, cnt = 0, 0
    for f in range(max(0, comp["first"] - 10), min(len(fg), comp["last"] + 11)):
        row = fg[f]
        for i in range(max(0, comp["lo"]), min(n, comp["hi"] + 1)):
            if row[i]:
                tot += f
                cnt += 1
    return tot / cnt if cnt else None


def slice_pages(rows_by_line, n_by_line, nframes, per_col, cols, xscale, side_scale, out, name, comps):
    """Writes the slice images; the counting line at xscale, the two offset lines beside it, narrower."""
    label_w = 34
    l0 = n_by_line[0] * xscale
    ls = n_by_line[1] * side_scale
    col_w = label_w + l0 + 4 + ls + 2 + ls + 8
    pages = []
    ncols_total = (nframes + per_col - 1) // per_col
    for page in range((ncols_total + cols - 1) // cols):
        ncols = min(cols, ncols_total - page * cols)
        img = Image(col_w * ncols, per_col + 16, (40, 40, 40))
        for c in range(ncols):
            col = page * cols + c
            x0 = c * col_w
            img.text(x0 + label_w, 2, "L0", (255, 255, 255), 2)
            img.text(x0 + label_w + l0 + 4, 2, "L-", (255, 255, 255), 2)
            img.text(x0 + label_w + l0 + 6 + ls, 2, "L+", (255, 255, 255), 2)
            for r in range(per_col):
                f = col * per_col + r
                if f >= nframes:
                    break
                y = 16 + r
                for k, (rows, n) in enumerate(zip(rows_by_line, n_by_line)):
                    row = rows[f]
                    sc = xscale if k == 0 else side_scale
                    xb = x0 + label_w + (0 if k == 0 else l0 + 4 + (k - 1) * (ls + 2))
                    i0 = 3 * (y * img.w + xb)
                    seg = bytearray()
                    for i in range(n):
                        seg += row[3 * i:3 * i + 3] * sc
                    img.px[i0:i0 + len(seg)] = seg
                if f % 25 == 0:
                    img.rect(x0 + label_w - 5, y, 4, 1, (255, 255, 0))
                if f % 50 == 0:
                    img.text(x0 + 1, min(y, img.h - 12), str(f), (255, 255, 0), 2)
            img.rect(x0 + col_w - 5, 0, 3, img.h, (0, 0, 200))
            # candidate ids at their middle frame, right of L+
            for cand in comps:
                if col * per_col <= cand["mid"] < (col + 1) * per_col:
                    y = 16 + cand["mid"] - col * per_col
                    img.rect(x0 + label_w + cand["lo"] * xscale, y, max(1, (cand["hi"] - cand["lo"]) * xscale), 1,
                             (255, 0, 255))
        path = os.path.join(out, "%s_slice_%d.png" % (name, page + 1))
        img.save_png(path)
        pages.append(path)
    return pages


def crop_of(buf, w, h, cx, cy, cw, ch, zoom):
    img = Image(cw * zoom, ch * zoom)
    x0, y0 = cx - cw // 2, cy - ch // 2
    for y in range(ch):
        sy = y0 + y
        if not 0 <= sy < h:
            continue
        row = bytearray()
        for x in range(cw):
            sx = x0 + x
            if 0 <= sx < w:
                i = 3 * (sy * w + sx)
                row += buf[i:i + 3] * zoom
            else:
                row += b"\0\0\0" * zoom
        for z in range(zoom):
            i0 = 3 * ((y * zoom + z) * img.w)
            img.px[i0:i0 + len(row)] = row
    return img, x0, y0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--line", required=True, help="X1,Y1,X2,Y2 in pixels of the full frame")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="line")
    ap.add_argument("--offset", type=float, default=6, help="px between the counting line and L-/L+")
    ap.add_argument("--frames-per-column", type=int, default=400)
    ap.add_argument("--columns", type=int, default=0, help="columns per image (default: as many as fit 1500 px)")
    ap.add_argument("--xscale", type=int, default=0, help="horizontal scale of L0 (default: to about 300 px)")
    ap.add_argument("--threshold", type=int, default=60, help="sum of |RGB - median| for a foreground pixel")
    ap.add_argument("--min-pixels", type=int, default=40, help="smallest candidate, in slice pixels")
    ap.add_argument("--crops", action="store_true")
    ap.add_argument("--crop", default="", help="W,H of the crops (default: the line's length + margin)")
    ap.add_argument("--zoom", type=int, default=0, help="integer zoom of the crops (default: to about 180 px high)")
    ap.add_argument("--frames", default="", help="A,B,C or A-B[:step]: write crops of these frames")
    ap.add_argument("--at", default="", help="X,Y centre of the --frames crops (default: the line's middle)")
    args = ap.parse_args()

    w, h = probe(args.clip)
    x1, y1, x2, y2 = (float(v) for v in args.line.split(","))
    length = math.hypot(x2 - x1, y2 - y1)
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length  # right-hand normal on the screen (y down)
    d = args.offset
    lines = [(x1, y1, x2, y2), (x1 - d * nx, y1 - d * ny, x2 - d * nx, y2 - d * ny),
             (x1 + d * nx, y1 + d * ny, x2 + d * nx, y2 + d * ny)]
    pts = [line_points(*ln, w, h) for ln in lines]
    os.makedirs(args.out, exist_ok=True)

    wanted = set()
    if args.frames:
        for part in args.frames.split(","):
            if "-" in part:
                rng, _, step = part.partition(":")
                a, b = rng.split("-")
                wanted.update(range(int(a), int(b) + 1, int(step or 1)))
            else:
                wanted.add(int(part))

    rows = [[], [], []]
    for idx, buf in frames(args.clip, w, h):
        for k in range(3):
            rows[k].append(sample(buf, w, pts[k]))
    nframes = len(rows[0])
    ns = [len(p) for p in pts]
    meds = [median_row(rows[k], ns[k]) for k in range(3)]
    fgs = [foreground(rows[k], meds[k], ns[k], args.threshold) for k in range(3)]
    comps = components(fgs[0], ns[0], args.min_pixels)
    for i, c in enumerate(comps):
        c["id"] = i + 1
        a, b = onset(fgs[1], c, ns[1]), onset(fgs[2], c, ns[2])
        c["direction"] = "?" if a is None or b is None or abs(a - b) < 0.5 else ("in" if a < b else "out")
        c["l_minus"], c["l_plus"] = a, b

    xscale = args.xscale or max(1, int(round(300 / ns[0])))
    side = max(1, xscale // 2)
    col_w = 34 + ns[0] * xscale + 4 + 2 * ns[1] * side + 10
    cols = args.columns or max(1, 1500 // col_w)
    pages = slice_pages(rows, ns, nframes, args.frames_per_column, cols, xscale, side, args.out, args.name, comps)

    with open(os.path.join(args.out, args.name + "_candidates.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["id", "first", "last", "mid", "pos_lo", "pos_hi", "pixels", "direction", "mean_frame_L-",
                     "mean_frame_L+"])
        for c in comps:
            wr.writerow([c["id"], c["first"], c["last"], c["mid"], c["lo"], c["hi"], c["pixels"], c["direction"],
                         "" if c["l_minus"] is None else "%.1f" % c["l_minus"],
                         "" if c["l_plus"] is None else "%.1f" % c["l_plus"]])

    # Crops: a second decoding pass keeps only the frames needed.
    margin = 40
    if args.crop:
        cw, ch = (int(v) for v in args.crop.split(","))
    else:
        cw = int(min(w, abs(x2 - x1) + 2 * margin))
        ch = int(min(h, abs(y2 - y1) + 2 * margin))
    zoom = args.zoom or max(1, int(180 // ch))
    jobs = {}  # frame -> list of (sheet key, slot)
    if args.crops:
        for c in comps:
            dd = max(2, (c["last"] - c["first"]) // 2)
            c["shots"] = [min(nframes - 1, max(0, c["mid"] + k * dd)) for k in (-2, -1, 0, 1, 2)]
            for s in c["shots"]:
                jobs.setdefault(s, [])
    for fr in wanted:
        if fr < nframes:
            jobs.setdefault(fr, [])
    crops = {}
    if jobs:
        cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
        if args.at:
            cx, cy = (int(v) for v in args.at.split(","))
        for idx, buf in frames(args.clip, w, h):
            if idx in jobs:
                img, ox, oy = crop_of(buf, w, h, cx, cy, cw, ch, zoom)
                for ln, col in zip(lines, [(255, 0, 0), (255, 128, 128), (255, 128, 128)]):
                    if ln is lines[0]:
                        img.line((ln[0] - ox) * zoom, (ln[1] - oy) * zoom, (ln[2] - ox) * zoom, (ln[3] - oy) * zoom,
                                 col)
                img.text(2, 2, str(idx), (255, 255, 0), 2)
                crops[idx] = img
    if args.crops and comps:
        per_sheet = max(1, 900 // (ch * zoom + 4))
        for s in range(0, len(comps), per_sheet):
            group = comps[s:s + per_sheet]
            sheet = Image(60 + 5 * (cw * zoom + 4), len(group) * (ch * zoom + 4), (40, 40, 40))
            for r, c in enumerate(group):
                y = r * (ch * zoom + 4)
                sheet.text(2, y + 4, "#" + str(c["id"]), (255, 0, 255), 2)
                sheet.text(2, y + 20, {"in": "in", "out": "out"}.get(c["direction"], "?"), (255, 255, 255), 2)
                for k, fr in enumerate(c["shots"]):
                    sheet.paste(crops[fr], 60 + k * (cw * zoom + 4), y)
            sheet.save_png(os.path.join(args.out, "%s_crops_%d.png" % (args.name, s // per_sheet + 1)))
    if wanted:
        order = sorted(f for f in wanted if f in crops)
        per_row = max(1, 1500 // (cw * zoom + 4))
        rows_per = max(1, 1100 // (ch * zoom + 4))
        per_sheet = per_row * rows_per
        for s in range(0, len(order), per_sheet):
            group = order[s:s + per_sheet]
            nrow = (len(group) + per_row - 1) // per_row
            sheet = Image(min(len(group), per_row) * (cw * zoom + 4), nrow * (ch * zoom + 4), (40, 40, 40))
            for k, fr in enumerate(group):
                sheet.paste(crops[fr], (k % per_row) * (cw * zoom + 4), (k // per_row) * (ch * zoom + 4))
            sheet.save_png(os.path.join(args.out, "%s_frames_%d.png" % (args.name, s // per_sheet + 1)))
    print("%s: %d frames, line %d px, %d candidates, %d slice image(s) in %s" %
          (args.clip, nframes, ns[0], len(comps), len(pages), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
