import { describe, expect, it } from 'vitest';
import { containRect, imageToScreen, screenToImage, fitHomography, applyH, reprojectionRms, pointInPolygon, localToLatLon, latLonToLocal, convexHull, fieldOfView, type Pt } from '../src/geometry';
import { projectedGrid } from '../src/views/editor';

describe('geometry', () => {
  it('letterboxes a 16:9 picture in a 4:3 box and maps points both ways', () => {
    const r = containRect(1920, 1080, 400, 300);
    expect(r).toEqual({ x: 0, y: 37.5, w: 400, h: 225 });
    expect(imageToScreen([960, 540], 1920, 1080, r)).toEqual([200, 150]);
    expect(screenToImage([400, 262.5], 1920, 1080, r)).toEqual([1920, 1080]);
    expect(containRect(0, 10, 10, 10).w).toBe(0);
  });

  it('fits a homography exactly from four pairs and reports zero reprojection error', () => {
    const H0 = [0.02, 0.001, -5, 0.0005, -0.03, 12, 0.00001, 0.0002, 1];
    const image: Pt[] = [[100, 400], [600, 410], [550, 200], [150, 190], [320, 300]];
    const ground = image.map((p) => applyH(H0, p));
    const H = fitHomography(image, ground)!;
    expect(H).not.toBeNull();
    for (let i = 0; i < 9; i++) expect(H[i]).toBeCloseTo(H0[i], 6);
    expect(reprojectionRms(H, image, ground)).toBeLessThan(1e-6);
    // Moving one ground point by 1 m gives an error of the right size.
    const moved = ground.map((p, i) => (i === 4 ? ([p[0] + 1, p[1]] as Pt) : p));
    const e = reprojectionRms(fitHomography(image, moved)!, image, moved);
    expect(e).toBeGreaterThan(0.05);
    expect(e).toBeLessThan(1);
    expect(fitHomography(image.slice(0, 3), ground.slice(0, 3))).toBeNull();
  });

  it('projects a ground grid into the image through the inverse homography', () => {
    const H = [0.1, 0, 0, 0, 0.1, 0, 0, 0, 1]; // 10 px per metre
    const lines = projectedGrid(H, [[0, 0], [10, 10]], 5);
    // x from -5 to 15 and y from -5 to 15 every 5 m: 5 + 5 lines.
    expect(lines.length).toBe(10);
    expect(lines[1][0][0]).toBeCloseTo(0, 9); // the x = 0 line at image x = 0
    expect(lines[2][0][0]).toBeCloseTo(50, 9);
  });

  it('tests points in polygons', () => {
    const sq: Pt[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(pointInPolygon([5, 5], sq)).toBe(true);
    expect(pointInPolygon([15, 5], sq)).toBe(false);
  });

  it('converts local metres to latitude/longitude and back near Tehran', () => {
    const [lat, lon] = localToLatLon(1000, 500, 35.6892, 51.389);
    // 500 m north is about 0.004507 degrees of latitude; 1000 m east about 0.011045 degrees of longitude there.
    expect(lat - 35.6892).toBeCloseTo(0.004507, 5);
    expect(lon - 51.389).toBeCloseTo(0.011045, 5);
    const [x, y] = latLonToLocal(lat, lon, 35.6892, 51.389);
    expect(x).toBeCloseTo(1000, 6);
    expect(y).toBeCloseTo(500, 6);
  });
});

describe('field of view', () => {
  it('takes the convex hull counter-clockwise', () => {
    expect(convexHull([[0, 0], [7, 0], [0, 60], [7, 60], [3, 30]])).toEqual([[0, 0], [7, 0], [7, 60], [0, 60]]);
  });
  it('maps the image to the ground up to the horizon and the range limit', () => {
    // A camera looking north over a flat road, horizon at row 100: east = (u - 160) * 10 / (v - 100), north = 1000 / (v - 100).
    const model = (u: number, v: number): Pt => [((u - 160) * 10) / (v - 100), 1000 / (v - 100)];
    const image: Pt[] = [[20, 235], [300, 235], [100, 150], [220, 150], [160, 120]];
    const ground = image.map((p) => model(p[0], p[1]));
    const H = fitHomography(image, ground)!;
    const near = fieldOfView(H, image, ground, 320, 240, 1e6)!;
    // Bottom corners exactly; the top rows (above row 100) are sky, so the far edge lies just below the horizon.
    for (const [i, p] of [[0, model(0, 240)], [1, model(320, 240)]] as [number, Pt][]) {
      expect(near[i][0]).toBeCloseTo(p[0], 6);
      expect(near[i][1]).toBeCloseTo(p[1], 6);
    }
    expect(near[2][1]).toBeGreaterThan(1000);
    // Within 60 m of the calibration points' centre (east 0, north 20.96): the far edge stops at that range.
    const c: Pt = [ground.reduce((s, p) => s + p[0], 0) / 5, ground.reduce((s, p) => s + p[1], 0) / 5];
    expect(c[1]).toBeCloseTo(20.963, 3);
    const ranged = fieldOfView(H, image, ground, 320, 240, 60)!;
    const dist = (p: Pt) => Math.hypot(p[0] - c[0], p[1] - c[1]);
    expect(Math.max(dist(ranged[2]), dist(ranged[3]))).toBeLessThanOrEqual(60);
    expect(Math.max(dist(ranged[2]), dist(ranged[3]))).toBeGreaterThan(55);
    expect(ranged[0]).toEqual(near[0]);
    // Nothing in range: no field of view.
    expect(fieldOfView(H, image, ground, 320, 240, 1)).toBeNull();
  });
});
