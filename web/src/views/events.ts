// The event console: the store's events (newest first) with filters (camera, type, unacknowledged), refreshed as
// live events arrive; acknowledge, the camera's snapshot, and a clip around the event exported through
// POST /api/v1/clips and played when ready.
import { api, get, qs, cameras, ApiError } from '../api';
import { h, clear, option } from '../dom';
import { t, formatTime, formatNumber, typeName, className } from '../i18n';
import { live } from '../live';
import type { Ctx } from '../main';

export interface StoredEvent {
  id: string;
  time_us: number;
  camera: string;
  type: string;
  rule?: string;
  class?: string;
  track_id?: number;
  value?: number;
  unit?: string;
  detail?: string;
  acknowledged?: boolean;
  acknowledged_by?: string;
}

const TYPES = ['', 'line_cross', 'zone_enter', 'zone_exit', 'dwell', 'overspeed', 'wrong_way', 'stopped', 'congestion', 'near_miss', 'camera_offline', 'camera_online'];

export function eventsView(root: HTMLElement, ctx: Ctx): () => void {
  let disposed = false;
  let timer = 0;
  let cursor = '';
  const camSel = h('select', { id: 'ev-camera' }, option('', t('all')));
  const typeSel = h('select', { id: 'ev-type' }, TYPES.map((x) => option(x, x ? typeName(x) : t('all'))));
  const unacked = h('input', { type: 'checkbox', id: 'ev-unacked' });
  const liveDot = h('span', { class: 'live-dot', title: t('events.live') });
  const tbody = h('tbody', { id: 'ev-rows' });
  const more = h('button', { id: 'ev-more', onclick: () => load(true) }, t('events.more'));
  const side = h('aside', { class: 'ev-side', id: 'ev-side' });
  root.append(
    h('div', { class: 'toolbar' }, liveDot, h('label', null, t('camera'), ' ', camSel), h('label', null, t('events.type'), ' ', typeSel), h('label', null, unacked, ' ', t('events.unacked'))),
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        { class: 'ev-list' },
        h('table', { class: 'grid' }, h('thead', null, h('tr', null, [t('events.time'), t('camera'), t('events.type'), t('events.rule'), t('events.class'), t('events.value'), ''].map((x) => h('th', null, x)))), tbody),
        more,
      ),
      side,
    ),
  );
  cameras()
    .then((list) => list.forEach((c) => camSel.append(option(c.name, c.name))))
    .catch(() => {});
  for (const el of [camSel, typeSel, unacked]) el.addEventListener('change', () => load(false));

  function row(e: StoredEvent): HTMLTableRowElement {
    const ackCell = h('td', null);
    const setAcked = (by?: string) => {
      clear(ackCell);
      ackCell.append(h('span', { class: 'acked' }, `✓ ${t('events.acked')}${by ? ' · ' + by : ''}`));
    };
    if (e.acknowledged) setAcked(e.acknowledged_by);
    else if (ctx.user.role !== 'viewer')
      ackCell.append(
        h(
          'button',
          {
            class: 'ack',
            onclick: async (ev: Event) => {
              ev.stopPropagation();
              try {
                const r = await api<StoredEvent>('POST', `/api/v1/events/${encodeURIComponent(e.id)}/ack`, { by: ctx.user.name });
                setAcked(r?.acknowledged_by ?? ctx.user.name);
                tr.classList.add('is-acked');
              } catch (err) {
                ackCell.append(h('span', { class: 'error' }, (err as Error).message));
              }
            },
          },
          t('events.ack'),
        ),
      );
    const value = e.value !== undefined ? `${formatNumber(e.value, 1)} ${e.unit ?? ''}` : '';
    const tr = h(
      'tr',
      { class: `ev ${e.acknowledged ? 'is-acked' : ''} type-${e.type}`, 'data-id': e.id, onclick: () => showDetail(e) },
      h('td', null, formatTime(e.time_us)),
      h('td', null, e.camera),
      h('td', null, typeName(e.type)),
      h('td', null, e.rule ?? ''),
      h('td', null, e.class ? className(e.class) : ''),
      h('td', null, value),
      ackCell,
    );
    return tr;
  }

  function showDetail(e: StoredEvent): void {
    clear(side);
    const clipBox = h('div', { class: 'clip' });
    side.append(
      h('h3', null, `${typeName(e.type)} · ${e.camera}`),
      h('p', null, formatTime(e.time_us)),
      h('p', null, e.detail ?? ''),
      h('h4', null, t('events.snapshot')),
      h('img', { class: 'snap', alt: '', src: `/api/v1/cameras/${encodeURIComponent(e.camera)}/snapshot.jpg` }),
      e.track_id ? h('a', { class: 'button', id: 'ev-follow', href: `#/map/follow/${encodeURIComponent(e.camera)}/${e.track_id}/${e.time_us}` }, t('events.follow')) : '',
      ' ',
      h('button', { id: 'ev-clip', hidden: ctx.user.role === 'viewer', onclick: () => exportClip(e, clipBox) }, t('events.clip')),
      clipBox,
    );
  }

  async function exportClip(e: StoredEvent, box: HTMLElement): Promise<void> {
    clear(box);
    box.append(h('p', null, t('events.clip.pending')));
    try {
      let clip = await api<any>('POST', '/api/v1/clips', { camera: e.camera, from_us: e.time_us - 5_000_000, to_us: e.time_us + 3_000_000 });
      for (let i = 0; i < 40 && clip.state === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        clip = await get(`/api/v1/clips/${encodeURIComponent(clip.id)}`);
      }
      clear(box);
      if (clip.state !== 'ready') {
        box.append(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${clip.detail ?? clip.state}`));
        return;
      }
      box.append(h('video', { id: 'ev-clip-video', controls: true, autoplay: true, muted: true, src: `/api/v1/clips/${encodeURIComponent(clip.id)}/video.mp4` }));
    } catch (err) {
      clear(box);
      box.append(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${(err as Error).message}`));
    }
  }

  async function load(append: boolean): Promise<void> {
    const q = qs({
      camera: camSel.value,
      type: typeSel.value,
      acknowledged: unacked.checked ? false : undefined,
      limit: 50,
      cursor: append ? cursor : undefined,
    });
    try {
      const page = await get<{ events: StoredEvent[]; next_cursor?: string }>(`/api/v1/events${q}`);
      if (disposed) return;
      if (!append) clear(tbody);
      for (const e of page.events) tbody.append(row(e));
      cursor = page.next_cursor ?? '';
      more.hidden = !cursor;
      if (!append && page.events.length === 0) tbody.append(h('tr', null, h('td', { colSpan: 7 }, t('none'))));
    } catch (err) {
      if (err instanceof ApiError) {
        clear(tbody);
        tbody.append(h('tr', null, h('td', { colSpan: 7, class: 'error' }, err.message)));
      }
    }
  }

  const off = live.on((m) => {
    if (m.topic !== 'event') return;
    liveDot.classList.add('pulse');
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      liveDot.classList.remove('pulse');
      load(false);
    }, 400); // the store commits within 200 ms
  });
  load(false);
  return () => {
    disposed = true;
    window.clearTimeout(timer);
    off();
  };
}
