// Browser tests of the didban web UI against a running `didban serve`, in Debian's Chromium driven by
// playwright-core (no browser download). Takes a screenshot of every view into SCREENS and prints the figures it
// measures as "measure: name value" lines. Exits non-zero on the first failed check.
//   node e2e/run.mjs BASE_URL SCREENS_DIR
// Environment: DIDBAN_E2E_USER / DIDBAN_E2E_PASSWORD (an admin; used when the server has /api/v1/auth/me),
// DIDBAN_E2E_VIEWER / DIDBAN_E2E_VIEWER_PASSWORD (a viewer limited to DIDBAN_E2E_VIEWER_CAMERA, optional),
// DIDBAN_E2E_CAMERA (the camera with traffic; default the first), DIDBAN_E2E_MEASURE_ONLY=1 (only the wall's rate).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const [base, screens] = process.argv.slice(2);
if (!base || !screens) {
  console.error('usage: node e2e/run.mjs BASE_URL SCREENS_DIR');
  process.exit(2);
}
fs.mkdirSync(screens, { recursive: true });
const results = [];
const warnings = [];
const measure = (name, value) => {
  results.push([name, value]);
  console.log(`measure: ${name} ${value}`);
};
const ok = (msg) => console.log(`ok: ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Error(`FAIL: ${msg}`);
  ok(msg);
}
async function waitFor(page, fn, arg, timeout, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 200 });
  } catch (e) {
    throw new Error(`FAIL: ${what} (within ${timeout} ms)`);
  }
  ok(what);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'didban-chromium-'));
// A fresh profile folder (playwright passes it as --user-data-dir).
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(String(e)));
const shot = async (name) => {
  await page.screenshot({ path: path.join(screens, `${name}.png`) });
  console.log(`screenshot: ${name}.png`);
};
const api = async (p, init) => {
  const r = await page.request.fetch(base + p, init);
  return r;
};

let exitCode = 0;
try {
  // --- load, log in when the server has access control ---
  const me = await api('/api/v1/auth/me');
  const hasAuth = me.status() !== 404;
  console.log(`auth routes: ${hasAuth ? 'present' : 'absent (open server, login tests skipped)'}`);
  const t0 = Date.now();
  await page.goto(base + '/');
  if (hasAuth && me.status() === 401) {
    await page.waitForSelector('form.login');
    await shot('login');
    const user = process.env.DIDBAN_E2E_USER;
    const pass = process.env.DIDBAN_E2E_PASSWORD;
    check(user && pass, 'credentials given for a server with access control');
    await page.fill('input[name=password]', 'wrong-password');
    await page.fill('input[name=username]', user);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('form.login .error:not(:empty)');
    ok('a wrong password is refused with a message');
    await page.fill('input[name=password]', pass);
    const tl = Date.now();
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#wall .tile');
    measure('login_to_wall_tiles_ms', Date.now() - tl);
  }
  await page.waitForSelector('#wall .tile', { timeout: 15000 });
  measure('load_to_wall_tiles_ms', Date.now() - t0);
  // First usable screen: a tile shows a picture (video frame or image) with its state.
  await waitFor(
    page,
    () => [...document.querySelectorAll('.tile')].some((t) => t.querySelector('video').readyState >= 2 || t.querySelector('img').naturalWidth > 0),
    null,
    15000,
    'a tile shows a picture',
  );
  measure('load_to_first_picture_ms', Date.now() - t0);
  const times = await page.evaluate(() => window.__didbanTimes);
  if (times.login !== undefined) {
    measure('login_to_tiles_ms', times.tiles - times.login);
    measure('login_to_first_picture_ms', times.picture - times.login);
  } else {
    measure('navigation_to_tiles_ms', times.tiles);
    measure('navigation_to_first_picture_ms', times.picture);
  }
  const cameras = await page.evaluate(() => window.__didbanWall.tiles.map((t) => t.camera));
  const cam = process.env.DIDBAN_E2E_CAMERA ?? cameras[0];
  check(cameras.includes(cam), `the wall shows camera ${cam} (tiles: ${cameras.join(', ')})`);

  // --- the tile plays and its boxes are drawn, in sync ---
  await waitFor(page, (c) => window.__didbanWall.tiles.find((t) => t.camera === c).mode !== 'connecting', cam, 15000, 'the tile connects');
  const mode = await page.evaluate((c) => window.__didbanWall.tiles.find((t) => t.camera === c).mode, cam);
  console.log(`tile mode: ${mode}`);
  if (mode === 'mse') {
    const a = await page.evaluate((c) => window.__didbanWall.tiles.find((t) => t.camera === c).framesShown, cam);
    await page.waitForTimeout(2000);
    const b = await page.evaluate((c) => window.__didbanWall.tiles.find((t) => t.camera === c).framesShown, cam);
    check(b - a >= 10, `live video plays: ${b - a} new pictures drawn over in 2 s`);
  } else {
    warnings.push(`the tile fell back to ${mode} (no fMP4 live route on this server)`);
    check(mode === 'mjpeg' || mode === 'snapshot', `the tile falls back to ${mode}`);
  }
  await waitFor(page, (c) => window.__didbanWall.tiles.find((t) => t.camera === c).boxesDrawn > 0, cam, 30000, 'boxes are drawn over the tile');
  if (mode === 'mse') {
    // Box-to-picture offset: the pts of the drawn track message against the pts of the frame on screen.
    // Capture-to-screen latency: the browser's clock now against the capture time of the frame on screen (the
    // server stamps live and replayed frames with the same machine's wall clock).
    const offsets = [];
    const latencies = [];
    for (let i = 0; i < 30; i++) {
      const s = await page.evaluate((c) => {
        const t = window.__didbanWall.tiles.find((x) => x.camera === c);
        return { scr: t.screenPtsUs, drawn: t.lastPtsUs, now: Date.now() * 1000 };
      }, cam);
      if (s.scr && s.drawn) offsets.push(Math.abs(s.scr - s.drawn));
      if (s.scr) latencies.push(s.now - s.scr);
      await page.waitForTimeout(100);
    }
    latencies.sort((x, y) => x - y);
    if (latencies.length) {
      measure('capture_to_screen_median_ms', (latencies[latencies.length >> 1] / 1000).toFixed(0));
      measure('capture_to_screen_max_ms', (latencies[latencies.length - 1] / 1000).toFixed(0));
    }
    offsets.sort((x, y) => x - y);
    if (offsets.length) {
      measure('box_offset_median_ms', (offsets[offsets.length >> 1] / 1000).toFixed(1));
      measure('box_offset_max_ms', (offsets[offsets.length - 1] / 1000).toFixed(1));
    }
  }
  await shot('wall');
  await page.click(`.tile[data-camera="${cam}"]`);
  await page.waitForSelector('#wall.single .tile');
  await page.waitForTimeout(1500);
  check((await page.locator('#wall .tile').count()) === 1, 'clicking a tile enlarges it');
  await shot('wall-enlarged');

  if (process.env.DIDBAN_E2E_MEASURE_ONLY) {
    // Server CPU (DIDBAN_SERVER_PID's /proc stat) while one tile plays, then while the whole wall plays, and the
    // wall's drawing rate (requestAnimationFrame loops per second, every tile drawn in each).
    const pid = process.env.DIDBAN_SERVER_PID;
    const ticks = () => {
      if (!pid) return 0;
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (100 per second)
    };
    const cpuOver = async (ms) => {
      const a = ticks();
      const t = Date.now();
      await page.waitForTimeout(ms);
      return ((ticks() - a) / 100 / ((Date.now() - t) / 1000)) * 100; // percent of one core
    };
    await page.goto(base + '/#/map'); // no video
    await page.waitForTimeout(3000);
    measure('server_cpu_percent_no_viewer', (await cpuOver(10000)).toFixed(1));
    await page.goto(`${base}/#/wall/${cam}`);
    await page.waitForTimeout(3000);
    measure('server_cpu_percent_1_viewer', (await cpuOver(10000)).toFixed(1));
    await page.goto(base + '/#/wall');
    await page.waitForSelector('#wall .tile');
    await page.waitForTimeout(3000);
    const fps = [];
    const a = ticks();
    const t = Date.now();
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(1000);
      fps.push(await page.evaluate(() => window.__didbanWall.fps));
    }
    if (pid) measure('server_cpu_percent_wall_viewers', (((ticks() - a) / 100 / ((Date.now() - t) / 1000)) * 100).toFixed(1));
    const st = await page.evaluate(() => window.__didbanWall.tiles);
    measure('wall_tiles', st.length);
    measure('wall_tiles_playing_mse', st.filter((x) => x.mode === 'mse' && x.readyState >= 2).length);
    measure('wall_media_errors', st.reduce((n, x) => n + x.errors, 0));
    measure('wall_tracks_on_screen', await page.evaluate(() => window.__didbanWall.tracksOnScreen ?? -1));
    measure('wall_draw_fps_mean', (fps.reduce((x, y) => x + y, 0) / fps.length).toFixed(1));
    measure('wall_draw_fps_min', Math.min(...fps).toFixed(1));
    await shot('wall-3x3');
    // The same wall with 300 tracks on screen: the real ones plus synthetic moving boxes.
    const real = await page.evaluate(() => window.__didbanWall.tracksOnScreen);
    const per = Math.max(0, Math.ceil((300 - real) / st.length));
    await page.evaluate((n) => window.__didbanWall.addSyntheticTracksForTest(n), per);
    await page.waitForTimeout(2000);
    const fps300 = [];
    const onScreen = [];
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(1000);
      fps300.push(await page.evaluate(() => window.__didbanWall.fps));
      onScreen.push(await page.evaluate(() => window.__didbanWall.tracksOnScreen));
    }
    measure('wall_300_tracks_on_screen_mean', (onScreen.reduce((x, y) => x + y, 0) / onScreen.length).toFixed(0));
    measure('wall_300_draw_fps_mean', (fps300.reduce((x, y) => x + y, 0) / fps300.length).toFixed(1));
    measure('wall_300_draw_fps_min', Math.min(...fps300).toFixed(1));
    await shot('wall-3x3-300');
  } else {
    // --- map ---
    await page.click('#nav-map');
    await page.waitForSelector('#map.leaflet-container', { state: 'attached' });
    await page.waitForTimeout(2000);
    await shot('map');
    ok('the map view opens');
    // Fields of view: one per camera whose definition (site file or API) has a homography, the site file's
    // calibration included; the hotspot layer holds what GET /api/v1/hotspots answers for the last 24 h.
    const calibrated = (await (await api('/api/v1/cameras')).json()).cameras.filter((c) => c.definition?.calibration?.homography).map((c) => c.name);
    check(calibrated.includes(cam), `GET /api/v1/cameras gives the site-file camera ${cam} its calibration`);
    await waitFor(page, (n) => document.querySelector('#map')?.dataset.fov === String(n), calibrated.length, 10000, `the map draws ${calibrated.length} field(s) of view`);
    await waitFor(page, () => document.querySelector('#map')?.dataset.hotspots !== undefined, null, 10000, 'the map loads the hotspot layer');
    // The same range as the map asked: it may have gained cells since (new events), never lost any.
    const hotspotsNow = Number(await page.locator('#map').getAttribute('data-hotspots'));
    const hotspotRange = await page.locator('#map').getAttribute('data-hotspots-range');
    const fc = await (await api(`/api/v1/hotspots?${hotspotRange}`)).json();
    const drawn = await page.locator('path.hotspot').count();
    check(fc.type === 'FeatureCollection' && drawn === hotspotsNow && hotspotsNow <= fc.features.length,
      `the hotspot layer draws ${drawn} cell(s); the API has ${fc.features.length} cell(s) of ${fc.events} event(s) now`);
    check((await page.locator('.leaflet-control-layers-overlays input').count()) === 3, 'the map has its layer control (fields of view, hotspots, live tracks)');

    // --- events: one arrives, is acknowledged, its clip plays ---
    await page.click('#nav-events');
    await waitFor(page, () => document.querySelectorAll('#ev-rows tr.ev').length > 0, null, 60000, 'an event is listed');
    const row = page.locator('#ev-rows tr.ev:not(.is-acked)').first();
    const id = await row.getAttribute('data-id');
    await row.locator('button.ack').click();
    await page.waitForSelector(`#ev-rows tr.ev.is-acked[data-id="${id}"]`);
    const ev = await (await api(`/api/v1/events/${encodeURIComponent(id)}`)).json();
    check(ev.acknowledged === true, `event ${id} is acknowledged in the store`);
    await page.locator(`#ev-rows tr.ev[data-id="${id}"]`).click();
    await page.waitForSelector('#ev-side img.snap');
    await page.click('#ev-clip');
    try {
      await page.waitForFunction(() => {
        const v = document.querySelector('#ev-clip-video');
        return v && v.readyState >= 2;
      }, null, { timeout: 20000 });
      ok('the event clip plays');
    } catch {
      const msg = await page.locator('#ev-side .clip').textContent();
      warnings.push(`event clip did not play: ${msg}`);
      console.log(`warning: event clip did not play: ${msg}`);
    }
    await shot('events');
    if (await page.locator('#ev-follow').count()) {
      await page.click('#ev-follow');
      await page.waitForSelector('#follow h3', { timeout: 15000 });
      await page.waitForTimeout(1500);
      const rows = await page.locator('#follow .rule-row').count();
      check(rows >= 1, `"follow this object" shows the object's path and ${rows} camera(s) that saw it`);
      check((await page.locator('#fl-notfused').count()) === 1, 'a track of an unfused camera says it was seen by this camera only');
      await shot('follow');
    }

    // --- editor: a line drawn and saved, and it counts ---
    await page.click('#nav-editor');
    await page.selectOption('#ed-camera', cam);
    await page.waitForFunction(() => document.querySelector('#ed-image').naturalWidth > 0, null, { timeout: 10000 });
    const pairsGiven = (await (await api(`/api/v1/cameras/${cam}`)).json()).definition.calibration?.homography?.image?.length ?? 0;
    const pairsShown = await page.locator('#ed-calib .pair').count();
    check(pairsGiven >= 4 && pairsShown === pairsGiven, `the editor shows the camera's ${pairsShown} calibration point pairs`);
    const geo = await page.evaluate((c) => {
      const cv = document.querySelector('#ed-canvas').getBoundingClientRect();
      const tr = window.__didbanWall ? null : null;
      const img = document.querySelector('#ed-image');
      return { x: cv.left, y: cv.top, w: cv.width, h: cv.height, iw: img.naturalWidth, ih: img.naturalHeight, c };
    }, cam);
    const s = Math.min(geo.w / geo.iw, geo.h / geo.ih);
    const ox = geo.x + (geo.w - geo.iw * s) / 2;
    const oy = geo.y + (geo.h - geo.ih * s) / 2;
    const before = (await (await api(`/api/v1/cameras/${cam}`)).json()).definition.rules ?? [];
    await page.click('#ed-tool-line');
    await page.mouse.click(ox + geo.iw * 0.05 * s, oy + geo.ih * 0.7 * s);
    await page.mouse.click(ox + geo.iw * 0.98 * s, oy + geo.ih * 0.7 * s);
    await page.waitForSelector('#ed-rules .rule-row');
    await shot('editor');
    const saveStart = Date.now();
    await page.click('#ed-save');
    await page.waitForSelector('#ed-status.ok, #ed-status.error');
    const status = await page.locator('#ed-status').textContent();
    check((await page.locator('#ed-status.ok').count()) === 1, `the editor saves (${status})`);
    const after = (await (await api(`/api/v1/cameras/${cam}`)).json()).definition.rules ?? [];
    const added = after.filter((r) => !before.some((b) => b.name === r.name));
    check(added.length === 1 && added[0].type === 'line', `the camera has the new line ${added[0]?.name}`);
    // The new line counts: a line_cross event of that rule arrives.
    let counted = false;
    for (let i = 0; i < 150 && !counted; i++) {
      const j = await (await api(`/api/v1/events?camera=${cam}&rule=${added[0].name}&limit=1`)).json();
      counted = j.events.length > 0;
      if (!counted) await page.waitForTimeout(200);
    }
    check(counted, `the drawn line ${added[0].name} counts (event within ${((Date.now() - saveStart) / 1000).toFixed(1)} s)`);
    const kept = (await (await api(`/api/v1/cameras/${cam}`)).json()).definition.calibration?.homography?.image?.length ?? 0;
    check(kept === pairsGiven, `saving the rules keeps the camera's calibration (${kept} pairs)`);

    // --- dashboard, recordings, administration ---
    await page.click('#nav-dashboard');
    await page.waitForSelector('#dash-class h3');
    await page.waitForSelector('#dash-incidents h3');
    await page.waitForTimeout(1000);
    await shot('dashboard');
    ok('the traffic dashboard opens');
    // One chart per kind of statistics the store holds for the last hour: counts, speeds (mean, v85), density and
    // level of service, incidents and near-misses; each card says "none" otherwise.
    const charted = await page.evaluate(async () => {
      const now = Date.now() * 1000;
      const r = await fetch(`/api/v1/stats?from_us=${now - 3600e6}&to_us=${now + 60e6}`);
      const rows = (await r.json()).rows;
      const has = (f) => rows.some(f);
      return {
        '#dash-chart': has((x) => x.metric === 'count'),
        '#dash-speed': has((x) => x.metric === 'speed_mean_kmh' || /^speed_p[0-9.]+_kmh$/.test(x.metric)),
        '#dash-los': has((x) => x.metric === 'density_mean'),
        '#dash-incidents': has((x) => x.rule === '' && ['near_miss', 'wrong_way', 'stopped', 'congestion'].includes(x.metric)),
      };
    });
    for (const [sel, want] of Object.entries(charted)) {
      const canvases = await page.locator(`${sel} .uplot canvas`).count();
      check(canvases === (want ? 1 : 0), `${sel}: ${want ? 'a chart' : 'no chart (no rows)'} (${canvases} canvas)`);
    }
    const withData = Object.entries(charted).find(([, want]) => want);
    if (withData) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${withData[0]} .chart-csv`)]);
      const text = fs.readFileSync(await download.path(), 'utf8');
      check(text.startsWith('interval_start_s,') && text.trim().split('\n').length >= 2,
        `${withData[0]}: its CSV (${download.suggestedFilename()}) has a header and ${text.trim().split('\n').length - 1} interval(s)`);
    }
    // The charts with exact data: the page gets four 15-minute intervals of rows of every kind from the test (the
    // API's row format; what the live site wrote so far is checked above).
    const t0 = Math.floor(Date.now() / 900e3) * 900e6 - 3 * 900e6;
    const synth = [];
    for (let i = 0; i < 4; i++) {
      const row = (rule, metric, value, cls = '', direction = '') => synth.push({ start_us: t0 + i * 900e6, end_us: t0 + (i + 1) * 900e6, camera: cam, rule, metric, class: cls, direction, value });
      row('kerb', 'count', 10 + i, 'car', 'in');
      row('kerb', 'count', 2 + i, 'truck', 'out');
      row('kerb', 'speed_mean_kmh', 40 + i);
      row('kerb', 'speed_p85_kmh', 50 + i);
      row('kerb', 'speed_n', 12);
      row('jam', 'density_mean', 5 + 8 * i);
      row('', 'near_miss', i);
      row('', 'wrong_way', 1);
    }
    const statsUrl = (u) => u.pathname === '/api/v1/stats';
    await page.route(statsUrl, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ rows: synth }) }));
    await page.goto(base + '/#/recordings');
    await page.click('#nav-dashboard');
    await page.waitForSelector('#dash-incidents .uplot canvas', { timeout: 10000 });
    await page.waitForTimeout(500);
    const canvases = await page.locator('.chart .uplot canvas').count();
    check(canvases === 4, `with rows of every kind the dashboard draws 4 charts (counts, speeds, density and level of service, incidents): ${canvases} canvases`);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dash-speed .chart-csv')]);
    const speedCsv = fs.readFileSync(await dl.path(), 'utf8').trim().split('\n');
    check(dl.suggestedFilename() === 'didban-speeds.csv' && speedCsv[0] === 'interval_start_s,speed_mean_kmh,speed_p85_kmh' &&
      speedCsv.length === 5 && speedCsv[1] === `${t0 / 1e6},40,50`, `the speed chart's CSV: ${speedCsv[0]} / ${speedCsv[1]} (${speedCsv.length - 1} intervals)`);
    const [dl2] = await Promise.all([page.waitForEvent('download'), page.click('#dash-los .chart-csv')]);
    const losCsv = fs.readFileSync(await dl2.path(), 'utf8').trim().split('\n');
    // The street camera's congestion rule jam has its own bounds 4/8/12/16/20 (the site file): 5 is B, 13 D, 21 F
    // (at the defaults 7/11/16/22/28 they would be A, C, D).
    check(losCsv.slice(1).join(' ') === [`${t0 / 1e6},5,1`, `${t0 / 1e6 + 900},13,3`, `${t0 / 1e6 + 1800},21,5`, `${t0 / 1e6 + 2700},29,5`].join(' '),
      `the level-of-service CSV grades densities 5, 13, 21, 29 at the rule's own bounds as B, D, F, F (${losCsv.slice(1).join(' ')})`);
    const losBounds = await page.locator('#dash-los-bounds .los-bound').evaluateAll((els) => els.map((e) => `${e.dataset.rule}=${e.dataset.bounds}`));
    check(losBounds.join(' ') === `${cam}|jam=4,8,12,16,20`, `the level-of-service card names the bounds it used (${losBounds.join(' ')})`);
    await page.locator('#dash-incidents').scrollIntoViewIfNeeded();
    await shot('dashboard-charts');
    await page.unroute(statsUrl);

    // --- stations: a single site lists none (no navigation entry, the view says so); a center's list, given to the
    // page by the test (a center with stations needs the relay: tests/scale_out.sh), with its exact values ---
    const realStations = (await (await api('/api/v1/stations')).json()).stations;
    check(Array.isArray(realStations) && realStations.length === 0, 'GET /api/v1/stations lists no station on a single site');
    check(await page.locator('#nav-stations').isHidden(), 'a single site has no "Stations" navigation entry');
    await page.goto(base + '/#/stations');
    await page.waitForSelector('#st-none');
    const heardUs = Math.round(Date.now() / 1000) * 1e6 - 3e6;
    const given = [
      { name: 'south', online: false, last_heard_us: 0, api: false, cameras: [] },
      { name: 'north', online: true, last_heard_us: heardUs, api: true, cameras: ['north-1', 'north-2'] },
    ];
    const stationsUrl = (u) => u.pathname === '/api/v1/stations';
    await page.route(stationsUrl, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ stations: given }) }));
    await page.reload();
    await page.waitForSelector('#st-rows tr.station');
    check(await page.locator('#nav-stations').isVisible(), 'a center with stations shows the "Stations" navigation entry');
    const stRows = await page.locator('#st-rows tr.station').evaluateAll((trs) => trs.map((tr) => [tr.dataset.station, tr.dataset.online, ...[...tr.cells].map((c) => c.textContent)].join('|')));
    const heardText = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(heardUs / 1000));
    const wantRows = [`north|true|north|● online|${heardText}|proxied|north-1, north-2`, 'south|false|south|● offline|never|not configured|'];
    check(JSON.stringify(stRows) === JSON.stringify(wantRows), `the stations view lists online first with state, last heard, API and cameras: ${JSON.stringify(stRows)}`);
    const stSummary = await page.locator('#st-summary').textContent();
    check(stSummary === '1 / 2 online', `the stations summary: ${stSummary}`);
    await shot('stations');
    await page.unroute(stationsUrl);

    const wrongWay = (await (await api(`/api/v1/events?type=wrong_way&limit=1000`)).json()).events.filter((e) => e.ground);
    await page.goto(base + '/#/map/hotspots');
    await page.waitForSelector('#map[data-hotspots]', { timeout: 10000 });
    await page.waitForTimeout(1000);
    const cells = Number(await page.locator('#map').getAttribute('data-hotspots'));
    check(wrongWay.length === 0 ? cells >= 0 : cells >= 1, `the hotspot map has ${cells} cell(s) for ${wrongWay.length} wrong-way event(s) with a ground position`);
    if (wrongWay.length === 0) warnings.push('no wrong-way event with a ground position: the hotspot layer was empty');
    await shot('map-hotspots');
    await page.click('#nav-recordings');
    await page.waitForSelector('#rec-list .tl-count');
    await page.waitForTimeout(500);
    await shot('recordings');
    ok('the recordings view opens');
    if (await page.locator('#nav-admin').count()) {
      await page.click('#nav-admin');
      await page.waitForSelector('#admin-users h3');
      await page.waitForTimeout(500);
      await shot('admin');
    }

    // --- the MJPEG fallback (forced with ?mjpeg, as where MSE is missing) ---
    await page.goto(`${base}/?mjpeg#/wall/${cam}`);
    await waitFor(
      page,
      (c) => {
        const t = window.__didbanWall?.tiles.find((x) => x.camera === c);
        return t && t.mode === 'mjpeg' && document.querySelector('.tile img').naturalWidth > 0 && t.boxesDrawn > 0;
      },
      cam,
      20000,
      'the MJPEG fallback shows the camera with its boxes',
    );
    await shot('wall-mjpeg');
    await page.goto(`${base}/#/wall`);

    // --- Persian: right to left ---
    await page.click('#nav-wall');
    await page.waitForSelector('#wall .tile');
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    check((await page.evaluate(() => document.documentElement.lang)) === 'fa', 'the language switch sets lang=fa and dir=rtl');
    const navText = await page.locator('#nav-events').textContent();
    check(navText === 'رویدادها', 'the navigation speaks Persian');
    await page.waitForTimeout(1500);
    await shot('wall-fa');
    await page.click('#nav-events');
    await page.waitForSelector('#ev-rows tr.ev');
    const firstTime = await page.locator('#ev-rows tr.ev td').first().textContent();
    check(/^[۰-۹]{4}\/[۰-۹]{2}\/[۰-۹]{2}/.test(firstTime), `event times in the Solar Hijri calendar (${firstTime})`);
    await shot('events-fa');
    await page.reload();
    await page.waitForSelector('#ev-rows');
    check((await page.evaluate(() => document.documentElement.dir)) === 'rtl', 'the language survives a reload');
    if (hasAuth) {
      const meNow = await (await api('/api/v1/auth/me')).json();
      check(meNow.user.language === 'fa', `the user's language is kept by the server (${meNow.user.language})`);
    }
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');

    // --- access control (only when the server has it) ---
    if (hasAuth && process.env.DIDBAN_E2E_VIEWER) {
      await page.click('#nav-wall');
      await page.click('#logout');
      await page.waitForSelector('form.login');
      await page.fill('input[name=username]', process.env.DIDBAN_E2E_VIEWER);
      await page.fill('input[name=password]', process.env.DIDBAN_E2E_VIEWER_PASSWORD);
      await page.click('form.login button[type=submit]');
      await page.waitForSelector('#wall .tile');
      const seen = await page.evaluate(() => window.__didbanWall.tiles.map((t) => t.camera));
      const allowed = process.env.DIDBAN_E2E_VIEWER_CAMERA;
      check(seen.length === 1 && seen[0] === allowed, `the viewer's wall shows only ${allowed} (${seen.join(', ')})`);
      const hidden = cameras.filter((c) => c !== allowed);
      for (const c of hidden) {
        for (const p of [`/api/v1/cameras/${c}`, `/api/v1/cameras/${c}/snapshot.jpg`, `/api/v1/cameras/${c}/segments?from_us=0&to_us=${Date.now() * 1000}`]) {
          const r = await api(p);
          check(r.status() === 404 || r.status() === 403, `viewer: ${p} answers ${r.status()}`);
        }
        const evs = await api(`/api/v1/events?camera=${c}`);
        const n = evs.status() === 200 ? (await evs.json()).events.length : 0;
        check(n === 0, `viewer: /api/v1/events?camera=${c} lists nothing (HTTP ${evs.status()}, ${n} events)`);
        const wsOpened = await page.evaluate(
          (cam) =>
            new Promise((resolve) => {
              const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/cameras/${cam}/live.mp4`);
              ws.onmessage = () => resolve(true);
              ws.onerror = ws.onclose = () => resolve(false);
              setTimeout(() => resolve(false), 3000);
            }),
          c,
        );
        check(!wsOpened, `viewer: the live video of ${c} is refused`);
        await page.goto(`${base}/#/wall/${c}`);
        await page.waitForSelector('#wall');
        await page.waitForTimeout(500);
        check((await page.locator(`#wall .tile[data-camera="${c}"]`).count()) === 0, `viewer: #/wall/${c} shows no tile`);
      }
      check((await page.locator('#nav-admin').count()) === 0, 'viewer: no administration view');
      await shot('viewer');
    }
  }
  if (consoleErrors.length) console.log(`browser console errors (${consoleErrors.length}):\n  ${consoleErrors.slice(0, 10).join('\n  ')}`);
} catch (e) {
  console.error(String(e.message ?? e));
  await shot('failure').catch(() => {});
  if (consoleErrors.length) console.error(`browser console errors:\n  ${consoleErrors.slice(0, 10).join('\n  ')}`);
  exitCode = 1;
} finally {
  for (const w of warnings) console.log(`warning: ${w}`);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
