// Aggregation of the interval statistics rows (GET /api/v1/stats) for the traffic dashboard: totals of a metric by
// class and by direction, and series per interval for a chart.
export interface StatRow {
  start_us: number;
  end_us: number;
  camera: string;
  rule: string;
  metric: string;
  class: string;
  direction: string;
  value: number;
}

export function totalsBy(rows: StatRow[], key: 'class' | 'direction' | 'camera' | 'rule', metric = 'count'): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    if (r.metric !== metric) continue;
    const k = r[key] || '-';
    m.set(k, (m.get(k) ?? 0) + r.value);
  }
  return new Map([...m.entries()].sort((a, b) => b[1] - a[1]));
}

// Times (seconds, ascending, one per interval start) and per-class sums of `metric` at each time (0 where none).
export function seriesByClass(rows: StatRow[], metric = 'count'): { times: number[]; series: Map<string, number[]> } {
  const starts = [...new Set(rows.filter((r) => r.metric === metric).map((r) => r.start_us))].sort((a, b) => a - b);
  const idx = new Map(starts.map((s, i) => [s, i]));
  const series = new Map<string, number[]>();
  for (const r of rows) {
    if (r.metric !== metric) continue;
    const k = r.class || '-';
    if (!series.has(k)) series.set(k, new Array(starts.length).fill(0));
    series.get(k)![idx.get(r.start_us)!] += r.value;
  }
  return { times: starts.map((s) => s / 1e6), series };
}

// The mean of a per-interval metric (speeds, v85) weighted by nothing: what the rows say, averaged.
export function meanOf(rows: StatRow[], metric: string): number | undefined {
  const v = rows.filter((r) => r.metric === metric).map((r) => r.value);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
}

export function metricsIn(rows: StatRow[]): string[] {
  return [...new Set(rows.map((r) => r.metric))].sort();
}

// The interval starts (µs, ascending) of the rows whose metric passes `keep`.
function startsOf(rows: StatRow[], keep: (m: string) => boolean): number[] {
  return [...new Set(rows.filter((r) => keep(r.metric)).map((r) => r.start_us))].sort((a, b) => a - b);
}

const isPercentileSpeed = (m: string) => /^speed_p\d+(\.\d+)?_kmh$/.test(m);

// Mean speed and the percentile speed (v85) per interval: each (camera, rule) row weighted by its `speed_n` (the
// vehicles measured), so a rule that measured many vehicles counts more; null where no vehicle was measured.
export function speedSeries(rows: StatRow[]): { times: number[]; mean: (number | null)[]; p85: (number | null)[] } {
  const speedMetric = (m: string) => m === 'speed_mean_kmh' || isPercentileSpeed(m);
  const starts = startsOf(rows, speedMetric);
  const idx = new Map(starts.map((s, i) => [s, i]));
  const key = (r: StatRow) => `${r.start_us}|${r.camera}|${r.rule}`;
  const n = new Map<string, number>();
  for (const r of rows) if (r.metric === 'speed_n') n.set(key(r), r.value);
  const sums = { mean: starts.map(() => [0, 0]), p85: starts.map(() => [0, 0]) };
  for (const r of rows) {
    const which = r.metric === 'speed_mean_kmh' ? 'mean' : isPercentileSpeed(r.metric) ? 'p85' : null;
    if (!which) continue;
    const w = n.get(key(r)) ?? 1;
    if (w <= 0) continue;
    const s = sums[which][idx.get(r.start_us)!];
    s[0] += r.value * w;
    s[1] += w;
  }
  const out = (a: number[][]) => a.map(([s, w]) => (w > 0 ? s / w : null));
  return { times: starts.map((s) => s / 1e6), mean: out(sums.mean), p85: out(sums.p85) };
}

