// Drawing over a camera picture: the rules' lines and zones (image pixels) and a frame's tracks (boxes, ids, class),
// scaled into the letterboxed picture rectangle. Colours are stable per track id.
import { imageToScreen, type Pt, type Rect } from './geometry';
import type { RuleDef } from './api';
import type { TrackView } from './timemap';
import { className } from './i18n';

export function trackColour(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 90% 55%)`;
}

export function drawRules(ctx: CanvasRenderingContext2D, rules: RuleDef[], w: number, h: number, r: Rect): void {
  ctx.save();
  ctx.direction = 'ltr'; // image coordinates: labels start at their point in either language
  ctx.lineWidth = 2;
  ctx.font = '12px sans-serif';
  for (const rule of rules) {
    const pts = rule.points as Pt[] | undefined;
    if (!pts || pts.length < 2) continue;
    const s = pts.map((p) => imageToScreen(p, w, h, r));
    const line = rule.type === 'line' || pts.length === 2;
    ctx.strokeStyle = line ? '#ffd400' : '#00d0ff';
    ctx.fillStyle = line ? 'rgba(255,212,0,0.15)' : 'rgba(0,208,255,0.12)';
    ctx.beginPath();
    ctx.moveTo(s[0][0], s[0][1]);
    for (const p of s.slice(1)) ctx.lineTo(p[0], p[1]);
    if (!line) {
      ctx.closePath();
      ctx.fill();
    }
    ctx.stroke();
    if (rule.name) {
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(String(rule.name), s[0][0] + 4, s[0][1] - 4);
    }
  }
  ctx.restore();
}

export function drawTracks(ctx: CanvasRenderingContext2D, tracks: TrackView[], w: number, h: number, r: Rect): number {
  ctx.save();
  ctx.direction = 'ltr';
  ctx.lineWidth = 2;
  ctx.font = 'bold 11px sans-serif';
  let n = 0;
  for (const tr of tracks) {
    const [bx, by, bw, bh] = tr.box;
    const a = imageToScreen([bx, by], w, h, r);
    const b = imageToScreen([bx + bw, by + bh], w, h, r);
    const c = trackColour(tr.id);
    ctx.strokeStyle = c;
    ctx.setLineDash(tr.state === 0 ? [4, 3] : []);
    ctx.strokeRect(a[0], a[1], b[0] - a[0], b[1] - a[1]);
    const label = `${tr.id} ${className(tr.class)}`;
    const tw = ctx.measureText(label).width + 6;
    ctx.fillStyle = c;
    ctx.fillRect(a[0], a[1] - 14, tw, 14);
    ctx.fillStyle = '#000';
    ctx.fillText(label, a[0] + 3, a[1] - 3);
    n++;
  }
  ctx.restore();
  return n;
}

// Sizes a canvas to its CSS box (device pixels) and returns its 2D context scaled to CSS pixels.
export function fitCanvas(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.direction = 'ltr';
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  return ctx;
}
