// Geometry for drawing and calibration: the letterboxed rectangle of a video in its element, image <-> screen
// mapping, homography fitting (normalised DLT) and its reprojection error, point-in-polygon, and local metres <->
// latitude/longitude around the site origin (equirectangular on the WGS84 ellipsoid's radii of curvature).
export type Pt = [number, number];

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

// Where a `srcW`x`srcH` picture lands inside a `boxW`x`boxH` element with object-fit: contain.
export function containRect(srcW: number, srcH: number, boxW: number, boxH: number): Rect {
  if (srcW <= 0 || srcH <= 0 || boxW <= 0 || boxH <= 0) return { x: 0, y: 0, w: 0, h: 0 };
  const s = Math.min(boxW / srcW, boxH / srcH);
  const w = srcW * s;
  const h = srcH * s;
  return { x: (boxW - w) / 2, y: (boxH - h) / 2, w, h };
}

export function imageToScreen(p: Pt, srcW: number, srcH: number, r: Rect): Pt {
  return [r.x + (p[0] / srcW) * r.w, r.y + (p[1] / srcH) * r.h];
}

export function screenToImage(p: Pt, srcW: number, srcH: number, r: Rect): Pt {
  return [((p[0] - r.x) / r.w) * srcW, ((p[1] - r.y) / r.h) * srcH];
}

export type Mat3 = number[]; // row-major 3x3

export function applyH(H: Mat3, p: Pt): Pt {
  const w = H[6] * p[0] + H[7] * p[1] + H[8];
  return [(H[0] * p[0] + H[1] * p[1] + H[2]) / w, (H[3] * p[0] + H[4] * p[1] + H[5]) / w];
}

// Similarity that moves the points' centroid to 0 and their mean distance to sqrt(2) (Hartley normalisation).
function normaliser(pts: Pt[]): Mat3 {
  const n = pts.length;
  let cx = 0;
  let cy = 0;
  for (const p of pts) {
    cx += p[0] / n;
    cy += p[1] / n;
  }
  let d = 0;
  for (const p of pts) d += Math.hypot(p[0] - cx, p[1] - cy) / n;
  const s = d > 0 ? Math.SQRT2 / d : 1;
  return [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1];
}

function mul(A: Mat3, B: Mat3): Mat3 {
  const C = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) C[i * 3 + j] += A[i * 3 + k] * B[k * 3 + j];
  return C;
}

export function invert3(m: Mat3): Mat3 | null {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) return null;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

