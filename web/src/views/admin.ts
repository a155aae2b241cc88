// Administration (admins): users with their roles and camera grants (change a role, grant or take back a camera,
// add a user) when the server has access control, and the audit log; says so where a route is missing.
import { api, get, cameras, ApiError } from '../api';
import { h, clear, option } from '../dom';
import { t, formatTime } from '../i18n';
import type { Ctx } from '../main';

interface UserRow {
  name: string;
  role: string;
  language?: string;
  disabled?: boolean;
  grants?: string[];
}

const ROLES = ['viewer', 'operator', 'admin'];

export function adminView(root: HTMLElement, ctx: Ctx): () => void {
  const users = h('div', { class: 'card', id: 'admin-users' }, h('h3', null, t('admin.users')));
  const audit = h('div', { class: 'card', id: 'admin-audit' }, h('h3', null, t('admin.audit')));
  const msg = h('p', { class: 'error', id: 'admin-msg' });
  root.append(h('p', null, `${t('admin.me')}: ${ctx.user.name} (${ctx.user.role})`), msg, h('div', { class: 'cards' }, users, audit));
  let camNames: string[] = [];

  const act = async (f: () => Promise<unknown>) => {
    msg.textContent = '';
    try {
      await f();
    } catch (e) {
      msg.textContent = (e as Error).message;
    }
    loadUsers();
  };

  function userRow(u: UserRow): HTMLTableRowElement {
    const role = h('select', { class: 'role' }, ROLES.map((r) => option(r, r, r === u.role)));
    role.onchange = () => act(() => api('PATCH', `/api/v1/users/${encodeURIComponent(u.name)}`, { role: role.value }));
    const grants = h('td', { class: 'grants' });
    for (const g of u.grants ?? []) {
      grants.append(h('span', { class: 'grant' }, g, h('button', { class: 'link', title: t('ed.delete'), onclick: () => act(() => api('DELETE', `/api/v1/users/${encodeURIComponent(u.name)}/grants/${encodeURIComponent(g)}`)) }, '×')), ' ');
    }
    const add = h('select', { class: 'add-grant' }, option('', '+'), option('all', 'all'), camNames.map((c) => option(`camera:${c}`, `camera:${c}`)));
    add.onchange = () => add.value && act(() => api('POST', `/api/v1/users/${encodeURIComponent(u.name)}/grants`, { grant: add.value }));
    grants.append(add);
    return h('tr', { 'data-user': u.name }, h('td', null, u.name), h('td', null, role), grants, h('td', null, u.language ?? ''));
  }

  function addForm(): HTMLFormElement {
    const name = h('input', { placeholder: t('login.user'), size: 10, required: true });
    const pass = h('input', { type: 'password', placeholder: t('login.password'), size: 10, required: true, autocomplete: 'new-password' });
    const role = h('select', null, ROLES.map((r) => option(r, r)));
    return h(
      'form',
      { class: 'toolbar', onsubmit: (e: Event) => { e.preventDefault(); act(() => api('POST', '/api/v1/users', { name: name.value, role: role.value, password: pass.value })); } },
      name, pass, role, h('button', { type: 'submit' }, '+'),
    );
  }

  async function loadUsers(): Promise<void> {
    try {
      const j = await get<{ users: UserRow[] }>('/api/v1/users');
      clear(users);
      users.append(
        h('h3', null, t('admin.users')),
        h('table', { class: 'grid' }, h('tr', null, h('th', null, t('login.user')), h('th', null, t('admin.role')), h('th', null, t('cameras')), h('th', null, t('admin.language'))), j.users.map(userRow)),
        addForm(),
      );
    } catch (e) {
      clear(users);
      users.append(h('h3', null, t('admin.users')), h('p', null, e instanceof ApiError && e.status === 404 ? t('admin.unavailable') : (e as Error).message));
    }
  }

  cameras()
    .then((l) => (camNames = l.map((c) => c.name)))
    .catch(() => {})
    .finally(() => loadUsers());
  get<{ entries?: any[] }>('/api/v1/audit?limit=100')
    .then((j) => {
      const rows = j.entries ?? [];
      const tbl = h('table', { class: 'grid' });
      for (const a of rows.slice(-100).reverse()) {
        tbl.append(h('tr', null, h('td', null, a.time_us ? formatTime(a.time_us) : ''), h('td', null, String(a.actor ?? a.user ?? '')), h('td', null, String(a.action ?? '')), h('td', null, String(a.target ?? a.path ?? ''))));
      }
      clear(audit);
      audit.append(h('h3', null, t('admin.audit')), rows.length ? tbl : h('p', null, t('none')));
    })
    .catch((e) => audit.append(h('p', null, e instanceof ApiError && e.status === 404 ? t('admin.unavailable') : (e as Error).message)));
  return () => {};
}
