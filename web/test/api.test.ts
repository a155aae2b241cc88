import { afterEach, describe, expect, it, vi } from 'vitest';
import { whoAmI, api, setCsrf, qs, ApiError } from '../src/api';

const reply = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('session and requests', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrf('');
  });

  it('reads the session: a user, the login form on 401, an open server on 404', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => reply(200, { user: { name: 'ali', role: 'operator', language: 'fa' }, csrf_token: 'tok' })));
    expect(await whoAmI()).toEqual({ kind: 'user', user: { name: 'ali', role: 'operator', language: 'fa' } });
    vi.stubGlobal('fetch', vi.fn(async () => reply(401, { error: { code: 'unauthenticated', message: 'log in' } })));
    expect((await whoAmI()).kind).toBe('login');
    vi.stubGlobal('fetch', vi.fn(async () => reply(404, { error: { code: 'not_found', message: 'no route' } })));
    const open = await whoAmI();
    expect(open.kind).toBe('open');
  });

  it('sends the CSRF token on mutating calls only, and turns error bodies into ApiError with the field', async () => {
    const f = vi.fn(async (_url: string, _init: RequestInit) => reply(200, { ok: true }));
    vi.stubGlobal('fetch', f);
    setCsrf('tok-1');
    await api('GET', '/api/v1/cameras');
    await api('POST', '/api/v1/events/e1/ack', { by: 'ali' });
    const h0 = f.mock.calls[0][1].headers as Record<string, string>;
    const h1 = f.mock.calls[1][1].headers as Record<string, string>;
    expect(h0['X-CSRF-Token']).toBeUndefined();
    expect(h1['X-CSRF-Token']).toBe('tok-1');
    expect(h1['Content-Type']).toBe('application/json');
    expect(f.mock.calls[1][1].body).toBe('{"by":"ali"}');
    vi.stubGlobal('fetch', vi.fn(async () => reply(400, { error: { code: 'invalid', message: 'camera.detector: unknown', field: 'detector' } })));
    const e = await api('PUT', '/api/v1/cameras/x', {}).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
    expect(e.field).toBe('detector');
    expect(e.message).toBe('camera.detector: unknown');
  });

  it('builds query strings from the set values only', () => {
    expect(qs({ camera: 'a b', type: '', limit: 50, acknowledged: false, cursor: undefined })).toBe('?camera=a+b&limit=50&acknowledged=false');
    expect(qs({})).toBe('');
  });
});
