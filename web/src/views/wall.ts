// The video wall: a grid of live tiles (one per camera the user may see), each with its state and frame rate;
// clicking a tile shows that camera alone (#/wall/<camera>). Exposes window.__didbanWall for the browser tests and
// the frame-rate measurement.
import { cameras, type Camera } from '../api';
import { h, clear, option } from '../dom';
import { t, stateName, formatNumber } from '../i18n';
import { live } from '../live';
import { Tile } from '../tile';
import type { Ctx } from '../main';

// First times (performance.now(), ms since navigation) the wall showed its tiles and a picture: window.__didbanTimes.
function mark(what: string): void {
  const times = ((window as any).__didbanTimes ??= {});
  times[what] ??= Math.round(performance.now());
}

export function wallView(root: HTMLElement, ctx: Ctx): () => void {
  let tiles: Tile[] = [];
  let raf = 0;
  let disposed = false;
  let frames = 0;
  let fps = 0;
  let fpsT0 = performance.now();
  const grid = h('div', { class: 'wall', id: 'wall' });
  const cols = h('select', { id: 'wall-cols' }, [1, 2, 3, 4].map((n) => option(String(n), formatNumber(n))));
  const toolbar = h('div', { class: 'toolbar' });
  root.append(toolbar, grid);

  const stats = {
    get fps() {
      return fps;
    },
    // Adds `perTile` synthetic moving boxes to every tile (measurement only).
    addSyntheticTracksForTest(perTile: number) {
      for (const x of tiles) {
        const w = x.width || 640;
        const hh = x.height || 360;
        x.syntheticForTest = Array.from({ length: perTile }, (_, i) => ({
          id: 1000 + i,
          class: 'car',
          state: 1,
          score: 1,
          box: [(i * 37) % (w * 0.8), ((i * 53) % (hh * 0.8)) + 10, w * 0.06, hh * 0.06] as [number, number, number, number],
        }));
      }
    },
    get tracksOnScreen() {
      return tiles.reduce((n, x) => n + x.tracksOnScreen, 0);
    },
    get tiles() {
      return tiles.map((x) => ({
        camera: x.camera,
        mode: x.mode,
        currentTime: x.video.currentTime,
        readyState: x.video.readyState,
        boxesDrawn: x.boxesDrawn,
        lastPtsUs: x.lastPtsUs,
        screenPtsUs: x.screenPtsUs(),
        tracksBuffered: x.tracks.size,
        errors: x.errors,
        framesShown: x.framesShown,
      }));
    },
  };
  (window as any).__didbanWall = stats;

  const off = live.on((m) => {
    if (m.topic === 'tracks') tiles.find((x) => x.camera === m.camera)?.onTracks(m.data);
    if (m.topic === 'camera_state') updateStatus(m.camera);
  });

  const initial = new Map<string, Camera>();
  function updateStatus(camera: string, cam: Camera | undefined = initial.get(camera)): void {
    const tile = tiles.find((x) => x.camera === camera);
    if (!tile) return;
    const s = live.states.get(camera);
    const state = s?.health ?? cam?.status.state ?? 'connecting';
    const f = s?.frames_per_second ?? cam?.status.frames_per_second ?? 0;
    tile.setStatus(`${stateName(state)} · ${formatNumber(f, 1)} ${t('fps')} · ${t(`wall.mode.${tile.mode === 'connecting' ? 'mse' : tile.mode}`)}`, state);
  }

  function loop(): void {
    if (disposed) return;
    for (const x of tiles) x.draw();
    frames++;
    const now = performance.now();
    if (now - fpsT0 >= 1000) {
      fps = (frames * 1000) / (now - fpsT0);
      frames = 0;
      fpsT0 = now;
      for (const x of tiles) updateStatus(x.camera);
    }
    raf = requestAnimationFrame(loop);
  }

  cameras()
    .then((list) => {
      if (disposed) return;
      const single = ctx.param ? list.filter((c) => c.name === ctx.param) : list;
      if (ctx.param) {
        toolbar.append(h('a', { href: '#/wall', class: 'button', id: 'wall-back' }, t('wall.close')), ' ', h('strong', null, ctx.param));
        grid.classList.add('single');
      } else {
        const n = Math.max(1, Math.ceil(Math.sqrt(list.length)));
        cols.value = String(Math.min(4, n));
        grid.style.setProperty('--cols', cols.value);
        cols.onchange = () => grid.style.setProperty('--cols', cols.value);
        toolbar.append(h('label', null, t('wall.columns'), ' ', cols));
      }
      if (single.length === 0) {
        grid.append(h('p', null, ctx.param ? t('notfound') : t('none')));
        return;
      }
      for (const c of single) initial.set(c.name, c);
      tiles = single.map((c) => {
        const tile = new Tile(c.name, c.definition?.rules ?? []);
        if (!ctx.param) tile.el.addEventListener('click', () => (location.hash = `#/wall/${encodeURIComponent(c.name)}`));
        const latest = live.latestTracks.get(c.name);
        if (latest) tile.onTracks(latest);
        grid.append(tile.el);
        tile.start();
        return tile;
      });
      for (const c of single) updateStatus(c.name, c);
      mark('tiles');
      for (const x of tiles) {
        x.video.addEventListener('loadeddata', () => mark('picture'), { once: true });
        x.img.addEventListener('load', () => mark('picture'), { once: true });
      }
      raf = requestAnimationFrame(loop);
    })
    .catch((e) => {
      clear(grid);
      grid.append(h('p', { class: 'error' }, `${t('error')}: ${(e as Error).message}`));
    });

  return () => {
    disposed = true;
    cancelAnimationFrame(raf);
    off();
    for (const x of tiles) x.close();
    tiles = [];
  };
}
