import { describe, expect, it } from 'vitest';
import { totalsBy, seriesByClass, meanOf, metricsIn, type StatRow } from '../src/stats';

const row = (start_s: number, cls: string, dir: string, value: number, metric = 'count'): StatRow => ({
  start_us: start_s * 1e6, end_us: (start_s + 60) * 1e6, camera: 'c', rule: 'l', metric, class: cls, direction: dir, value,
});

describe('statistics aggregation', () => {
  const rows = [row(0, 'car', 'in', 3), row(0, 'truck', 'in', 1), row(60, 'car', 'out', 2), row(60, 'car', '', 50, 'speed_p85_kmh'), row(0, 'car', '', 40, 'speed_p85_kmh')];
  it('sums counts by class and direction, largest first', () => {
    expect([...totalsBy(rows, 'class')]).toEqual([['car', 5], ['truck', 1]]);
    expect([...totalsBy(rows, 'direction')]).toEqual([['in', 4], ['out', 2]]);
  });
  it('makes one series per class over the interval starts', () => {
    const s = seriesByClass(rows);
    expect(s.times).toEqual([0, 60]);
    expect(s.series.get('car')).toEqual([3, 2]);
    expect(s.series.get('truck')).toEqual([1, 0]);
  });
  it('averages the other metrics', () => {
    expect(meanOf(rows, 'speed_p85_kmh')).toBe(45);
    expect(meanOf(rows, 'nope')).toBeUndefined();
    expect(metricsIn(rows)).toEqual(['count', 'speed_p85_kmh']);
  });
});
