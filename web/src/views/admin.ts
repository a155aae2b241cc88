// Administration: who is signed in, the users and roles and the audit log when the server has those routes
// (access control arrives with its own issue); otherwise says so.
import { get, ApiError } from '../api';
import { h, clear } from '../dom';
import { t, formatTime } from '../i18n';
import type { Ctx } from '../main';

export function adminView(root: HTMLElement, ctx: Ctx): () => void {
  const users = h('div', { class: 'card', id: 'admin-users' }, h('h3', null, t('admin.users')));
  const audit = h('div', { class: 'card', id: 'admin-audit' }, h('h3', null, t('admin.audit')));
  root.append(h('p', null, `${t('admin.me')}: ${ctx.user.name} (${ctx.user.role})`), h('div', { class: 'cards' }, users, audit));
  get<{ users: any[] }>('/api/v1/users')
    .then((j) => {
      const tbl = h('table', { class: 'grid' }, h('tr', null, h('th', null, t('login.user')), h('th', null, t('admin.role')), h('th', null, t('cameras')), h('th', null, t('admin.language'))));
      for (const u of j.users ?? []) {
        const cams = Array.isArray(u.cameras) ? u.cameras.join(', ') : String(u.cameras ?? '*');
        tbl.append(h('tr', null, h('td', null, String(u.name)), h('td', null, String(u.role)), h('td', null, cams), h('td', null, String(u.language ?? ''))));
      }
      users.append(tbl);
    })
    .catch((e) => users.append(h('p', null, e instanceof ApiError && e.status === 404 ? t('admin.unavailable') : (e as Error).message)));
  get<{ entries?: any[]; audit?: any[] }>('/api/v1/audit?limit=100')
    .then((j) => {
      const rows = j.entries ?? j.audit ?? [];
      const tbl = h('table', { class: 'grid' });
      for (const a of rows) {
        tbl.append(h('tr', null, h('td', null, a.time_us ? formatTime(a.time_us) : ''), h('td', null, String(a.user ?? a.actor ?? '')), h('td', null, String(a.action ?? '')), h('td', null, String(a.target ?? a.path ?? ''))));
      }
      clear(audit);
      audit.append(h('h3', null, t('admin.audit')), rows.length ? tbl : h('p', null, t('none')));
    })
    .catch((e) => audit.append(h('p', null, e instanceof ApiError && e.status === 404 ? t('admin.unavailable') : (e as Error).message)));
  return () => {};
}
