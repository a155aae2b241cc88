// "Follow this object" across cameras: the logic of the follow panel, from GET /api/v1/global-tracks/{id} (which
// camera saw the global track when, its ground path, the follow plan) and POST .../follow-export (one MP4 cutting
// camera to camera). Pure functions, unit-tested (web/test/follow.test.ts).

export interface CameraInterval {
  camera: string;
  from_us: number;
  to_us: number;
  track_ids: number[];
  points: number;
}
export interface PlanPiece {
  camera: string;
  from_us: number;
  to_us: number;
  track_ids: number[];
  seen_from_us: number;
  seen_to_us: number;
  handoff_to_next: boolean;
}
export interface GlobalTrackView {
  global_id: number;
  from_us: number;
  to_us: number;
  cameras: string[];
  intervals: CameraInterval[];
  ground_path: { time_us: number; ground: [number, number] }[];
  follow: PlanPiece[];
}
// One piece of an exported follow MP4 (the reply's `pieces`): out_from_us/out_to_us place it in the file's time.
export interface ExportedPiece {
  camera: string;
  track_ids: number[];
  from_us: number;
  to_us: number;
  out_from_us: number;
  out_to_us: number;
  frames: number;
  handoff_to_next: boolean;
  clip: string;
}
export interface FollowExport {
  clip: { id: string; state: string; detail?: string; bytes?: number };
  global_id: number;
  stream_copy: boolean;
  frames: number;
  duration_us: number;
  masked: boolean;
  signed: boolean;
  pieces: ExportedPiece[];
  missing: { camera: string; from_us: number; to_us: number; detail: string }[];
}

// A bar on the timeline: [start, width] in percent of the view's span (the span is widened to the plan's pieces,
// which start tail before the first sighting and run past the last).
export interface Bar {
  camera: string;
  start: number;
  width: number;
  from_us: number;
  to_us: number;
  track_ids: number[];
}
export interface Timeline {
  from_us: number;
  to_us: number;
  rows: { camera: string; bars: Bar[] }[]; // one row per camera, in the order cameras first saw the object
  plan: Bar[]; // the follow plan's pieces
}

export function timeline(view: GlobalTrackView): Timeline {
  let from = view.from_us;
  let to = view.to_us;
  for (const p of view.follow) {
    from = Math.min(from, p.from_us);
    to = Math.max(to, p.to_us);
  }
  const span = Math.max(1, to - from);
  const bar = (camera: string, f: number, t: number, ids: number[]): Bar => ({
    camera,
    start: ((f - from) / span) * 100,
    width: Math.max(0.5, ((t - f) / span) * 100),
    from_us: f,
    to_us: t,
    track_ids: ids,
  });
  const rows: Timeline['rows'] = [];
  for (const i of [...view.intervals].sort((a, b) => a.from_us - b.from_us || a.camera.localeCompare(b.camera))) {
    let row = rows.find((r) => r.camera === i.camera);
    if (!row) rows.push((row = { camera: i.camera, bars: [] }));
    row.bars.push(bar(i.camera, i.from_us, i.to_us, i.track_ids));
  }
  return { from_us: from, to_us: to, rows, plan: view.follow.map((p) => bar(p.camera, p.from_us, p.to_us, p.track_ids)) };
}

// The plan piece showing site time `us` (the last one starting at or before it), -1 before the first.
export function pieceAt(plan: { from_us: number; to_us: number }[], us: number): number {
  let k = -1;
  for (let i = 0; i < plan.length; i++) if (plan[i].from_us <= us) k = i;
  return k;
}

// The piece of an exported follow MP4 on screen at the file's time `seconds` (the last whose out_from_us is at or
// before it), -1 when there is none.
export function exportPieceAt(pieces: ExportedPiece[], seconds: number): number {
  const us = seconds * 1e6;
  let k = -1;
  for (let i = 0; i < pieces.length; i++) if (pieces[i].out_from_us <= us + 1) k = i;
  return k;
}

// Following live: the camera to show for a fused track seen now by `cameras` (its contributions): stay on the
// current one while it still sees the object, else the first of the others (in the message's order); "" when none.
export function liveCamera(current: string, cameras: { camera: string }[], visible: (c: string) => boolean = () => true): string {
  const seen = cameras.map((c) => c.camera).filter(visible);
  if (current && seen.includes(current)) return current;
  return seen[0] ?? '';
}

// The id of a follow export from its "already exported" answer ("clip follow-7-1-2: already exported"), "" if not one.
export function exportedIdFrom(message: string): string {
  const m = /clip (follow-\d+-\d+-\d+): already exported/.exec(message);
  return m ? m[1] : '';
}

// The id POST /api/v1/clips gives a clip of camera [from_us, to_us) (record::SafeCameraName: every byte of the
// UTF-8 name outside [A-Za-z0-9_.] becomes "_"), to find one exported before (409).
export function clipId(camera: string, fromUs: number, toUs: number): string {
  let safe = '';
  for (const b of new TextEncoder().encode(camera || 'camera')) {
    const c = String.fromCharCode(b);
    safe += b < 128 && /[A-Za-z0-9_.]/.test(c) ? c : '_';
  }
  return `${safe}-${Math.round(fromUs)}-${Math.round(toUs)}`;
}
