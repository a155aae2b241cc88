// The site map (Leaflet, no internet tiles): the site's local ground frame in metres (east, north) with a 10-m grid;
// cameras' fields of view (the calibration's ground points' hull, then the image mapped through the homography once
// a tracks message gives the image size), rules' lines and zones on the ground (given in metres or projected through
// the camera's homography), per-camera track points and the fused global tracks with trails, live; the hotspots of
// the last 24 h (GET /api/v1/hotspots) as circles sized by their event count. For a site with an origin the
// cursor's latitude/longitude is shown.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { api, get, qs, cameras, ApiError, type Camera } from '../api';
import { Tile } from '../tile';
import { timeline, exportPieceAt, liveCamera, exportedIdFrom, clipId, type Bar, type GlobalTrackView, type FollowExport } from '../follow';
import { h } from '../dom';
import { t, lang, formatNumber, formatTime, formatClock, typeName } from '../i18n';
import { live } from '../live';
import { trackColour } from '../draw';
import { applyH, convexHull, fieldOfView, fitHomography, localToLatLon, type Pt } from '../geometry';
import type { Ctx } from '../main';

const ll = (p: Pt) => L.latLng(p[1], p[0]);

export function cameraHomography(c: Camera): number[] | null {
  const hg = c.definition?.calibration?.homography;
  if (!hg || !hg.image || !hg.ground) return null;
  return fitHomography(hg.image as Pt[], hg.ground as Pt[]);
}

interface TrackPoint {
  time_us: number;
  track_id: number;
  camera?: string;
  global_id?: number;
  ground?: Pt;
}

