// Media time to track time: a live fMP4 stream says at its start which capture time (origin_us, µs since the epoch)
// media time 0 is; the track messages of /api/v1/live carry the capture time of their frame (pts_us). TrackBuffer
// keeps a camera's recent track messages and finds the one for the frame on screen.
export interface TrackView {
  id: number;
  class: string;
  state: number;
  score: number;
  box: [number, number, number, number];
  velocity_px_s?: [number, number];
  ground?: [number, number];
}
export interface TrackMessage {
  camera: string;
  pts_us: number;
  frame_index: number;
  width: number;
  height: number;
  tracks: TrackView[];
}

// The capture time (µs) of media time `mediaTimeS` (seconds) of a stream whose media time 0 is `originUs`.
export function mediaToPtsUs(originUs: number, mediaTimeS: number): number {
  return originUs + Math.round(mediaTimeS * 1e6);
}

export function ptsToMediaS(originUs: number, ptsUs: number): number {
  return (ptsUs - originUs) / 1e6;
}

export class TrackBuffer {
  private items: TrackMessage[] = []; // ascending pts_us

  constructor(
    private capacity = 256,
    private maxSkewUs = 250_000,
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(m: TrackMessage): void {
    const a = this.items;
    if (a.length === 0 || a[a.length - 1].pts_us <= m.pts_us) {
      a.push(m);
    } else {
      let i = a.length - 1;
      while (i > 0 && a[i - 1].pts_us > m.pts_us) i--;
      a.splice(i, 0, m);
    }
    if (a.length > this.capacity) a.splice(0, a.length - this.capacity);
  }

  latest(): TrackMessage | undefined {
    return this.items[this.items.length - 1];
  }

  // The message of the frame shown at capture time `ptsUs`: the last one at or before it (exact frames match
  // exactly), or the nearest after it when none is before; undefined when the nearest is over maxSkewUs away.
  at(ptsUs: number): TrackMessage | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    let lo = 0;
    let hi = a.length; // first index with pts > ptsUs
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].pts_us <= ptsUs) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? a[lo - 1] : undefined;
    const after = lo < a.length ? a[lo] : undefined;
    let best = before;
    // Rounding of media time: a message up to 1 ms after is the same frame.
    if (after && (!before || (after.pts_us - ptsUs <= 1000 && after.pts_us - ptsUs < ptsUs - before.pts_us))) best = after;
    if (!best || Math.abs(best.pts_us - ptsUs) > this.maxSkewUs) return undefined;
    return best;
  }

  // Drops messages older than `ptsUs`.
  trimBefore(ptsUs: number): void {
    let n = 0;
    while (n < this.items.length - 1 && this.items[n].pts_us < ptsUs) n++;
    if (n > 0) this.items.splice(0, n);
  }
}
