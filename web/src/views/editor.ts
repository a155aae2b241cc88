// The calibration and rules editor: on a camera's snapshot, draw lines (two clicks) and zones (corners, then
// finish), click calibration image points and type their ground points (metres); with four or more pairs the
// homography is fitted, its reprojection error shown and a 5-m ground grid projected over the image. Save replaces
// the camera's definition (PUT /api/v1/cameras/{camera}) with the new rules and calibration.
import { api, cameras, type Camera, type RuleDef } from '../api';
import { h, clear, option } from '../dom';
import { t, formatNumber } from '../i18n';
import { live } from '../live';
import { containRect, screenToImage, imageToScreen, fitHomography, invert3, applyH, reprojectionRms, type Pt } from '../geometry';
import { drawRules, fitCanvas } from '../draw';
import type { Ctx } from '../main';

type Tool = 'line' | 'zone' | 'calib';
interface Pair {
  image: Pt;
  ground: [number | null, number | null];
}

// Ground grid lines (every `step` m over the pairs' ground bounds plus a margin) mapped into the image by H^-1.
export function projectedGrid(H: number[], ground: Pt[], step = 5): Pt[][] {
  const Hi = invert3(H);
  if (!Hi || ground.length === 0) return [];
  const xs = ground.map((p) => p[0]);
  const ys = ground.map((p) => p[1]);
  const x0 = Math.floor(Math.min(...xs) / step) * step - step;
  const x1 = Math.ceil(Math.max(...xs) / step) * step + step;
  const y0 = Math.floor(Math.min(...ys) / step) * step - step;
  const y1 = Math.ceil(Math.max(...ys) / step) * step + step;
  const lines: Pt[][] = [];
  const n = 20;
  for (let x = x0; x <= x1; x += step) lines.push(Array.from({ length: n + 1 }, (_, i) => applyH(Hi, [x, y0 + ((y1 - y0) * i) / n])));
  for (let y = y0; y <= y1; y += step) lines.push(Array.from({ length: n + 1 }, (_, i) => applyH(Hi, [x0 + ((x1 - x0) * i) / n, y])));
  return lines;
}

