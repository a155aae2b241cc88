// The center's stations (GET /api/v1/stations): online or offline, when each was last heard, whether its API is
// reachable through the center, and the cameras the user may see there; refreshed every 5 s. A single site answers
// an empty list ("no stations").
import { get } from '../api';
import { h, clear } from '../dom';
import { t, formatTime, formatNumber } from '../i18n';
import type { Ctx } from '../main';

export interface Station {
  name: string;
  online: boolean;
  last_heard_us: number;
  api: boolean;
  cameras: string[];
}

export async function listStations(): Promise<Station[]> {
  return (await get<{ stations: Station[] }>('/api/v1/stations')).stations ?? [];
}

export function stationsView(root: HTMLElement, _ctx: Ctx): () => void {
  let disposed = false;
  const summary = h('span', { id: 'st-summary' });
  const tbody = h('tbody', { id: 'st-rows' });
  const table = h(
    'table',
    { class: 'grid', id: 'st-table' },
    h('thead', null, h('tr', null, [t('st.name'), t('st.state'), t('st.heard'), t('st.api'), t('st.cameras')].map((x) => h('th', null, x)))),
    tbody,
  );
  root.append(h('div', { class: 'toolbar' }, h('strong', null, t('nav.stations')), summary), table);

  async function load(): Promise<void> {
    let list: Station[];
    try {
      list = await listStations();
    } catch (e) {
      if (disposed) return;
      clear(tbody);
      tbody.append(h('tr', null, h('td', { colSpan: 5, class: 'error' }, (e as Error).message)));
      return;
    }
    if (disposed) return;
    clear(tbody);
    const sorted = [...list].sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
    for (const s of sorted) {
      tbody.append(
        h(
          'tr',
          { class: `station ${s.online ? 'is-online' : 'is-offline'}`, 'data-station': s.name, 'data-online': String(s.online) },
          h('td', null, s.name),
          h('td', { class: 'st-state' }, h('span', { class: `dot ${s.online ? 'ok' : 'bad'}` }, '●'), ' ', s.online ? t('st.online') : t('st.offline')),
          h('td', { class: 'st-heard' }, s.last_heard_us > 0 ? formatTime(s.last_heard_us) : t('st.never')),
          h('td', null, s.api ? t('st.api.yes') : t('st.api.no')),
          h('td', { class: 'st-cameras' }, s.cameras.join(', ')),
        ),
      );
    }
    if (list.length === 0) tbody.append(h('tr', null, h('td', { colSpan: 5, id: 'st-none' }, t('st.none'))));
    summary.textContent = `${formatNumber(list.filter((s) => s.online).length)} / ${formatNumber(list.length)} ${t('st.summary')}`;
  }

  load();
  const timer = window.setInterval(load, 5000);
  return () => {
    disposed = true;
    window.clearInterval(timer);
  };
}
