// A live camera tile: video from the fMP4 WebSocket through Media Source Extensions, or the MJPEG stream where MSE
// (or the route) is not available, or snapshots as the last resort; a canvas over it draws the rules and the
// tracks of the frame on screen (MSE: the track message whose pts_us is the video's media time mapped through
// origin_us; otherwise the latest one).
import { h } from './dom';
import { containRect, type Rect } from './geometry';
import { drawRules, drawTracks, fitCanvas } from './draw';
import { TrackBuffer, mediaToPtsUs, type TrackMessage, type TrackView } from './timemap';
import { wsUrl } from './live';
import type { RuleDef } from './api';

export type TileMode = 'connecting' | 'mse' | 'mjpeg' | 'snapshot';

export class Tile {
  readonly el: HTMLDivElement;
  readonly video: HTMLVideoElement;
  readonly img: HTMLImageElement;
  readonly canvas: HTMLCanvasElement;
  readonly label: HTMLSpanElement;
  readonly badge: HTMLSpanElement;
  readonly tracks = new TrackBuffer();
  mode: TileMode = 'connecting';
  originUs = 0;
  width = 0;
  height = 0;
  boxesDrawn = 0;
  tracksOnScreen = 0; // boxes drawn in the last frame
  errors = 0; // media errors (each one rejoins the stream)
  framesShown = 0; // draws that found a new picture on screen (video time moved)
  syntheticForTest: TrackView[] = []; // extra boxes drawn every frame (the wall's drawing-rate measurement)
  private lastMediaTime = -1;
  private frameMediaTime = -1; // media time of the frame on screen (requestVideoFrameCallback), -1 when unknown
  lastPtsUs = 0; // pts of the track message drawn last
  private ws: WebSocket | null = null;
  private ms: MediaSource | null = null;
  private sb: SourceBuffer | null = null;
  private queue: ArrayBuffer[] = [];
  private snapTimer = 0;
  private closed = false;
  private objectUrl = '';

