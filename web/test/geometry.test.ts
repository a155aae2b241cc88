import { describe, expect, it } from 'vitest';
import { containRect, imageToScreen, screenToImage, fitHomography, applyH, reprojectionRms, pointInPolygon, localToLatLon, latLonToLocal, type Pt } from '../src/geometry';
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