// Solves the n x n system M x = v by Gaussian elimination with partial pivoting; null when singular.
function solve(M: number[][], v: number[]): number[] | null {
  const n = v.length;
  const A = M.map((row, i) => [...row, v[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (Math.abs(A[p][c]) < 1e-12) return null;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, i) => row[n] / A[i][i]);
}

// The homography H with H * image ~ ground, fitted to >= 4 pairs by least squares (h33 = 1) on normalised points.
export function fitHomography(image: Pt[], ground: Pt[]): Mat3 | null {
  if (image.length < 4 || image.length !== ground.length) return null;
  const Ti = normaliser(image);
  const Tg = normaliser(ground);
  const a = image.map((p) => applyH(Ti, p));
  const b = ground.map((p) => applyH(Tg, p));
  // Normal equations of the 8-unknown linear system.
  const AtA = Array.from({ length: 8 }, () => new Array(8).fill(0));
  const Atv = new Array(8).fill(0);
  const addRow = (row: number[], rhs: number) => {
    for (let i = 0; i < 8; i++) {
      Atv[i] += row[i] * rhs;
      for (let j = 0; j < 8; j++) AtA[i][j] += row[i] * row[j];
    }
  };
  for (let k = 0; k < a.length; k++) {
    const [x, y] = a[k];
    const [u, v] = b[k];
    addRow([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    addRow([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solve(AtA, Atv);
  if (!h) return null;
  const Hn: Mat3 = [...h, 1];
  const TgInv = invert3(Tg);
  if (!TgInv) return null;
  const H = mul(TgInv, mul(Hn, Ti));
  const s = H[8];
  return Math.abs(s) < 1e-15 ? H : H.map((x) => x / s);
}

// Root-mean-square distance (ground units) between H(image[i]) and ground[i].
export function reprojectionRms(H: Mat3, image: Pt[], ground: Pt[]): number {
  if (image.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < image.length; i++) {
    const q = applyH(H, image[i]);
    s += (q[0] - ground[i][0]) ** 2 + (q[1] - ground[i][1]) ** 2;
  }
  return Math.sqrt(s / image.length);
}

export function pointInPolygon(p: Pt, poly: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Local east/north metres around (lat0, lon0) to latitude/longitude, and back (small-area approximation).
const A = 6378137;
const E2 = 6.69437999014e-3;
function radii(lat0: number): { m: number; n: number } {
  const s = Math.sin((lat0 * Math.PI) / 180);
  const w = Math.sqrt(1 - E2 * s * s);
  return { m: (A * (1 - E2)) / (w * w * w), n: A / w };
}
export function localToLatLon(x: number, y: number, lat0: number, lon0: number): [number, number] {
  const { m, n } = radii(lat0);
  const lat = lat0 + (y / m) * (180 / Math.PI);
  const lon = lon0 + (x / (n * Math.cos((lat0 * Math.PI) / 180))) * (180 / Math.PI);
  return [lat, lon];
}
export function latLonToLocal(lat: number, lon: number, lat0: number, lon0: number): [number, number] {
  const { m, n } = radii(lat0);
  return [
    ((lon - lon0) * Math.PI * n * Math.cos((lat0 * Math.PI) / 180)) / 180,
    ((lat - lat0) * Math.PI * m) / 180,
  ];
}

// Convex hull of points (Andrew's monotone chain), counter-clockwise, without repeated or collinear points.
export function convexHull(points: Pt[]): Pt[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Pt, a: Pt, b: Pt) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Pt[]) => {
    const out: Pt[] = [];
    for (const q of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], q) <= 0) out.pop();
      out.push(q);
    }
    out.pop();
    return out;
  };
  return [...half(p), ...half([...p].reverse())];
}

// A camera's field of view on the ground: the image (w x h pixels) mapped through its image-to-ground homography H,
// cut at the highest image row whose corners still land on the ground side of the horizon (the side of the
// calibration's image points) within `maxRangeM` of the calibration's ground points' centre. Lines map to lines, so
// it is the quadrilateral of the four corners; null when not even the bottom row is on the ground.
export function fieldOfView(H: Mat3, calibImage: Pt[], calibGround: Pt[], w: number, h: number, maxRangeM: number): Pt[] | null {
  if (!calibImage.length || w <= 0 || h <= 0) return null;
  const wOf = (p: Pt) => H[6] * p[0] + H[7] * p[1] + H[8];
  const ci: Pt = [calibImage.reduce((s, p) => s + p[0], 0) / calibImage.length, calibImage.reduce((s, p) => s + p[1], 0) / calibImage.length];
  const cg: Pt = [calibGround.reduce((s, p) => s + p[0], 0) / calibGround.length, calibGround.reduce((s, p) => s + p[1], 0) / calibGround.length];
  const side = Math.sign(wOf(ci));
  const ok = (p: Pt) => Math.sign(wOf(p)) === side && Math.abs(wOf(p)) > 1e-12 && Math.hypot(...(applyH(H, p).map((v, i) => v - cg[i]) as Pt)) <= maxRangeM;
  const rowOk = (y: number) => ok([0, y]) && ok([w, y]);
  if (!rowOk(h)) return null;
  let top = 0;
  if (!rowOk(0)) {
    // The horizon and the range limit are monotone in the row within the ground side: bisect to a pixel.
    let lo = 0;
    let hi = h;
    while (hi - lo > 0.5) {
      const mid = (lo + hi) / 2;
      if (rowOk(mid)) hi = mid;
      else lo = mid;
    }
    top = hi;
  }
  return ([[0, h], [w, h], [w, top], [0, top]] as Pt[]).map((p) => applyH(H, p));
}