// Level of service from a density (vehicles/km/lane): A..E upper bounds as the congestion rule's defaults (HCM).
export const LOS_THRESHOLDS = [7, 11, 16, 22, 28];
export function levelOfService(density: number, thresholds = LOS_THRESHOLDS): string {
  for (let i = 0; i < thresholds.length; i++) if (density <= thresholds[i]) return String.fromCharCode(65 + i);
  return 'F';
}

// A rule's own level-of-service bounds: (camera, rule) -> the five A..E upper bounds, undefined for the defaults.
export type Thresholds = (camera: string, rule: string) => number[] | undefined;

// The congestion rules' `density_thresholds` from the cameras' definitions (GET /api/v1/cameras: each rule's
// parameters as the site file or the API gave them), keyed by camera and rule name; rules without them are absent.
export function ruleThresholds(cams: { name: string; definition?: { rules?: { type: string; name?: string; [k: string]: unknown }[] } }[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const c of cams)
    for (const r of c.definition?.rules ?? []) {
      const th = r.density_thresholds;
      if (r.type === 'congestion' && r.name && Array.isArray(th) && th.length === 5 && th.every((x) => typeof x === 'number'))
        m.set(`${c.name}|${r.name}`, th as number[]);
    }
  return m;
}

// Density per interval (the mean of the rules' density_mean rows) and its level of service, 0 = A .. 5 = F: each
// rule's density graded at that rule's own bounds (`thresholds`: a table from ruleThresholds or one set for all;
// the congestion rule's defaults where a rule has none), the interval's level the worst of its rules.
export function losSeries(
  rows: StatRow[],
  thresholds: number[] | Map<string, number[]> = LOS_THRESHOLDS,
): { times: number[]; density: number[]; level: number[] } {
  const bounds = (r: StatRow) => (Array.isArray(thresholds) ? thresholds : (thresholds.get(`${r.camera}|${r.rule}`) ?? LOS_THRESHOLDS));
  const starts = startsOf(rows, (m) => m === 'density_mean');
  const idx = new Map(starts.map((s, i) => [s, i]));
  const sum = starts.map(() => [0, 0]);
  const level = starts.map(() => 0);
  for (const r of rows) {
    if (r.metric !== 'density_mean') continue;
    const i = idx.get(r.start_us)!;
    sum[i][0] += r.value;
    sum[i][1] += 1;
    level[i] = Math.max(level[i], levelOfService(r.value, bounds(r)).charCodeAt(0) - 65);
  }
  const density = sum.map(([s, n]) => s / n);
  return { times: starts.map((s) => s / 1e6), density, level };
}

// Incidents and near-misses: the event-type rows (rule "") of these types.
export const INCIDENT_TYPES = ['near_miss', 'wrong_way', 'stopped', 'congestion'];

// Counts per interval of each event type present (of `types`), summed over cameras; 0 where none.
export function eventSeries(rows: StatRow[], types = INCIDENT_TYPES): { times: number[]; series: Map<string, number[]> } {
  const want = (r: StatRow) => r.rule === '' && types.includes(r.metric);
  const starts = [...new Set(rows.filter(want).map((r) => r.start_us))].sort((a, b) => a - b);
  const idx = new Map(starts.map((s, i) => [s, i]));
  const series = new Map<string, number[]>();
  for (const type of types) if (rows.some((r) => want(r) && r.metric === type)) series.set(type, new Array(starts.length).fill(0));
  for (const r of rows) if (want(r)) series.get(r.metric)![idx.get(r.start_us)!] += r.value;
  return { times: starts.map((s) => s / 1e6), series };
}

// CSV of series over interval starts: "interval_start_s,<name>,..." with one line per time; empty cells for null.
export function seriesCsv(times: number[], columns: [string, (number | null)[]][]): string {
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = [['interval_start_s', ...columns.map(([n]) => esc(n))].join(',')];
  times.forEach((t, i) => lines.push([String(t), ...columns.map(([, v]) => (v[i] == null ? '' : String(Math.round(v[i]! * 1000) / 1000)))].join(',')));
  return lines.join('\n') + '\n';
}
