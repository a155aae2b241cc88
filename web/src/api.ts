// The REST client: same-origin fetch with the session cookie, the CSRF header on every mutating call (from
// /api/v1/auth/me or the login reply), JSON errors as ApiError. Also the session: who is logged in, if anyone.
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field = '',
  ) {
    super(message);
  }
}

export interface User {
  name: string;
  role: string;
  language?: string;
  cameras?: string[] | '*';
}

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!r.ok) {
    let code = 'http_' + r.status;
    let message = `${method} ${path}: HTTP ${r.status}`;
    let field = '';
    try {
      const j = await r.json();
      if (j && j.error) {
        code = String(j.error.code ?? code);
        message = String(j.error.message ?? message);
        field = String(j.error.field ?? '');
      }
    } catch {
      /* not JSON */
    }
    throw new ApiError(r.status, code, message, field);
  }
  return r;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await request(method, path, body);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

// Query string from the defined values of `q`.
export function qs(q: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

export type Session = { kind: 'user'; user: User } | { kind: 'login' } | { kind: 'open'; user: User };

// Who is this? 200: a user; 401: show the login; 404: a server without access control (everything allowed).
export async function whoAmI(): Promise<Session> {
  try {
    const j = await api<{ user: User; csrf_token?: string }>('GET', '/api/v1/auth/me');
    if (j.csrf_token) setCsrf(j.csrf_token);
    return { kind: 'user', user: j.user };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: 'login' };
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
      return { kind: 'open', user: { name: 'local', role: 'admin', cameras: '*' } };
    }
    throw e;
  }
}

export async function login(username: string, password: string): Promise<User> {
  const j = await api<{ user: User; csrf_token: string }>('POST', '/api/v1/auth/login', { username, password });
  setCsrf(j.csrf_token);
  return j.user;
}

export async function logout(): Promise<void> {
  await api('POST', '/api/v1/auth/logout');
  setCsrf('');
}

// Camera as GET /api/v1/cameras lists it.
export interface Camera {
  name: string;
  definition: CameraDefinition;
  status: { state: string; frames_per_second: number; last_error: string; last_frame_us: number };
}
export interface RuleDef {
  type: string;
  name?: string;
  points?: number[][];
  ground?: number[][];
  [k: string]: unknown;
}
export interface CameraDefinition {
  name: string;
  uri: string;
  rules?: RuleDef[];
  calibration?: { homography?: { image: number[][]; ground?: number[][]; latlon?: number[][] }; [k: string]: unknown };
  [k: string]: unknown;
}

export async function cameras(): Promise<Camera[]> {
  return (await get<{ cameras: Camera[] }>('/api/v1/cameras')).cameras;
}
