// The traffic dashboard: counts by class and by direction, the means of the other metrics over the range, and charts
// per interval (uPlot) of counts by class, mean speed and v85, density with its level of service, and incidents and
// near-misses, each with a CSV of what it draws; the CSV export of the statistics rows; a link to the hotspot map.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, qs, cameras } from '../api';
import { h, clear, option } from '../dom';
import { t, formatNumber, formatClock, className, directionName, typeName } from '../i18n';
import { trackColour } from '../draw';
import { totalsBy, seriesByClass, meanOf, metricsIn, speedSeries, losSeries, eventSeries, seriesCsv, ruleThresholds, LOS_THRESHOLDS, type StatRow } from '../stats';
import type { Ctx } from '../main';

export function dashboardView(root: HTMLElement, _ctx: Ctx): () => void {
  const plots: uPlot[] = [];
  let disposed = false;
  const camSel = h('select', { id: 'dash-camera' }, option('', t('all')));
  const range = h('select', { id: 'dash-range' }, option('3600', t('dash.hour'), true), option('86400', t('dash.day')), option('604800', t('dash.week')));
  const csv = h('a', { class: 'button', id: 'dash-csv', download: 'didban-stats.csv' }, t('dash.csv'));
  const byClass = h('div', { class: 'card', id: 'dash-class' });
  const byDir = h('div', { class: 'card', id: 'dash-direction' });
  const others = h('div', { class: 'card', id: 'dash-metrics' });
  const chart = h('div', { class: 'card chart', id: 'dash-chart' });
  const speedChart = h('div', { class: 'card chart', id: 'dash-speed' });
  const losChart = h('div', { class: 'card chart', id: 'dash-los' });
  const incidentChart = h('div', { class: 'card chart', id: 'dash-incidents' });
  root.append(
    h('div', { class: 'toolbar' }, h('label', null, t('camera'), ' ', camSel), h('label', null, t('dash.range'), ' ', range), csv,
      h('a', { class: 'button', id: 'dash-hotspots', href: '#/map/hotspots' }, t('dash.hotspots'))),
    h('div', { class: 'cards' }, byClass, byDir, others),
    chart,
    speedChart,
    losChart,
    incidentChart,
  );
  // Each congestion rule's own level-of-service bounds (its density_thresholds in the camera's definition).
  let bounds = new Map<string, number[]>();
  const listed = cameras()
    .then((l) => {
      l.forEach((c) => camSel.append(option(c.name, c.name)));
      bounds = ruleThresholds(l);
    })
    .catch(() => {});
  camSel.onchange = range.onchange = () => load();

  function bars(el: HTMLElement, title: string, m: Map<string, number>, name: (k: string) => string): void {
    clear(el);
    el.append(h('h3', null, title));
    const max = Math.max(1, ...m.values());
    let total = 0;
    for (const [k, v] of m) {
      total += v;
      el.append(h('div', { class: 'bar' }, h('span', { class: 'k' }, name(k)), h('span', { class: 'b', style: { width: `${(v / max) * 100}%` } }), h('span', { class: 'v' }, formatNumber(v))));
    }
    if (m.size === 0) el.append(h('p', null, t('none')));
    else el.append(h('p', { class: 'total' }, `${t('dash.total')}: ${formatNumber(total)}`));
  }

  async function load(): Promise<void> {
    await listed;
    const now = Date.now() * 1000;
    const q = { camera: camSel.value, from_us: now - Number(range.value) * 1e6, to_us: now + 60e6 };
    csv.href = `/api/v1/stats.csv${qs(q)}`;
    let rows: StatRow[] = [];
    try {
      rows = (await get<{ rows?: StatRow[]; stats?: StatRow[] }>(`/api/v1/stats${qs(q)}`)) as any;
      rows = (rows as any).rows ?? (rows as any).stats ?? [];
    } catch (e) {
      clear(chart);
      chart.append(h('p', { class: 'error' }, (e as Error).message));
      return;
    }
    if (disposed) return;
    bars(byClass, t('dash.byclass'), totalsBy(rows, 'class'), className);
    bars(byDir, t('dash.bydirection'), totalsBy(rows, 'direction'), directionName);
    clear(others);
    others.append(h('h3', null, t('dash.metric')));
    const tbl = h('table', { class: 'grid' });
    for (const m of metricsIn(rows).filter((x) => x !== 'count')) {
      tbl.append(h('tr', null, h('td', null, m), h('td', null, formatNumber(meanOf(rows, m) ?? 0, 1))));
    }
    others.append(tbl);
    drawCharts(rows);
  }

  // One chart card: title, a CSV of the drawn series, and the uPlot (or "none" without data).
  function lineChart(
    el: HTMLElement,
    title: string,
    file: string,
    times: number[],
    columns: [string, (number | null)[], string][],
    yValues?: (v: number) => string,
  ): void {
    clear(el);
    const head = h('div', { class: 'chart-head' }, h('h3', null, title));
    el.append(head);
    if (times.length === 0 || columns.length === 0) {
      el.append(h('p', null, t('none')));
      return;
    }
    const text = seriesCsv(times, columns.map(([n, v]) => [n, v]));
    head.append(
      h('button', {
        class: 'link chart-csv',
        onclick: () => {
          const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: file });
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 1000);
        },
      }, t('dash.csv')),
    );
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth - 20),
      height: 220,
      series: [{ value: (_u, v) => (v == null ? '' : formatClock(v * 1e6)) }, ...columns.map(([, , label], i) => ({ label, stroke: trackColour(i + 1), width: 2, spanGaps: false }))],
      axes: [
        { stroke: '#c9d4df', grid: { stroke: '#2a333d' }, values: (_u, vals) => vals.map((v) => formatClock(v * 1e6)) },
        { stroke: '#c9d4df', grid: { stroke: '#2a333d' }, ...(yValues ? { values: (_u: uPlot, vals: number[]) => vals.map(yValues) } : {}) },
      ],
    };
    plots.push(new uPlot(opts, [times, ...columns.map(([, v]) => v)] as uPlot.AlignedData, el));
  }

  function drawCharts(rows: StatRow[]): void {
    for (const p of plots.splice(0)) p.destroy();
    const counts = seriesByClass(rows);
    lineChart(chart, t('dash.overtime'), 'didban-counts.csv', counts.times, [...counts.series].map(([n, v]) => [n, v, className(n)]));
    const speed = speedSeries(rows);
    lineChart(speedChart, t('dash.speed'), 'didban-speeds.csv', speed.times, [
      ['speed_mean_kmh', speed.mean, t('dash.speed.mean')],
      ['speed_p85_kmh', speed.p85, t('dash.speed.p85')],
    ]);
    const los = losSeries(rows, bounds);
    lineChart(
      losChart,
      t('dash.los'),
      'didban-level-of-service.csv',
      los.times,
      [
        ['density_veh_km_lane', los.density, t('dash.density')],
        ['level_of_service_0A_5F', los.level, t('dash.los.level')],
      ],
      (v) => formatNumber(v, v % 1 === 0 ? 0 : 1),
    );
    // The bounds used: each charted rule's own, or the defaults.
    const charted = [...new Set(rows.filter((r) => r.metric === 'density_mean').map((r) => `${r.camera}|${r.rule}`))].sort();
    if (charted.length) {
      const fmt = (b: number[]) => b.map((x) => formatNumber(x, 1)).join(' / ');
      losChart.append(
        h('p', { class: 'hint', id: 'dash-los-bounds' }, `${t('dash.los.bounds')}: `,
          charted.map((k, i) => {
            const own = bounds.get(k);
            const [cam, rule] = k.split('|');
            return h('span', { class: 'los-bound', 'data-rule': k, 'data-bounds': (own ?? LOS_THRESHOLDS).join(',') },
              `${i ? ' · ' : ''}${cam}/${rule} ${fmt(own ?? LOS_THRESHOLDS)}${own ? '' : ` (${t('dash.los.default')})`}`);
          })),
      );
    }
    const ev = eventSeries(rows);
    lineChart(incidentChart, t('dash.incidents'), 'didban-incidents.csv', ev.times, [...ev.series].map(([n, v]) => [n, v, typeName(n)]));
  }

  load();
  return () => {
    disposed = true;
    for (const p of plots.splice(0)) p.destroy();
  };
}
