// One shared connection to the live WebSocket (/api/v1/live): events, camera tracks, camera states and fused tracks,
// handed to the views that listen; reconnects with backoff when the server closes or restarts.
import type { TrackMessage } from './timemap';

export interface LiveMessage {
  topic: 'event' | 'tracks' | 'camera_state' | 'fused_tracks';
  seq: number;
  camera: string;
  data: any;
}
export interface CameraState {
  camera: string;
  health: string;
  frames_per_second: number;
  last_error: string;
  last_frame_us: number;
}

type Listener = (m: LiveMessage) => void;

export function wsUrl(path: string, loc: Location = location): string {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + path;
}

class LiveHub {
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private backoff = 500;
  private timer = 0;
  readonly states = new Map<string, CameraState>();
  readonly latestTracks = new Map<string, TrackMessage>();
  connected = false;
  received = 0;

  start(): void {
    if (this.ws) return;
    const ws = new WebSocket(wsUrl('/api/v1/live?topics=event,tracks,camera_state,fused_tracks'));
    this.ws = ws;
    ws.onopen = () => {
      this.connected = true;
      this.backoff = 500;
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      let m: LiveMessage;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      this.received++;
      if (m.topic === 'camera_state') this.states.set(m.camera, m.data);
      if (m.topic === 'tracks') this.latestTracks.set(m.camera, m.data);
      for (const f of this.listeners) f(m);
    };
    ws.onclose = () => {
      this.connected = false;
      this.ws = null;
      this.timer = window.setTimeout(() => this.start(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  stop(): void {
    window.clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
  }

  on(f: Listener): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

export const live = new LiveHub();
