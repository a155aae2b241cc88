// Recordings: per camera a timeline of the recorded segments over a range with the events marked; clicking the
// timeline picks a time, and the range around it is exported (POST /api/v1/clips) and played.
import { api, get, qs, cameras } from '../api';
import { h, clear, option } from '../dom';
import { t, formatTime, formatClock } from '../i18n';
import type { Ctx } from '../main';

interface Segment {
  camera: string;
  name: string;
  start_us: number;
  end_us: number;
  bytes: number;
  open: boolean;
}

export function recordingsView(root: HTMLElement, ctx: Ctx): () => void {
  let disposed = false;
  const range = h('select', { id: 'rec-range' }, option('900', '15 min'), option('3600', '1 h', true), option('86400', '24 h'));
  const list = h('div', { class: 'timelines', id: 'rec-list' });
  const player = h('div', { class: 'player', id: 'rec-player' });
  root.append(h('div', { class: 'toolbar' }, h('label', null, t('dash.range'), ' ', range)), list, player);
  range.onchange = () => load();

  async function exportAndPlay(camera: string, fromUs: number, toUs: number): Promise<void> {
    clear(player);
    player.append(h('p', null, `${camera}: ${formatTime(fromUs)} – ${formatClock(toUs)} · ${t('events.clip.pending')}`));
    try {
      let clip = await api<any>('POST', '/api/v1/clips', { camera, from_us: Math.round(fromUs), to_us: Math.round(toUs) });
      for (let i = 0; i < 40 && clip.state === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        clip = await get(`/api/v1/clips/${encodeURIComponent(clip.id)}`);
      }
      clear(player);
      if (clip.state !== 'ready') throw new Error(clip.detail ?? clip.state);
      const url = `/api/v1/clips/${encodeURIComponent(clip.id)}/video.mp4`;
      player.append(
        h('p', null, `${camera}: ${formatTime(fromUs)} – ${formatClock(toUs)}`),
        h('video', { controls: true, autoplay: true, muted: true, src: url, id: 'rec-video' }),
        h('a', { href: url, download: `${clip.id}.mp4`, class: 'button' }, t('rec.export')),
      );
    } catch (e) {
      clear(player);
      player.append(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${(e as Error).message}`));
    }
  }

  async function load(): Promise<void> {
    const now = Date.now() * 1000;
    const from = now - Number(range.value) * 1e6;
    clear(list);
    let cams;
    try {
      cams = await cameras();
    } catch (e) {
      list.append(h('p', { class: 'error' }, (e as Error).message));
      return;
    }
    for (const c of cams) {
      const bar = h('div', { class: 'timeline', 'data-camera': c.name });
      const row = h('div', { class: 'tl-row' }, h('span', { class: 'tl-name' }, c.name), bar);
      list.append(row);
      const [segs, evs] = await Promise.all([
        get<{ segments: Segment[] }>(`/api/v1/cameras/${encodeURIComponent(c.name)}/segments${qs({ from_us: from, to_us: now })}`).catch(() => ({ segments: [] as Segment[] })),
        get<{ events: any[] }>(`/api/v1/events${qs({ camera: c.name, from_us: from, to_us: now, limit: 500 })}`).catch(() => ({ events: [] })),
      ]);
      if (disposed) return;
      const span = now - from;
      const pct = (us: number) => `${Math.max(0, Math.min(100, ((us - from) / span) * 100))}%`;
      for (const s of segs.segments) {
        const end = s.open ? now : s.end_us;
        const seg = h('span', { class: `seg ${s.open ? 'open' : ''}`, title: `${s.name} ${formatTime(s.start_us)}` });
        seg.style.insetInlineStart = pct(s.start_us);
        seg.style.width = `${Math.max(0.3, ((end - Math.max(s.start_us, from)) / span) * 100)}%`;
        bar.append(seg);
      }
      for (const e of evs.events) {
        const mk = h('span', { class: `ev-mark type-${e.type}`, title: `${e.type} ${formatTime(e.time_us)}` });
        mk.style.insetInlineStart = pct(e.time_us);
        bar.append(mk);
      }
      bar.append(h('span', { class: 'tl-label start' }, formatClock(from)), h('span', { class: 'tl-label end' }, formatClock(now)));
      if (ctx.user.role !== 'viewer')
        bar.addEventListener('click', (ev: MouseEvent) => {
          const r = bar.getBoundingClientRect();
          let f = (ev.clientX - r.left) / r.width;
          if (document.documentElement.dir === 'rtl') f = 1 - f;
          const at = from + f * span;
          exportAndPlay(c.name, at - 5e6, at + 5e6);
        });
      row.append(h('span', { class: 'tl-count' }, `${segs.segments.length} ${t('rec.segments')} · ${evs.events.length} ${t('rec.events')}`));
    }
  }

  load();
  return () => {
    disposed = true;
  };
}