  constructor(
    readonly camera: string,
    public rules: RuleDef[],
  ) {
    this.video = h('video', { muted: true, autoplay: true, playsInline: true });
    this.video.muted = true;
    this.img = h('img', { alt: '' });
    this.canvas = h('canvas', { class: 'overlay' });
    // The exact media time of each presented frame, where the browser tells it.
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: (now: number, m: { mediaTime: number }) => void) => number };
    if (v.requestVideoFrameCallback) {
      const onFrame = (_now: number, m: { mediaTime: number }) => {
        this.frameMediaTime = m.mediaTime;
        if (!this.closed) v.requestVideoFrameCallback!(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    }
    // A decode error closes the MediaSource: join the stream again at its next keyframe.
    this.video.addEventListener('error', () => {
      if (this.mode === 'mse' && !this.closed) {
        this.errors++;
        this.ws?.close();
      }
    });
    this.label = h('span', { class: 'name' }, camera);
    this.badge = h('span', { class: 'badge' });
    this.el = h(
      'div',
      { class: 'tile', 'data-camera': camera },
      this.video,
      this.img,
      this.canvas,
      h('div', { class: 'caption' }, this.label, this.badge),
    );
  }

  start(): void {
    // The latest analysed frame until the video's first keyframe arrives.
    this.video.poster = `/api/v1/cameras/${encodeURIComponent(this.camera)}/snapshot.jpg`;
    const MS = (window as any).MediaSource as typeof MediaSource | undefined;
    if (MS && !new URLSearchParams(location.search).has('mjpeg')) this.startMse();
    else this.startMjpeg();
  }

  private startMse(): void {
    let gotInit = false;
    const ws = new WebSocket(wsUrl(`/api/v1/cameras/${encodeURIComponent(this.camera)}/live.mp4`));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') {
        let init: any;
        try {
          init = JSON.parse(e.data);
        } catch {
          return;
        }
        if (init.type !== 'init') return;
        if (!MediaSource.isTypeSupported(init.mime)) {
          ws.close();
          this.startMjpeg();
          return;
        }
        gotInit = true;
        this.originUs = Number(init.origin_us) || 0;
        this.width = init.width || this.width;
        this.height = init.height || this.height;
        this.openMediaSource(init.mime);
        return;
      }
      if (!gotInit) return;
      this.queue.push(e.data as ArrayBuffer);
      this.pump();
    };
    ws.onclose = () => {
      this.ws = null;
      if (this.closed) return;
      if (!gotInit) this.startMjpeg();
      else window.setTimeout(() => !this.closed && this.restartMse(), 1000);
    };
  }

  private restartMse(): void {
    this.teardownMedia();
    this.startMse();
  }

  // A new stream (first init, or the source restarted: new codec parameters and origin): a fresh MediaSource; what
  // was queued belonged to the old one.
  private openMediaSource(mime: string): void {
    this.teardownMedia();
    this.mode = 'mse';
    this.el.dataset.mode = 'mse';
    const ms = new MediaSource();
    this.ms = ms;
    this.objectUrl = URL.createObjectURL(ms);
    this.video.src = this.objectUrl;
    ms.addEventListener('sourceopen', () => {
      if (this.ms !== ms) return;
      try {
        this.sb = ms.addSourceBuffer(mime);
      } catch {
        this.ws?.close();
        return;
      }
      const sb = this.sb;
      sb.addEventListener('updateend', () => this.sb === sb && this.pump());
      this.pump();
    });
  }

  private pump(): void {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0 || this.ms?.readyState !== 'open') return;
    // Append everything queued as one buffer (fragments of one frame each come fast).
    const parts = this.queue.splice(0);
    let n = 0;
    for (const p of parts) n += p.byteLength;
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      buf.set(new Uint8Array(p), o);
      o += p.byteLength;
    }
    try {
      sb.appendBuffer(buf);
      this.keepLive();
    } catch {
      // QuotaExceeded: drop what is far behind and try again later.
      this.trim(true);
    }
  }

  // Stays near the live edge: plays when data arrives, jumps when more than 1.5 s behind, trims old data.
  private keepLive(): void {
    const v = this.video;
    const b = v.buffered;
    if (b.length === 0) return;
    const end = b.end(b.length - 1);
    if (v.currentTime < b.start(0) || end - v.currentTime > 1.5) v.currentTime = Math.max(b.start(b.length - 1), end - 0.2);
    if (v.paused) v.play().catch(() => {});
    this.trim(false);
  }

  private trim(force: boolean): void {
    const sb = this.sb;
    const v = this.video;
    if (!sb || sb.updating || this.ms?.readyState !== 'open' || sb.buffered.length === 0) return;
    const start = sb.buffered.start(0);
    if (force || v.currentTime - start > 30) {
      const to = v.currentTime - 5;
      if (to > start) {
        try {
          sb.remove(start, to);
        } catch {
          /* busy */
        }
      }
    }
  }

  private startMjpeg(): void {
    if (this.closed) return;
    this.teardownMedia();
    this.mode = 'mjpeg';
    this.el.dataset.mode = 'mjpeg';
    this.img.onerror = () => this.startSnapshots();
    this.img.src = `/api/v1/cameras/${encodeURIComponent(this.camera)}/live.mjpeg`;
  }

  // Polls the snapshot (the server refuses unknown query parameters, so no cache-busting query: fetch with
  // cache 'no-store' and show the blob).
  private startSnapshots(): void {
    if (this.closed || this.mode === 'snapshot') return;
    this.mode = 'snapshot';
    this.el.dataset.mode = 'snapshot';
    this.img.onerror = null;
    let busy = false;
    let url = '';
    const tick = async () => {
      if (busy || this.closed) return;
      busy = true;
      try {
        const r = await fetch(`/api/v1/cameras/${encodeURIComponent(this.camera)}/snapshot.jpg`, { cache: 'no-store' });
        if (r.ok && !this.closed) {
          const next = URL.createObjectURL(await r.blob());
          this.img.src = next;
          if (url) URL.revokeObjectURL(url);
          url = next;
        }
      } catch {
        /* try again */
      } finally {
        busy = false;
      }
    };
    tick();
    this.snapTimer = window.setInterval(tick, 500);
  }

  private teardownMedia(): void {
    this.frameMediaTime = -1;
    this.sb = null;
    this.queue = [];
    if (this.ms && this.ms.readyState === 'open') {
      try {
        this.ms.endOfStream();
      } catch {
        /* closed */
      }
    }
    this.ms = null;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = '';
    this.video.removeAttribute('src');
  }

  onTracks(m: TrackMessage): void {
    this.tracks.push(m);
    if (!this.width && m.width) {
      this.width = m.width;
      this.height = m.height;
    }
  }

  setStatus(text: string, state: string): void {
    this.badge.textContent = text;
    this.el.dataset.state = state;
  }

  // The capture time of the picture on screen (MSE): the presented frame's media time where known, else the
  // video's clock; undefined for MJPEG/snapshots.
  screenPtsUs(): number | undefined {
    if (this.mode !== 'mse' || this.video.readyState < 2) return undefined;
    const t = this.frameMediaTime >= 0 && Math.abs(this.frameMediaTime - this.video.currentTime) < 0.5 ? this.frameMediaTime : this.video.currentTime;
    return mediaToPtsUs(this.originUs, t);
  }

  draw(): void {
    const ctx = fitCanvas(this.canvas);
    let w = this.width;
    let hh = this.height;
    if (this.mode === 'mse' && this.video.videoWidth) {
      w = w || this.video.videoWidth;
      hh = hh || this.video.videoHeight;
    } else if (this.img.naturalWidth) {
      w = w || this.img.naturalWidth;
      hh = hh || this.img.naturalHeight;
    }
    if (!w || !hh) return;
    const r: Rect = containRect(w, hh, this.canvas.clientWidth, this.canvas.clientHeight);
    drawRules(ctx, this.rules, w, hh, r);
    const pts = this.screenPtsUs();
    if (pts !== undefined && this.video.currentTime !== this.lastMediaTime) {
      this.lastMediaTime = this.video.currentTime;
      this.framesShown++;
    }
    let m: TrackMessage | undefined;
    if (pts !== undefined) {
      m = this.tracks.at(pts);
      this.tracks.trimBefore(pts - 2_000_000);
    } else if (this.mode !== 'mse') {
      m = this.tracks.latest();
    }
    this.tracksOnScreen = 0;
    if (this.syntheticForTest.length) {
      // Moving boxes, so every frame redraws different pixels.
      const k = performance.now() / 1000;
      const moved = this.syntheticForTest.map((tr, i) => ({ ...tr, box: [((tr.box[0] + k * 40 * (1 + (i % 3))) % (w - tr.box[2])), tr.box[1], tr.box[2], tr.box[3]] as [number, number, number, number] }));
      this.tracksOnScreen += drawTracks(ctx, moved, w, hh, r);
    }
    if (m) {
      const n = drawTracks(ctx, m.tracks, m.width || w, m.height || hh, r);
      this.tracksOnScreen += n;
      this.boxesDrawn += n;
      this.lastPtsUs = m.pts_us;
    }
  }

  close(): void {
    this.closed = true;
    window.clearInterval(this.snapTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
    this.teardownMedia();
    this.img.removeAttribute('src');
  }
}
