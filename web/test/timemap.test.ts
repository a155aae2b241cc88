import { describe, expect, it } from 'vitest';
import { TrackBuffer, mediaToPtsUs, ptsToMediaS, type TrackMessage } from '../src/timemap';

const msg = (pts_us: number, id = 1): TrackMessage => ({ camera: 'c', pts_us, frame_index: 0, width: 640, height: 360, tracks: [{ id, class: 'car', state: 1, score: 1, box: [0, 0, 1, 1] }] });

describe('media time to track time', () => {
  const origin = 1_764_000_000_000_000;
  it('maps media seconds to capture microseconds and back', () => {
    expect(mediaToPtsUs(origin, 0)).toBe(origin);
    expect(mediaToPtsUs(origin, 2.04)).toBe(origin + 2_040_000);
    expect(ptsToMediaS(origin, origin + 40_000)).toBeCloseTo(0.04, 9);
    // Media time stored as doubles (1 MHz timescale) rounds to the microsecond.
    expect(mediaToPtsUs(origin, 1 / 3)).toBe(origin + 333_333);
  });

  it('finds the frame on screen: exact, the last before, or the first after within 1 ms', () => {
    const b = new TrackBuffer(10, 250_000);
    for (const p of [0, 40_000, 80_000, 120_000]) b.push(msg(origin + p, p));
    expect(b.at(origin + 40_000)?.pts_us).toBe(origin + 40_000);
    expect(b.at(origin + 79_000)?.pts_us).toBe(origin + 80_000); // rounding: same frame
    expect(b.at(origin + 60_000)?.pts_us).toBe(origin + 40_000);
    expect(b.at(origin - 500)?.pts_us).toBe(origin);
    expect(b.at(origin + 120_000 + 300_000)).toBeUndefined(); // too far from any message
    expect(b.at(origin - 400_000)).toBeUndefined();
  });

  it('keeps order for late messages, bounds its size and trims', () => {
    const b = new TrackBuffer(3);
    b.push(msg(30));
    b.push(msg(10));
    b.push(msg(20));
    b.push(msg(40));
    expect(b.size).toBe(3);
    expect(b.at(20)?.pts_us).toBe(20);
    expect(b.latest()?.pts_us).toBe(40);
    b.trimBefore(35);
    expect(b.size).toBe(1);
  });
});
