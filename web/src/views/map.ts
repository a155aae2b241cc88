// The site map (Leaflet, no internet tiles): the site's local ground frame in metres (east, north) with a 10-m grid;
// cameras' fields of view (the calibration's ground points' hull, then the image mapped through the homography once
// a tracks message gives the image size), rules' lines and zones on the ground (given in metres or projected through
// the camera's homography), per-camera track points and the fused global tracks with trails, live; the hotspots of
// the last 24 h (GET /api/v1/hotspots) as circles sized by their event count. For a site with an origin the
// cursor's latitude/longitude is shown.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { api, get, qs, cameras, type Camera } from '../api';
import { h } from '../dom';
import { t, formatNumber, formatTime, formatClock, typeName } from '../i18n';
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
  side.hidden = !ctx.param.startsWith('follow/');
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
    if (ctx.param.startsWith('follow/')) {
      const [, camera, id, at] = ctx.param.split('/');
      follow(list, camera, Number(id), Number(at)).catch((e) => side.append(h('p', { class: 'error' }, (e as Error).message)));
    }
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

  // "Follow this object": the event's track on the ground (its global track when fused), and per camera the time it
  // was seen there, with a clip of that stretch.
  async function follow(list: Camera[], camera: string, id: number, atUs: number): Promise<void> {
    const range = { from_us: Math.max(0, atUs - 120e6), to_us: atUs + 120e6 };
    const own = (await get<{ points: TrackPoint[] }>(`/api/v1/cameras/${encodeURIComponent(camera)}/tracks${qs({ ...range, track_id: id })}`)).points;
    const gid = own.find((p) => p.global_id)?.global_id;
    let path: TrackPoint[] = own.filter((p) => p.ground);
    const seen = new Map<string, TrackPoint[]>([[camera, own]]);
    if (gid) {
      const glob = (await get<{ points: TrackPoint[] }>(`/api/v1/tracks${qs({ ...range, track_id: gid })}`)).points;
      if (glob.length) path = glob.filter((p) => p.ground);
      for (const c of list) {
        if (c.name === camera) continue;
        const pts = (await get<{ points: TrackPoint[] }>(`/api/v1/cameras/${encodeURIComponent(c.name)}/tracks${qs({ ...range, track_id: gid })}`).catch(() => ({ points: [] }))).points;
        if (pts.length) seen.set(c.name, pts);
      }
    }
    side.append(h('h3', null, `${t('map.follow')}: ${camera} #${id}${gid ? ` · G${gid}` : ''}`), h('p', null, formatTime(atUs)));
    if (path.length >= 2) {
      const line = L.polyline(path.map((p) => ll(p.ground!)), { color: '#ff4d4d', weight: 4 }).addTo(staticLayer);
      L.circleMarker(ll(path[0].ground!), { radius: 6, color: '#fff' }).bindTooltip(formatClock(path[0].time_us)).addTo(staticLayer);
      L.circleMarker(ll(path[path.length - 1].ground!), { radius: 6, color: '#ff4d4d', fillOpacity: 1 }).bindTooltip(formatClock(path[path.length - 1].time_us)).addTo(staticLayer);
      map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 4 });
    } else {
      side.append(h('p', null, t('map.noground')));
    }
    const clipBox = h('div', { class: 'clip' });
    for (const [cam, pts] of seen) {
      if (!pts.length) continue;
      const from = pts[0].time_us;
      const to = pts[pts.length - 1].time_us;
      side.append(
        h('div', { class: 'rule-row' }, h('strong', null, cam), `${formatClock(from)} – ${formatClock(to)}`,
          h('button', { class: 'link', onclick: () => playClip(cam, from - 2e6, to + 2e6, clipBox) }, t('events.clip'))),
      );
    }
    side.append(clipBox);
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
            dot: L.circleMarker(p, { radius: 5, color: c, fillOpacity: 0.9 }).bindTooltip(`G${tr.id}`).addTo(liveLayer),
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
    map.remove();
  };
}