export function mapView(root: HTMLElement, ctx: Ctx): () => void {
  const cursor = h('span', { id: 'map-cursor' });
  const info = h('span', { id: 'map-info' });
  const hotspotCount = h('span', { id: 'map-hotspots' });
  const el = h('div', { class: 'map', id: 'map' });
  const side = h('aside', { class: 'ev-side', id: 'follow' });
  root.append(h('div', { class: 'toolbar' }, h('span', null, t('map.grid')), info, hotspotCount, cursor), h('div', { class: 'split' }, el, side));
  const following = ctx.param.startsWith('follow/') || ctx.param.startsWith('global/');
  side.hidden = !following;
  const disposers: (() => void)[] = [];
  const map = L.map(el, { crs: L.CRS.Simple, minZoom: -3, maxZoom: 6, zoomSnap: 0.25, attributionControl: false });
  map.setView([0, 0], 1);
  const gridLayer = L.layerGroup().addTo(map);
  const fovLayer = L.layerGroup().addTo(map);
  const hotspotLayer = L.layerGroup().addTo(map);
  const staticLayer = L.layerGroup().addTo(map);
  const liveLayer = L.layerGroup().addTo(map);
  L.control.layers(undefined, { [t('map.fov')]: fovLayer, [t('map.hotspots')]: hotspotLayer, [t('map.global')]: liveLayer }, { collapsed: false }).addTo(map);
  // Per calibrated camera: its homography's point pairs and its drawn field of view (replaced once the size is known).
  const fovs = new Map<string, { image: Pt[]; ground: Pt[]; shape: L.Polygon; sized: boolean }>();
  const trails = new Map<string, { pts: L.LatLng[]; line: L.Polyline; dot: L.CircleMarker; seen: number }>();
  const camDots = new Map<string, L.LayerGroup>();
  const homographies = new Map<string, number[]>();
  let origin: { lat: number; lon: number } | null = null;

  function drawGrid(b: L.LatLngBounds): void {
    gridLayer.clearLayers();
    const step = 10;
    const x0 = Math.floor(b.getWest() / step) * step - step * 5;
    const x1 = Math.ceil(b.getEast() / step) * step + step * 5;
    const y0 = Math.floor(b.getSouth() / step) * step - step * 5;
    const y1 = Math.ceil(b.getNorth() / step) * step + step * 5;
    for (let x = x0; x <= x1; x += step)
      L.polyline([ll([x, y0]), ll([x, y1])], { color: x === 0 ? '#667' : '#334', weight: x % 50 === 0 ? 1.2 : 0.6, interactive: false }).addTo(gridLayer);
    for (let y = y0; y <= y1; y += step)
      L.polyline([ll([x0, y]), ll([x1, y])], { color: y === 0 ? '#667' : '#334', weight: y % 50 === 0 ? 1.2 : 0.6, interactive: false }).addTo(gridLayer);
  }

  map.on('mousemove', (e: L.LeafletMouseEvent) => {
    const x = e.latlng.lng;
    const y = e.latlng.lat;
    let s = `${t('map.cursor')}: ${formatNumber(x, 1)} m E, ${formatNumber(y, 1)} m N`;
    if (origin) {
      const [lat, lon] = localToLatLon(x, y, origin.lat, origin.lon);
      s += ` · ${lat.toFixed(6)}, ${lon.toFixed(6)}`;
    }
    cursor.textContent = s;
  });

  Promise.all([get('/api/v1/site').catch(() => ({})), cameras()]).then(([site, list]) => {
    origin = (site as any).origin ?? null;
    info.textContent = origin ? `${(site as any).name ?? ''} · ${origin.lat.toFixed(5)}, ${origin.lon.toFixed(5)}` : t('map.notgeo');
    const bounds = L.latLngBounds([ll([-50, -50]), ll([50, 50])]);
    for (const c of list) {
      const H = cameraHomography(c);
      if (H) homographies.set(c.name, H);
      const hg = c.definition?.calibration?.homography;
      if (H && hg?.ground && hg.ground.length >= 3) {
        const poly = L.polygon(convexHull(hg.ground as Pt[]).map(ll), { color: '#4a90d9', weight: 1, fillOpacity: 0.08 }).addTo(fovLayer);
        poly.bindTooltip(c.name, { permanent: true, direction: 'center', className: 'cam-label' });
        fovs.set(c.name, { image: hg.image as Pt[], ground: hg.ground as Pt[], shape: poly, sized: false });
        bounds.extend(poly.getBounds());
      }
      for (const r of c.definition?.rules ?? []) {
        let g = r.ground as Pt[] | undefined;
        if (!g && r.points && H) g = (r.points as Pt[]).map((p) => applyH(H, p));
        if (!g || g.length < 2) continue;
        const style = { color: r.type === 'line' ? '#ffd400' : '#00d0ff', weight: 2, fillOpacity: 0.1 };
        const shape = g.length === 2 || r.type === 'line' ? L.polyline(g.map(ll), style) : L.polygon(g.map(ll), style);
        shape.bindTooltip(`${c.name}: ${r.name ?? r.type}`).addTo(staticLayer);
        bounds.extend(shape.getBounds());
      }
    }
    el.dataset.fov = String(fovs.size);
    map.fitBounds(bounds, { padding: [20, 20] });
    drawGrid(bounds);
    loadHotspots(bounds).catch((e) => (info.textContent += ` · ${t('map.hotspots')}: ${(e as Error).message}`));
    if (following) follow(list, ctx.param).catch((e) => side.append(h('p', { class: 'error' }, (e as Error).message)));
  });

  // The last 24 h of hotspots: one circle per grid cell, its area proportional to the cell's events, red where
  // near-misses lead, orange for stopped vehicles, magenta for wrong-way.
  async function loadHotspots(bounds: L.LatLngBounds): Promise<void> {
    const now = Date.now() * 1000;
    const range = { from_us: Math.round(now - 86400e6), to_us: Math.round(now + 60e6) };
    const fc = await get<any>(`/api/v1/hotspots${qs(range)}`);
    hotspotLayer.clearLayers();
    const features = (fc.features ?? []) as any[];
    const max = Math.max(1, ...features.map((f) => f.properties.count as number));
    const colours: Record<string, string> = { near_miss: '#ff3b3b', stopped: '#ff9d00', wrong_way: '#ff3bf5' };
    const hb = L.latLngBounds([]);
    for (const f of features) {
      const p = f.properties;
      const lead = ['near_miss', 'stopped', 'wrong_way'].reduce((a, b) => (p[b] > p[a] ? b : a));
      const m = L.circleMarker(ll(f.geometry.coordinates as Pt), {
        radius: 5 + 15 * Math.sqrt(p.count / max),
        color: colours[lead],
        weight: 1,
        fillOpacity: 0.45,
        className: 'hotspot',
      }).addTo(hotspotLayer);
      m.bindTooltip(
        `${formatNumber(p.count)} ${t('map.hotspots.count')}: ${typeName('near_miss')} ${formatNumber(p.near_miss)}, ` +
          `${typeName('stopped')} ${formatNumber(p.stopped)}, ${typeName('wrong_way')} ${formatNumber(p.wrong_way)}`,
      );
      hb.extend(m.getLatLng());
    }
    el.dataset.hotspotsRange = qs(range).slice(1);
    el.dataset.hotspots = String(features.length);
    hotspotCount.textContent = `${t('map.hotspots')}: ${formatNumber(features.length)}`;
    if (ctx.param === 'hotspots' && hb.isValid()) map.fitBounds(hb.extend(bounds.getCenter()), { padding: [40, 40], maxZoom: 4 });
  }

  // A camera's field of view from its image size (the first tracks message that gives it).
  function sizeFov(camera: string, w: number, hgt: number): void {
    const f = fovs.get(camera);
    const H = homographies.get(camera);
    if (!f || f.sized || !H || !w || !hgt) return;
    f.sized = true;
    const cx = f.ground.reduce((a, p) => a + p[0], 0) / f.ground.length;
    const cy = f.ground.reduce((a, p) => a + p[1], 0) / f.ground.length;
    const extent = Math.max(...f.ground.map((p) => Math.hypot(p[0] - cx, p[1] - cy)));
    const poly = fieldOfView(H, f.image, f.ground, w, hgt, Math.max(100, 4 * extent));
    if (poly) f.shape.setLatLngs(poly.map(ll));
  }

  // "Follow this object": from an event (#/map/follow/CAMERA/TRACK/TIME_US) its track, and when fused its global
  // track (GET /api/v1/global-tracks/{id}: which camera saw it when, the ground path, the follow plan); or a global
  // track directly (#/map/global/ID). A track that was not fused shows this camera's stretch with a clip.
  async function follow(list: Camera[], param: string): Promise<void> {
    const parts = param.split('/');
    let gid = 0;
    let own: TrackPoint[] = [];
    let camera = '';
    let id = 0;
    if (parts[0] === 'global') {
      gid = Number(parts[1]);
    } else {
      camera = parts[1];
      id = Number(parts[2]);
      const atUs = Number(parts[3]);
      const range = { from_us: Math.max(0, atUs - 120e6), to_us: atUs + 120e6 };
      own = (await get<{ points: TrackPoint[] }>(`/api/v1/cameras/${encodeURIComponent(camera)}/tracks${qs({ ...range, track_id: id })}`)).points;
      gid = own.find((p) => p.global_id)?.global_id ?? 0;
    }
    let view: GlobalTrackView | null = null;
    if (gid) {
      try {
        view = await get<GlobalTrackView>(`/api/v1/global-tracks/${gid}`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404) || !camera) throw e;
      }
    }
    if (view) {
      followGlobal(list, view);
      return;
    }
    // Not fused: this camera's stretch.
    side.append(h('h3', null, `${t('map.follow')}: ${camera} #${id}`), h('p', { id: 'fl-notfused' }, t('fl.notfused')));
    const path = own.filter((p) => p.ground);
    drawPath(path.map((p) => ({ time_us: p.time_us, ground: p.ground! })));
    const clipBox = h('div', { class: 'clip' });
    if (own.length) {
      const from = own[0].time_us;
      const to = own[own.length - 1].time_us;
      side.append(
        h('div', { class: 'rule-row' }, h('strong', null, camera), `${formatClock(from)} – ${formatClock(to)}`,
          h('button', { class: 'link', onclick: () => playClip(camera, from - 2e6, to + 2e6, clipBox) }, t('events.clip'))),
      );
    }
    side.append(clipBox);
  }

  function drawPath(path: { time_us: number; ground: Pt }[]): void {
    if (path.length < 2) {
      side.append(h('p', null, t('map.noground')));
      return;
    }
    const line = L.polyline(path.map((p) => ll(p.ground)), { color: '#ff4d4d', weight: 4, className: 'follow-path' }).addTo(staticLayer);
    L.circleMarker(ll(path[0].ground), { radius: 6, color: '#fff' }).bindTooltip(formatClock(path[0].time_us)).addTo(staticLayer);
    L.circleMarker(ll(path[path.length - 1].ground), { radius: 6, color: '#ff4d4d', fillOpacity: 1 }).bindTooltip(formatClock(path[path.length - 1].time_us)).addTo(staticLayer);
    el.dataset.followPath = String(path.length);
    map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 4, animate: false });
  }

  // The global track's panel: the timeline of cameras (one row per camera, a bar per sighting with its local track
  // IDs) and the follow plan under it; playing the plan shows each piece's recording in turn in one player (the
  // camera that sees the object at that moment); following live switches a live tile to the camera that sees it now;
  // the export makes one MP4 cutting camera to camera (a package, signed where the site has a key).
  function followGlobal(list: Camera[], view: GlobalTrackView): void {
    const gid = view.global_id;
    const tl = timeline(view);
    const colour = new Map(tl.rows.map((r, i) => [r.camera, trackColour(i + 1)]));
    const state = { plan: view.follow, intervals: view.intervals, playing: -1, onScreen: '', liveCameras: [] as string[], liveCamera: '', switches: 0, exported: null as FollowExport | null, exportCamera: '' };
    (window as any).__didbanFollow = state;
    side.dataset.global = String(gid);
    side.append(
      h('h3', null, `${t('fl.global')} G${gid}`),
      h('p', null, `${formatTime(view.from_us)} – ${formatClock(view.to_us)}`),
    );
    drawPath(view.ground_path);
    // Timeline.
    const pct = (b: Bar) => ({ insetInlineStart: `${b.start}%`, width: `${b.width}%` });
    const cursor = h('span', { class: 'fl-cursor', hidden: true });
    const box = h('div', { class: 'fl-timeline', id: 'fl-timeline' }, h('h4', null, t('fl.timeline')));
    for (const r of tl.rows) {
      box.append(
        h('div', { class: 'fl-row', 'data-camera': r.camera }, h('span', { class: 'fl-cam' }, r.camera),
          h('div', { class: 'fl-track' }, r.bars.map((b) =>
            h('span', { class: 'fl-iv', style: { ...pct(b), background: colour.get(r.camera) }, 'data-from': String(b.from_us), 'data-to': String(b.to_us), 'data-ids': b.track_ids.join(','),
              title: `${r.camera} ${formatClock(b.from_us)} – ${formatClock(b.to_us)} · #${b.track_ids.join(', #')}` })))),
      );
    }
    const pieces = tl.plan.map((b, i) =>
      h('span', { class: 'fl-piece', style: { ...pct(b), background: colour.get(b.camera) }, 'data-camera': b.camera, 'data-index': String(i),
        title: `${i + 1}. ${b.camera} ${formatClock(b.from_us)} – ${formatClock(b.to_us)}`, onclick: () => playPiece(i) }));
    box.append(
      h('div', { class: 'fl-row fl-plan' }, h('span', { class: 'fl-cam' }, t('fl.plan')), h('div', { class: 'fl-track' }, pieces, cursor)),
      h('div', { class: 'fl-axis' }, h('span', null, formatClock(tl.from_us)), h('span', null, formatClock(tl.to_us))),
    );
    side.append(box);
    // The plan, piece by piece.
    const list2 = h('ol', { class: 'fl-pieces', id: 'fl-pieces' },
      view.follow.map((p, i) =>
        h('li', { 'data-camera': p.camera, 'data-index': String(i) },
          h('button', { class: 'link', onclick: () => playPiece(i) }, p.camera),
          ` ${formatClock(p.from_us)} – ${formatClock(p.to_us)} · #${p.track_ids.join(', #')}`,
          i + 1 < view.follow.length ? ` · ${p.handoff_to_next ? t('fl.handoff') : t('fl.gap')} ${lang() === 'fa' ? '←' : '→'}` : '')));
    side.append(h('p', { class: 'hint' }, `${t('fl.plan')}: ${formatNumber(view.follow.length)} ${t('fl.pieces')}`), list2);
    // Controls and the player.
    const operator = ctx.user.role !== 'viewer';
    const liveBtn = h('button', { id: 'fl-live', hidden: true, onclick: () => followLive() }, t('fl.live'));
    const controls = h('div', { class: 'toolbar' },
      h('button', { id: 'fl-play', hidden: !operator, onclick: () => playPiece(0) }, t('fl.play')),
      h('button', { id: 'fl-prev', hidden: true, onclick: () => state.playing > 0 && playPiece(state.playing - 1) }, t('fl.prev')),
      h('button', { id: 'fl-next', hidden: true, onclick: () => state.playing + 1 < view.follow.length && playPiece(state.playing + 1) }, t('fl.next')),
      liveBtn,
      h('button', { id: 'fl-export', hidden: !operator, onclick: () => exportFollow() }, t('fl.export')));
    const onScreen = h('p', { class: 'fl-onscreen', id: 'fl-onscreen' });
    const player = h('div', { class: 'fl-player', id: 'fl-player' });
    const exportBox = h('div', { class: 'clip', id: 'fl-export-box' });
    side.append(controls, onScreen, player, exportBox);
    for (const b of [...box.querySelectorAll<HTMLElement>('.fl-iv')]) b.onclick = () => {
      const k = view.follow.findIndex((p) => p.camera === b.closest<HTMLElement>('.fl-row')!.dataset.camera && p.to_us > Number(b.dataset.from));
      if (k >= 0) playPiece(k);
    };

    function show(camera: string, what: string): void {
      state.onScreen = camera;
      player.dataset.camera = camera;
      onScreen.textContent = `${t('fl.onscreen')}: ${camera} · ${what}`;
      for (const r of box.querySelectorAll<HTMLElement>('.fl-row[data-camera]')) r.classList.toggle('on', r.dataset.camera === camera);
    }
    function stopTile(): void {
      liveTile?.close();
      liveTile = null;
      cancelAnimationFrame(raf);
      state.liveCamera = '';
    }

    let token = 0;
    async function playPiece(i: number): Promise<void> {
      const p = view.follow[i];
      if (!p) return;
      stopTile();
      const my = ++token;
      state.playing = i;
      player.dataset.piece = String(i);
      pieces.forEach((x, k) => x.classList.toggle('on', k === i));
      for (const li of list2.children) li.classList.toggle('on', (li as HTMLElement).dataset.index === String(i));
      (controls.querySelector('#fl-prev') as HTMLElement).hidden = i === 0;
      (controls.querySelector('#fl-next') as HTMLElement).hidden = i + 1 >= view.follow.length;
      show(p.camera, `${formatNumber(i + 1)}/${formatNumber(view.follow.length)} · ${formatClock(p.from_us)}`);
      player.replaceChildren(h('p', null, t('events.clip.pending')));
      try {
        const clip = await clipOf(p.camera, p.from_us, p.to_us);
        if (my !== token) return;
        const video = h('video', { id: 'fl-video', controls: true, autoplay: true, muted: true, src: `/api/v1/clips/${encodeURIComponent(clip.id)}/video.mp4` });
        video.ontimeupdate = () => {
          const at = (clip.from_us ?? p.from_us) + video.currentTime * 1e6;
          const f = (at - tl.from_us) / Math.max(1, tl.to_us - tl.from_us);
          cursor.hidden = false;
          cursor.style.insetInlineStart = `${Math.max(0, Math.min(100, f * 100))}%`;
        };
        video.onended = () => my === token && i + 1 < view.follow.length && playPiece(i + 1);
        player.replaceChildren(video);
      } catch (e) {
        if (my === token) player.replaceChildren(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${(e as Error).message}`));
      }
    }

    // Live: a tile on the camera that sees the object now (the fused track's contributions), switched when it hands
    // over to another camera.
    let liveTile: Tile | null = null;
    let raf = 0;
    let lastSeen = 0;
    function followLive(): void {
      token++;
      state.playing = -1;
      pieces.forEach((x) => x.classList.remove('on'));
      player.replaceChildren();
      switchLive(liveCamera('', state.liveCameras.map((camera) => ({ camera }))));
    }
    function switchLive(camera: string): void {
      if (!camera || camera === state.liveCamera) return;
      liveTile?.close();
      cancelAnimationFrame(raf);
      const c = list.find((x) => x.name === camera);
      liveTile = new Tile(camera, c?.definition?.rules ?? []);
      const latest = live.latestTracks.get(camera);
      if (latest) liveTile.onTracks(latest);
      player.replaceChildren(liveTile.el);
      liveTile.start();
      if (state.liveCamera) state.switches++;
      state.liveCamera = camera;
      show(camera, t('wall.mode.mse'));
      const loop = () => {
        liveTile?.draw();
        raf = requestAnimationFrame(loop);
      };
      raf = requestAnimationFrame(loop);
    }
    const offLive = live.on((m) => {
      if (m.topic === 'tracks' && liveTile && m.camera === liveTile.camera) liveTile.onTracks(m.data);
      if (m.topic !== 'fused_tracks') return;
      const tr = (m.data.tracks ?? []).find((x: any) => x.id === gid);
      if (!tr) {
        if (lastSeen && performance.now() - lastSeen > 3000 && !liveBtn.hidden) {
          liveBtn.hidden = true;
          if (liveTile) onScreen.textContent = `${t('fl.onscreen')}: ${state.liveCamera} · ${t('fl.live.lost')}`;
        }
        return;
      }
      lastSeen = performance.now();
      const visible = new Set(list.map((c) => c.name));
      state.liveCameras = (tr.cameras ?? []).map((c: any) => c.camera).filter((c: string) => visible.has(c));
      liveBtn.hidden = state.liveCameras.length === 0;
      if (liveTile) switchLive(liveCamera(state.liveCamera, state.liveCameras.map((camera) => ({ camera }))));
    });
    disposers.push(() => {
      offLive();
      stopTile();
      token++;
    });

    async function exportFollow(): Promise<void> {
      exportBox.replaceChildren(h('p', null, t('fl.export.pending')));
      let r: FollowExport;
      try {
        r = await api<FollowExport>('POST', `/api/v1/global-tracks/${gid}/follow-export`, {});
      } catch (e) {
        const idDone = exportedIdFrom((e as Error).message);
        exportBox.replaceChildren(h('p', { class: 'error' }, `${t('fl.export.failed')}: ${(e as Error).message}`));
        if (idDone) exportBox.append(h('a', { class: 'button', href: `/api/v1/clips/${encodeURIComponent(idDone)}/video.mp4`, download: `${idDone}.mp4` }, t('fl.download')));
        return;
      }
      state.exported = r;
      const url = `/api/v1/clips/${encodeURIComponent(r.clip.id)}/video.mp4`;
      const cams = [...new Set(r.pieces.map((p) => p.camera))];
      const caption = h('p', { id: 'fl-export-camera' });
      // Played from a blob: the server sends the clip whole (no byte ranges), which Chromium cannot seek in.
      const video = h('video', { id: 'fl-export-video', controls: true, muted: true });
      fetch(url, { credentials: 'same-origin' })
        .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(`HTTP ${res.status}`))))
        .then((blob) => (video.src = URL.createObjectURL(blob)))
        .catch((e) => exportBox.append(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${(e as Error).message}`)));
      const onTime = () => {
        const k = exportPieceAt(r.pieces, video.currentTime);
        state.exportCamera = k >= 0 ? r.pieces[k].camera : '';
        caption.dataset.camera = state.exportCamera;
        caption.textContent = k >= 0 ? `${t('fl.onscreen')}: ${r.pieces[k].camera} (${formatNumber(k + 1)}/${formatNumber(r.pieces.length)})` : '';
      };
      video.ontimeupdate = onTime;
      onTime();
      exportBox.replaceChildren(
        h('h4', null, t('fl.export.done')),
        h('p', { id: 'fl-export-summary', 'data-pieces': String(r.pieces.length), 'data-frames': String(r.frames), 'data-signed': String(r.signed) },
          `${formatNumber(r.pieces.length)} ${t('fl.pieces')} (${cams.join(', ')}) · ${formatNumber(r.frames)} ${t('fl.frames')} · ` +
            `${formatNumber(r.duration_us / 1e6, 1)} s · ${r.stream_copy ? t('fl.streamcopy') : t('fl.reencoded')}${r.masked ? ` · ${t('fl.masked')}` : ''}`),
        h('p', { id: 'fl-export-signed', class: r.signed ? 'ok' : 'hint' }, r.signed ? `✓ ${t('fl.signed')}` : t('fl.unsigned')),
        r.missing.length ? h('p', { class: 'error' }, `${formatNumber(r.missing.length)} ${t('fl.missing')}: ${r.missing.map((m) => m.camera).join(', ')}`) : '',
        video,
        caption,
        h('a', { class: 'button', id: 'fl-download', href: url, download: `${r.clip.id}.mp4` }, t('fl.download')),
      );
    }
  }

  // A clip of camera [from, to): exported (POST /api/v1/clips), or the one exported before (409), when ready.
  async function clipOf(camera: string, from: number, to: number): Promise<any> {
    let clip: any;
    try {
      clip = await api<any>('POST', '/api/v1/clips', { camera, from_us: Math.round(from), to_us: Math.round(to) });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) throw e;
      clip = await get(`/api/v1/clips/${encodeURIComponent(clipId(camera, from, to))}`);
    }
    for (let i = 0; i < 40 && clip.state === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      clip = await get(`/api/v1/clips/${encodeURIComponent(clip.id)}`);
    }
    if (clip.state !== 'ready') throw new Error(clip.detail ?? clip.state);
    return clip;
  }

  async function playClip(camera: string, from: number, to: number, box: HTMLElement): Promise<void> {
    box.replaceChildren(h('p', null, t('events.clip.pending')));
    try {
      let clip = await api<any>('POST', '/api/v1/clips', { camera, from_us: Math.round(from), to_us: Math.round(to) });
      for (let i = 0; i < 40 && clip.state === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        clip = await get(`/api/v1/clips/${encodeURIComponent(clip.id)}`);
      }
      if (clip.state !== 'ready') throw new Error(clip.detail ?? clip.state);
      box.replaceChildren(h('video', { controls: true, autoplay: true, muted: true, src: `/api/v1/clips/${encodeURIComponent(clip.id)}/video.mp4` }));
    } catch (e) {
      box.replaceChildren(h('p', { class: 'error' }, `${t('events.clip.failed')}: ${(e as Error).message}`));
    }
  }

  const off = live.on((m) => {
    if (m.topic === 'fused_tracks') {
      const now = performance.now();
      for (const tr of m.data.tracks ?? []) {
        const key = `${m.data.group}/${tr.id}`;
        const p = ll(tr.position);
        let e = trails.get(key);
        if (!e) {
          const c = trackColour(tr.id);
          e = {
            pts: [],
            line: L.polyline([], { color: c, weight: 2, opacity: 0.8 }).addTo(liveLayer),
            dot: L.circleMarker(p, { radius: 5, color: c, fillOpacity: 0.9 })
              .bindTooltip(`G${tr.id}`)
              .on('click', () => (location.hash = `#/map/global/${tr.id}`))
              .addTo(liveLayer),
            seen: now,
          };
          trails.set(key, e);
        }
        e.pts.push(p);
        if (e.pts.length > 60) e.pts.shift();
        e.line.setLatLngs(e.pts);
        e.dot.setLatLng(p);
        e.seen = now;
      }
      for (const [k, e] of trails)
        if (now - e.seen > 5000) {
          e.line.remove();
          e.dot.remove();
          trails.delete(k);
        }
    } else if (m.topic === 'tracks') {
      sizeFov(m.camera, m.data.width, m.data.height);
      let g = camDots.get(m.camera);
      if (!g) {
        g = L.layerGroup().addTo(liveLayer);
        camDots.set(m.camera, g);
      }
      g.clearLayers();
      const H = homographies.get(m.camera);
      for (const tr of m.data.tracks ?? []) {
        let p: Pt | undefined = tr.ground;
        if (!p && H) p = applyH(H, [tr.box[0] + tr.box[2] / 2, tr.box[1] + tr.box[3]]);
        if (p) L.circleMarker(ll(p), { radius: 3, color: trackColour(tr.id), weight: 1, fillOpacity: 0.6 }).addTo(g);
      }
    }
  });

  return () => {
    off();
    for (const d of disposers) d();
    map.remove();
  };
}
