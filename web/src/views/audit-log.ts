// /audit-log — who did what (admins): sign-ins, people and roles, keys, settings, deletions;
// newest first, older pages on demand. Organization admins see the whole organization's log,
// project admins their project's.

import { h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import type { ViewContext } from '../router';
import { getAuditLog, type AuditEntry } from '../team-api';
import { settingsPage } from './settings-page';

export function auditLogView(ctx: ViewContext): void {
  settingsPage(ctx, 'audit', 'Audit log', 'Sign-ins, people and roles, keys, settings and deletions.', async ({ me, project, body, signal }) => {
    const scope = me.organization_admin ? null : project.id;
    const rows = h('tbody', {});
    const more = h('button', { type: 'button', class: 'button', hidden: true, 'data-testid': 'audit-more' }, 'Older');
    const names = new Map(me.projects.map((p) => [p.id, p.name]));
    const load = async (before: number | null): Promise<void> => {
      const page = await getAuditLog(scope, before, signal);
      rows.append(...page.entries.map((e) => row(e, names)));
      more.hidden = page.next_before === undefined;
      more.onclick = () => void load(page.next_before ?? null);
    };
    await load(null);
    if (signal.aborted) return;
    replaceChildren(body,
      h('table', { class: 'data-table audit-table', 'data-testid': 'audit-log' },
        h('thead', {}, h('tr', {}, ...['When', 'Who', 'What', 'Project', 'About', 'Details'].map((t) => h('th', {}, t)))),
        rows),
      h('div', { class: 'load-more' }, more));
  });
}

function row(e: AuditEntry, names: Map<number, string>): HTMLElement {
  const detail = Object.keys(e.detail as object).length ? JSON.stringify(e.detail) : '';
  return h('tr', { 'data-testid': 'audit-row', 'data-action': e.action },
    h('td', { class: 'tabular' }, formatDateTime(new Date(e.at), true)),
    h('td', {}, e.actor ?? 'reel'),
    h('td', {}, e.action.replaceAll('_', ' ')),
    h('td', {}, e.project_id === null || e.project_id === undefined ? '—' : (names.get(e.project_id) ?? String(e.project_id))),
    h('td', {}, e.target ?? ''),
    h('td', { class: 'mono audit-detail' }, detail));
}
