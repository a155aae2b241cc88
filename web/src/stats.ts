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
