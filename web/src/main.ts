// The didban web UI: the session (login or an open server), the shell (navigation, language switch, user), and a
// hash router over the views. Views get a container and return a dispose function.
import './style.css';
import { ApiError, login, logout, whoAmI, api, type User } from './api';
import { h, clear } from './dom';
import { t, setLang, lang, isLang, onLangChange, type Lang, type Key } from './i18n';
import { live } from './live';
import { wallView } from './views/wall';
import { eventsView } from './views/events';
import { recordingsView } from './views/recordings';
import { editorView } from './views/editor';
import { adminView } from './views/admin';
import { stationsView, listStations } from './views/stations';

export interface Ctx {
  user: User;
  open: boolean; // the server has no access control
  param: string; // the part of the route after the view name
}
export type View = (root: HTMLElement, ctx: Ctx) => () => void;

// A view loaded on first use (its own chunk: the map library and the chart library stay out of the first screen).
function lazy(load: () => Promise<View>): View {
  return (root, ctx) => {
    let dispose: (() => void) | null = null;
    let gone = false;
    load().then((v) => {
      if (!gone) dispose = v(root, ctx);
    });
    return () => {
      gone = true;
      dispose?.();
    };
  };
}
const mapView = lazy(() => import('./views/map').then((m) => m.mapView));
const dashboardView = lazy(() => import('./views/dashboard').then((m) => m.dashboardView));

const views: Record<string, { key: Key; view: View }> = {
  wall: { key: 'nav.wall', view: wallView },
  map: { key: 'nav.map', view: mapView },
  events: { key: 'nav.events', view: eventsView },
  dashboard: { key: 'nav.dashboard', view: dashboardView },
  recordings: { key: 'nav.recordings', view: recordingsView },
  editor: { key: 'nav.editor', view: editorView },
  admin: { key: 'nav.admin', view: adminView },
  stations: { key: 'nav.stations', view: stationsView },
};

// Whether the server is a center with stations (GET /api/v1/stations lists any): its navigation shows "Stations".
// Asked once per session, after the first screen; #/stations works either way.
let hasStations: boolean | null = null;

const app = document.getElementById('app')!;
let session: { user: User; open: boolean } | null = null;
let dispose: (() => void) | null = null;

function storedLang(): Lang {
  const l = localStorage.getItem('didban.lang');
  return isLang(l) ? l : 'en';
}

async function switchLang(): Promise<void> {
  const next: Lang = lang() === 'fa' ? 'en' : 'fa';
  localStorage.setItem('didban.lang', next);
  if (session && !session.open) {
    try {
      await api('PATCH', '/api/v1/auth/me', { language: next });
      session.user.language = next;
    } catch {
      /* the route may not exist yet: localStorage keeps it */
    }
  }
  setLang(next);
}

function renderLogin(message = ''): void {
  dispose?.();
  dispose = null;
  clear(app);
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert' }, message);
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          (window as any).__didbanTimes = { login: Math.round(performance.now()) };
          const u = await login(user.value, pass.value);
          session = { user: u, open: false };
          if (isLang(u.language)) setLang(u.language);
          start();
        } catch (err) {
          msg.textContent =
            err instanceof ApiError && err.status === 429 ? t('login.throttled') : t('login.failed');
        }
      },
    },
    h('h1', null, t('login.title')),
    h('label', null, t('login.user'), user),
    h('label', null, t('login.password'), pass),
    h('button', { type: 'submit' }, t('login.submit')),
    msg,
    h('button', { type: 'button', class: 'link', id: 'lang', onclick: () => switchLang() }, t('language')),
  );
  app.appendChild(form);
  user.focus();
}

function route(): { name: string; param: string } {
  const m = location.hash.replace(/^#\/?/, '').split('/');
  const name = m[0] && m[0] in views ? m[0] : 'wall';
  return { name, param: decodeURIComponent(m.slice(1).join('/')) };
}

function renderShell(): void {
  if (!session) return;
  dispose?.();
  dispose = null;
  clear(app);
  const r = route();
  const nav = h(
    'nav',
    null,
    h('span', { class: 'brand' }, t('app')),
    Object.entries(views)
      .filter(([name]) => name !== 'admin' || session!.user.role === 'admin')
      .map(([name, v]) =>
        h('a', { href: `#/${name}`, class: name === r.name ? 'active' : '', id: `nav-${name}`, hidden: name === 'stations' && hasStations !== true }, t(v.key)),
      ),
    h('span', { class: 'spacer' }),
    h('span', { class: 'user', id: 'user' }, session.open ? t('user.local') : `${session.user.name} (${session.user.role})`),
    h('button', { id: 'lang', class: 'link', onclick: () => switchLang() }, t('language')),
    session.open
      ? null
      : h(
          'button',
          {
            class: 'link',
            id: 'logout',
            onclick: async () => {
              try {
                await logout();
              } finally {
                session = null;
                hasStations = null;
                live.stop();
                renderLogin();
              }
            },
          },
          t('logout'),
        ),
  );
  const main = h('main', { id: 'view', 'data-view': r.name });
  app.append(nav, main);
  const t0 = performance.now();
  dispose = views[r.name].view(main, { user: session.user, open: session.open, param: r.param });
  (window as any).__didbanViewStart = t0;
  if (hasStations === null) {
    listStations()
      .then((l) => {
        hasStations = l.length > 0;
        const link = document.getElementById('nav-stations');
        if (link) link.hidden = !hasStations;
      })
      .catch(() => (hasStations = false));
  }
}

function start(): void {
  live.start();
  renderShell();
}

window.addEventListener('hashchange', () => session && renderShell());
onLangChange(() => (session ? renderShell() : renderLogin()));

async function boot(): Promise<void> {
  setLang(storedLang());
  try {
    const s = await whoAmI();
    if (s.kind === 'login') {
      renderLogin();
      return;
    }
    session = { user: s.user, open: s.kind === 'open' };
    if (s.kind === 'user' && isLang(s.user.language)) setLang(s.user.language); // the user's choice, kept by the server
    start();
  } catch (e) {
    clear(app);
    app.appendChild(h('p', { class: 'error' }, `${t('error')}: ${(e as Error).message}`));
  }
}

boot();
