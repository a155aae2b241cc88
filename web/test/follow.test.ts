import { describe, expect, it } from 'vitest';
import { timeline, pieceAt, exportPieceAt, liveCamera, exportedIdFrom, clipId, type GlobalTrackView, type ExportedPiece } from '../src/follow';

const view: GlobalTrackView = {
  global_id: 7,
  from_us: 10_000_000,
  to_us: 20_000_000,
  cameras: ['a', 'b'],
  intervals: [
    { camera: 'b', from_us: 14_000_000, to_us: 20_000_000, track_ids: [5], points: 7 },
    { camera: 'a', from_us: 10_000_000, to_us: 15_000_000, track_ids: [2, 3], points: 6 },
  ],
  ground_path: [],
  follow: [
    { camera: 'a', from_us: 9_500_000, to_us: 15_000_000, track_ids: [2, 3], seen_from_us: 10_000_000, seen_to_us: 15_000_000, handoff_to_next: true },
    { camera: 'b', from_us: 15_000_000, to_us: 20_500_000, track_ids: [5], seen_from_us: 14_000_000, seen_to_us: 20_000_000, handoff_to_next: false },
  ],
};

describe('follow this object', () => {
  it('lays out one timeline row per camera in the order they first saw it, and the plan, over the plan\'s span', () => {
    const tl = timeline(view);
    expect(tl.from_us).toBe(9_500_000);
    expect(tl.to_us).toBe(20_500_000);
    expect(tl.rows.map((r) => r.camera)).toEqual(['a', 'b']);
    expect(tl.rows[0].bars[0].start).toBeCloseTo((0.5 / 11) * 100, 9);
    expect(tl.rows[0].bars[0].width).toBeCloseTo((5 / 11) * 100, 9);
    expect(tl.rows[0].bars[0].track_ids).toEqual([2, 3]);
    expect(tl.plan.map((b) => [b.camera, b.from_us, b.to_us])).toEqual([['a', 9_500_000, 15_000_000], ['b', 15_000_000, 20_500_000]]);
    expect(tl.plan[1].start + tl.plan[1].width).toBeCloseTo(100, 9);
  });
  it('finds the plan piece at a site time and the piece of the exported file at its time', () => {
    expect([9_000_000, 9_500_000, 14_999_999, 15_000_000, 30_000_000].map((t) => pieceAt(view.follow, t))).toEqual([-1, 0, 0, 1, 1]);
    const pieces = [
      { camera: 'a', out_from_us: 0, out_to_us: 5_400_000 },
      { camera: 'b', out_from_us: 5_400_000, out_to_us: 11_000_000 },
    ] as ExportedPiece[];
    expect([0, 5.3, 5.4, 10.9].map((s) => exportPieceAt(pieces, s))).toEqual([0, 0, 1, 1]);
    expect(exportPieceAt([], 1)).toBe(-1);
  });
  it('follows live: stays on a camera while it sees the object, else the first that does', () => {
    const cams = [{ camera: 'b' }, { camera: 'c' }];
    expect(liveCamera('', cams)).toBe('b');
    expect(liveCamera('c', cams)).toBe('c');
    expect(liveCamera('a', cams)).toBe('b');
    expect(liveCamera('a', cams, (c) => c !== 'b')).toBe('c');
    expect(liveCamera('a', [])).toBe('');
  });
  it('reads the clip of an export made before, and names clips as the server does', () => {
    expect(exportedIdFrom('clip follow-7-9500000-20500000: already exported')).toBe('follow-7-9500000-20500000');
    expect(exportedIdFrom('something else')).toBe('');
    expect(clipId('junction-1', 1.4, 2)).toBe('junction_1-1-2');
    expect(clipId('دوربین', 0, 1)).toBe('____________-0-1'); // 6 letters, 2 bytes each
    expect(clipId('', 0, 1)).toBe('camera-0-1');
  });
});
