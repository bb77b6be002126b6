// The frame of the settings pages of a project (Session Replay, Project, People, Ingestion,
// Plans & Billing, Audit log): the shell, a tab for each page the user's role on the project
// opens, and a body a page fills once it knows who is asking. A role the server refuses gets
// the server's word for it, not a form.

import { ApiError, getMe, type Me, type Project, type Role } from '../api';
import { h, replaceChildren } from '../dom';
import { notice, renderShell, selectedProject, withProject } from '../layout';
import type { ViewContext } from '../router';
import { atLeast } from '../team-api';

export type SettingsTab = 'replay' | 'project' | 'people' | 'ingestion' | 'billing' | 'audit';

const TABS: { key: SettingsTab; path: string; label: string; minimum: Role }[] = [
  { key: 'replay', path: '/settings', label: 'Session Replay', minimum: 'manager' },
  { key: 'project', path: '/settings/project', label: 'Project', minimum: 'manager' },
  { key: 'people', path: '/people', label: 'People', minimum: 'admin' },
  { key: 'ingestion', path: '/ingestion', label: 'Ingestion Monitor', minimum: 'manager' },
  { key: 'billing', path: '/billing', label: 'Plans & Billing', minimum: 'manager' },
  { key: 'audit', path: '/audit-log', label: 'Audit log', minimum: 'admin' },
];

export interface SettingsContext {
  me: Me;
  project: Project;
  body: HTMLElement;
  signal: AbortSignal;
}

/**
 * Renders a settings page and calls `fill` with the signed-in user and the project; what it
 * throws is shown (403: the role needed, as the server says it).
 */
export function settingsPage(
  ctx: ViewContext,
  tab: SettingsTab,
  title: string,
  summary: string,
  fill: (page: SettingsContext) => Promise<void>,
): void {
  const main = renderShell(ctx.root, ctx.url, 'settings');
  const tabs = h('nav', { class: 'settings-tabs', 'aria-label': 'Settings' });
  const body = h('div', { class: 'settings-body' }, notice('loading', 'Loading…'));
  main.append(
    h('div', { class: 'page settings-page', 'data-testid': `settings-${tab}` },
      h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title' }, title), h('p', { class: 'page-summary' }, summary))),
      tabs,
      body),
  );
  void (async () => {
    try {
      const me = await getMe();
      const project = selectedProject(me, ctx.url);
      if (!project) {
        replaceChildren(body, notice('info', 'No project', 'You have no access to a project of your organization.'));
        return;
      }
      for (const t of TABS) {
        if (!atLeast(project.role, t.minimum)) continue;
        tabs.append(h('a', { href: withProject(t.path, ctx.url), class: `settings-tab${t.key === tab ? ' active' : ''}`, 'data-testid': `tab-${t.key}` }, t.label));
      }
      await fill({ me, project, body, signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(body, failure(err));
    }
  })();
}

/** What a failed load says. */
export function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 403) {
    return notice('error', 'Not for your role', `${capitalize(err.message)}.`, 'forbidden');
  }
  return notice('error', 'Could not load this page', err instanceof Error ? err.message : String(err), 'load-error');
}

/** A form's status line: saved, or why not. */
export function statusLine(testId: string): { element: HTMLElement; ok(text: string): void; error(err: unknown): void; clear(): void } {
  const element = h('p', { class: 'form-status', role: 'status', 'data-testid': testId, hidden: true });
  return {
    element,
    ok(text: string) {
      element.className = 'form-status form-status-ok';
      element.textContent = text;
      element.hidden = false;
    },
    error(err: unknown) {
      element.className = 'form-status form-error';
      element.textContent = err instanceof Error ? capitalize(err.message) : String(err);
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
    },
  };
}

/** A titled card of a settings page. */
export function card(title: string, description: string | null, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'settings-card' },
    h('h2', {}, title),
    description ? h('p', { class: 'muted settings-card-summary' }, description) : null,
    ...content);
}

/** A labelled field: label, control, and an optional hint under it. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `field-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'field-hint muted' }, hint) : null);
}

function capitalize(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}