export function editorView(root: HTMLElement, ctx: Ctx): () => void {
  let cams: Camera[] = [];
  let cam: Camera | null = null;
  let rules: RuleDef[] = [];
  let pairs: Pair[] = [];
  let draft: Pt[] = [];
  let tool: Tool = 'line';
  let srcW = 0;
  let srcH = 0;
  const camSel = h('select', { id: 'ed-camera' });
  const toolBtns = (['line', 'zone', 'calib'] as Tool[]).map((x) =>
    h('button', { class: 'tool', 'data-tool': x, id: `ed-tool-${x}`, onclick: () => setTool(x) }, t(`ed.${x}` as const)),
  );
  const finish = h('button', { id: 'ed-finish', onclick: () => finishZone() }, t('ed.finish'));
  const save = h('button', { id: 'ed-save', class: 'primary', onclick: () => doSave() }, t('ed.save'));
  const status = h('span', { id: 'ed-status', role: 'status' });
  const hint = h('p', { class: 'hint', id: 'ed-hint' });
  const img = h('img', { alt: '', id: 'ed-image' });
  const canvas = h('canvas', { class: 'overlay', id: 'ed-canvas' });
  const stage = h('div', { class: 'ed-stage' }, img, canvas);
  const rulesBox = h('div', { class: 'card', id: 'ed-rules' });
  const calibBox = h('div', { class: 'card', id: 'ed-calib' });
  root.append(
    h('div', { class: 'toolbar' }, h('label', null, t('camera'), ' ', camSel), toolBtns, finish, save, status),
    hint,
    h('div', { class: 'split' }, stage, h('div', { class: 'ed-side' }, rulesBox, calibBox)),
  );

  function setTool(x: Tool): void {
    tool = x;
    draft = [];
    for (const b of toolBtns) b.classList.toggle('active', b.dataset.tool === x);
    hint.textContent = t(`ed.hint.${x}` as const);
    finish.hidden = x !== 'zone';
    redraw();
  }

  function picture(): { w: number; h: number } {
    const tr = cam ? live.latestTracks.get(cam.name) : undefined;
    return { w: tr?.width || srcW || img.naturalWidth, h: tr?.height || srcH || img.naturalHeight };
  }

  function homography(): { H: number[] | null; image: Pt[]; ground: Pt[] } {
    const done = pairs.filter((p) => p.ground[0] !== null && p.ground[1] !== null);
    const image = done.map((p) => p.image);
    const ground = done.map((p) => [p.ground[0]!, p.ground[1]!] as Pt);
    return { H: image.length >= 4 ? fitHomography(image, ground) : null, image, ground };
  }

  function redraw(): void {
    const c = fitCanvas(canvas);
    const { w, h: hh } = picture();
    if (!w || !hh) return;
    const r = containRect(w, hh, canvas.clientWidth, canvas.clientHeight);
    const { H, ground } = homography();
    if (H) {
      c.save();
      c.strokeStyle = 'rgba(120,255,120,0.5)';
      c.lineWidth = 1;
      for (const line of projectedGrid(H, ground)) {
        c.beginPath();
        line.forEach((p, i) => {
          const s = imageToScreen(p, w, hh, r);
          if (i === 0) c.moveTo(s[0], s[1]);
          else c.lineTo(s[0], s[1]);
        });
        c.stroke();
      }
      c.restore();
    }
    drawRules(c, rules, w, hh, r);
    c.save();
    c.fillStyle = '#ff4d4d';
    c.strokeStyle = '#ff4d4d';
    pairs.forEach((p, i) => {
      const s = imageToScreen(p.image, w, hh, r);
      c.beginPath();
      c.arc(s[0], s[1], 5, 0, Math.PI * 2);
      c.fill();
      c.fillText(String(i + 1), s[0] + 7, s[1] - 7);
    });
    if (draft.length) {
      c.strokeStyle = '#fff';
      c.setLineDash([5, 4]);
      c.beginPath();
      draft.forEach((p, i) => {
        const s = imageToScreen(p, w, hh, r);
        if (i === 0) c.moveTo(s[0], s[1]);
        else c.lineTo(s[0], s[1]);
        c.fillRect(s[0] - 3, s[1] - 3, 6, 6);
      });
      c.stroke();
    }
    c.restore();
  }

  canvas.addEventListener('click', (ev: MouseEvent) => {
    const { w, h: hh } = picture();
    if (!w || !hh) return;
    const b = canvas.getBoundingClientRect();
    const r = containRect(w, hh, b.width, b.height);
    const p = screenToImage([ev.clientX - b.left, ev.clientY - b.top], w, hh, r).map((v) => Math.round(v)) as Pt;
    if (p[0] < 0 || p[1] < 0 || p[0] > w || p[1] > hh) return;
    if (tool === 'calib') {
      pairs.push({ image: p, ground: [null, null] });
      renderCalib();
    } else {
      draft.push(p);
      if (tool === 'line' && draft.length === 2) {
        rules.push({ type: 'line', name: uniqueName('line'), points: draft });
        draft = [];
        renderRules();
      }
    }
    redraw();
  });

  function uniqueName(base: string): string {
    for (let i = 1; ; i++) if (!rules.some((r) => r.name === `${base}-${i}`)) return `${base}-${i}`;
  }

  function finishZone(): void {
    if (draft.length >= 3) {
      rules.push({ type: 'zone', name: uniqueName('zone'), points: draft });
      renderRules();
    }
    draft = [];
    redraw();
  }

  function renderRules(): void {
    clear(rulesBox);
    rulesBox.append(h('h3', null, t('ed.rules')));
    rules.forEach((r, i) => {
      const name = h('input', { value: String(r.name ?? ''), size: 12, class: 'rule-name' });
      name.onchange = () => (r.name = name.value);
      rulesBox.append(
        h('div', { class: 'rule-row' }, h('span', { class: 'rule-type' }, r.type), name, h('button', { class: 'link', onclick: () => { rules.splice(i, 1); renderRules(); redraw(); } }, t('ed.delete'))),
      );
    });
  }

  function renderCalib(): void {
    clear(calibBox);
    calibBox.append(h('h3', null, `${t('ed.calib')} · ${t('ed.ground')}`));
    pairs.forEach((p, i) => {
      const gx = h('input', { type: 'number', step: 'any', value: p.ground[0] ?? '', class: 'gx', size: 6 });
      const gy = h('input', { type: 'number', step: 'any', value: p.ground[1] ?? '', class: 'gy', size: 6 });
      const upd = () => {
        p.ground = [gx.value === '' ? null : Number(gx.value), gy.value === '' ? null : Number(gy.value)];
        showError();
        redraw();
      };
      gx.oninput = gy.oninput = upd;
      calibBox.append(h('div', { class: 'pair' }, `${i + 1}. (${p.image[0]}, ${p.image[1]}) → `, gx, gy, h('button', { class: 'link', onclick: () => { pairs.splice(i, 1); renderCalib(); redraw(); } }, '×')));
    });
    calibBox.append(h('p', { id: 'ed-reproj' }));
    showError();
  }

  function showError(): void {
    const el = calibBox.querySelector('#ed-reproj');
    if (!el) return;
    const { H, image, ground } = homography();
    el.textContent = H ? `${t('ed.reproj')}: ${formatNumber(reprojectionRms(H, image, ground), 3)} m` : t('ed.needfour');
  }

  function loadCamera(name: string): void {
    cam = cams.find((c) => c.name === name) ?? null;
    if (!cam) return;
    rules = structuredClone(cam.definition?.rules ?? []);
    const hg = cam.definition?.calibration?.homography;
    pairs = hg?.image && hg.ground ? hg.image.map((p, i) => ({ image: p as Pt, ground: [hg.ground![i][0], hg.ground![i][1]] })) : [];
    srcW = srcH = 0;
    img.onload = () => redraw();
    img.src = `/api/v1/cameras/${encodeURIComponent(name)}/snapshot.jpg`;
    renderRules();
    renderCalib();
    redraw();
  }

  async function doSave(): Promise<void> {
    if (!cam) return;
    const def = structuredClone(cam.definition);
    def.rules = rules;
    const { image, ground } = homography();
    if (image.length >= 4) {
      def.calibration = { ...(def.calibration ?? {}), homography: { image, ground } };
      for (const k of ['pinhole', 'opencv_xml', 'tsai']) delete (def.calibration as any)[k];
    }
    status.textContent = '…';
    try {
      await api('PUT', `/api/v1/cameras/${encodeURIComponent(cam.name)}`, def);
      cam.definition = def;
      status.textContent = t('ed.saved');
      status.className = 'ok';
    } catch (e) {
      status.textContent = `${t('error')}: ${(e as Error).message}`;
      status.className = 'error';
    }
  }

  const ro = new ResizeObserver(() => redraw());
  ro.observe(stage);
  cameras().then((list) => {
    cams = list;
    for (const c of list) camSel.append(option(c.name, c.name, c.name === ctx.param));
    camSel.onchange = () => loadCamera(camSel.value);
    if (list.length) loadCamera(camSel.value || list[0].name);
  });
  setTool('line');
  if (ctx.user.role === 'viewer') save.disabled = true;
  return () => ro.disconnect();
}
