import { describe, expect, it } from 'vitest';
import { totalsBy, seriesByClass, meanOf, metricsIn, speedSeries, levelOfService, losSeries, ruleThresholds, eventSeries, seriesCsv, type StatRow } from '../src/stats';

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

const r = (start_s: number, metric: string, value: number, rule = 'l', camera = 'c'): StatRow => ({
  start_us: start_s * 1e6, end_us: (start_s + 900) * 1e6, camera, rule, metric, class: '', direction: '', value,
});

describe('speed, level of service and incident series', () => {
  it('weights each rule\'s speeds by the vehicles it measured', () => {
    const rows = [
      r(0, 'speed_mean_kmh', 50), r(0, 'speed_p85_kmh', 60), r(0, 'speed_n', 3),
      r(0, 'speed_mean_kmh', 30, 'k'), r(0, 'speed_p85_kmh', 40, 'k'), r(0, 'speed_n', 1, 'k'),
      r(900, 'speed_mean_kmh', 0, 'l'), r(900, 'speed_n', 0, 'l'),
      r(1800, 'speed_mean_kmh', 72, 'l', 'd'), r(1800, 'speed_p90_kmh', 80, 'l', 'd'),
      r(1800, 'count', 9),
    ];
    const s = speedSeries(rows);
    expect(s.times).toEqual([0, 900, 1800]);
    expect(s.mean).toEqual([45, null, 72]); // (50*3 + 30*1) / 4; no vehicle measured; no speed_n: weight 1
    expect(s.p85).toEqual([55, null, 80]); // (60*3 + 40*1) / 4; the configured percentile whatever its number
  });
  it('grades density A..F at the congestion rule\'s HCM bounds', () => {
    expect([0, 7, 7.01, 11, 16, 22, 28, 28.5].map((d) => levelOfService(d))).toEqual(['A', 'A', 'B', 'B', 'C', 'D', 'E', 'F']);
    expect(levelOfService(5, [4, 8, 12, 16, 20])).toBe('B');
    const s = losSeries([r(0, 'density_mean', 10), r(0, 'density_mean', 20, 'k'), r(900, 'density_mean', 30), r(900, 'count', 4)]);
    expect(s.times).toEqual([0, 900]);
    expect(s.density).toEqual([15, 30]);
    expect(s.level).toEqual([3, 5]); // the worst rule: 20 is D at the default bounds; F
  });
  it('grades each rule at its own density_thresholds from the cameras\' definitions', () => {
    const th = ruleThresholds([
      { name: 'c', definition: { rules: [{ type: 'congestion', name: 'l', density_thresholds: [4, 8, 12, 16, 20] }, { type: 'congestion', name: 'k' }, { type: 'line', name: 'x', density_thresholds: [1, 2, 3, 4, 5] }] } },
      { name: 'd', definition: { rules: [{ type: 'congestion', name: 'l', density_thresholds: [1, 2, 3] }] } },
    ]);
    expect([...th]).toEqual([['c|l', [4, 8, 12, 16, 20]]]); // only congestion rules with five bounds
    const rows = [r(0, 'density_mean', 5), r(900, 'density_mean', 13), r(1800, 'density_mean', 21), r(1800, 'density_mean', 21, 'k'), r(2700, 'density_mean', 5, 'l', 'd')];
    const s = losSeries(rows, th);
    expect(s.density).toEqual([5, 13, 21, 5]);
    expect(s.level).toEqual([1, 3, 5, 0]); // B, D, F (rule k alone: D at the defaults), A (camera d: the defaults)
    expect(losSeries(rows).level).toEqual([0, 2, 3, 0]); // every rule at the defaults
  });
  it('counts incidents and near-misses per interval over cameras', () => {
    const rows = [r(0, 'near_miss', 2, ''), r(0, 'near_miss', 1, '', 'd'), r(900, 'wrong_way', 1, ''), r(900, 'line_cross', 7, ''), r(900, 'count', 5)];
    const s = eventSeries(rows);
    expect(s.times).toEqual([0, 900]);
    expect([...s.series.keys()]).toEqual(['near_miss', 'wrong_way']);
    expect(s.series.get('near_miss')).toEqual([3, 0]);
    expect(s.series.get('wrong_way')).toEqual([0, 1]);
  });
  it('writes a chart\'s series as CSV', () => {
    expect(seriesCsv([0, 900], [['mean', [45, null]], ['a,b', [1 / 3, 2]]])).toBe('interval_start_s,mean,"a,b"\n0,45,0.333\n900,,2\n');
  });
});
