// The traffic dashboard: counts by class and by direction, counts per interval (uPlot), the means of the other
// metrics (speeds, v85, level of service, incidents) over the range, and the CSV export of the same rows.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, qs, cameras } from '../api';
import { h, clear, option } from '../dom';
import { t, formatNumber, formatClock, className, directionName } from '../i18n';
import { trackColour } from '../draw';
import { totalsBy, seriesByClass, meanOf, metricsIn, type StatRow } from '../stats';
import type { Ctx } from '../main';

export function dashboardView(root: HTMLElement, _ctx: Ctx): () => void {
  let plot: uPlot | null = null;
  let disposed = false;
  const camSel = h('select', { id: 'dash-camera' }, option('', t('all')));
  const range = h('select', { id: 'dash-range' }, option('3600', t('dash.hour'), true), option('86400', t('dash.day')), option('604800', t('dash.week')));
  const csv = h('a', { class: 'button', id: 'dash-csv', download: 'didban-stats.csv' }, t('dash.csv'));
  const byClass = h('div', { class: 'card', id: 'dash-class' });
  const byDir = h('div', { class: 'card', id: 'dash-direction' });
  const others = h('div', { class: 'card', id: 'dash-metrics' });
  const chart = h('div', { class: 'card chart', id: 'dash-chart' });
  root.append(
    h('div', { class: 'toolbar' }, h('label', null, t('camera'), ' ', camSel), h('label', null, t('dash.range'), ' ', range), csv),
    h('div', { class: 'cards' }, byClass, byDir, others),
    chart,
  );
  cameras()
    .then((l) => l.forEach((c) => camSel.append(option(c.name, c.name))))
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
    drawChart(rows);
  }

  function drawChart(rows: StatRow[]): void {
    plot?.destroy();
    plot = null;
    clear(chart);
    chart.append(h('h3', null, t('dash.overtime')));
    const { times, series } = seriesByClass(rows);
    if (times.length === 0) {
      chart.append(h('p', null, t('none')));
      return;
    }
    const names = [...series.keys()];
    const opts: uPlot.Options = {
      width: Math.max(300, chart.clientWidth - 20),
      height: 260,
      series: [{ value: (_u, v) => (v == null ? '' : formatClock(v * 1e6)) }, ...names.map((n, i) => ({ label: className(n), stroke: trackColour(i + 1), width: 2 }))],
      axes: [
        { stroke: '#c9d4df', grid: { stroke: '#2a333d' }, values: (_u, vals) => vals.map((v) => formatClock(v * 1e6)) },
        { stroke: '#c9d4df', grid: { stroke: '#2a333d' } },
      ],
    };
    plot = new uPlot(opts, [times, ...names.map((n) => series.get(n)!)], chart);
  }

  load();
  return () => {
    disposed = true;
    plot?.destroy();
  };
}
