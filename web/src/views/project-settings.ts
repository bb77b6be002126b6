// /settings/project — a project's name and timezone, how long it keeps data, its ingestion
// limits (managers and admins); its ingestion keys and deletion of one person's data on request
// (admins); a new project (organization admins).

import { forgetMe, type Me, type Project } from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { navigate, type ViewContext } from '../router';
import {
  atLeast,
  createProject,
  eraseSubject,
  getKeys,
  getSettings,
  rotateKey,
  updateProject,
  updateSettings,
  type ProjectKeys,
  type ProjectSettings,
} from '../team-api';
import { card, field, settingsPage, statusLine } from './settings-page';

export function projectSettingsView(ctx: ViewContext): void {
  settingsPage(ctx, 'project', 'Project settings', 'Name, timezone, retention, limits, keys and deletions.', async ({ me, project, body, signal }) => {
    const settings = await getSettings(project.id, signal);
    const admin = atLeast(project.role, 'admin');
    const keys = admin ? await getKeys(project.id, signal) : null;
    if (signal.aborted) return;
    replaceChildren(
      body,
      general(project),
      retentionAndLimits(project, settings, admin),
      keys ? keysCard(project, keys) : null,
      admin ? erasureCard(project) : null,
      me.organization_admin ? newProjectCard(me) : null,
    );
  });
}

function general(project: Project): HTMLElement {
  const name = h('input', { type: 'text', value: project.name, 'data-testid': 'project-name-input' });
  const timezone = h('input', { type: 'text', value: project.timezone, placeholder: 'Europe/Berlin', 'data-testid': 'project-timezone' });
  const status = statusLine('project-status');
  return card('Project', 'Dates are shown and searched in the project\'s timezone.',
    h('form', { class: 'settings-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        await updateProject(project.id, { name: name.value, timezone: timezone.value });
        forgetMe();
        status.ok('Saved.');
      } catch (err) {
        status.error(err);
      }
    } },
    field('Name', name),
    field('Timezone (IANA name)', timezone),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Save'), status.element)));
}

function retentionAndLimits(project: Project, s: ProjectSettings, admin: boolean): HTMLElement {
  const retention = h('input', { type: 'number', min: 1, max: 730, value: String(s.retention_days), class: 'input-narrow', disabled: !admin, 'data-testid': 'retention-days' });
  const limit = (own: number | null | undefined, testId: string): HTMLInputElement =>
    h('input', { type: 'number', min: 0, value: own === null || own === undefined ? '' : String(own), placeholder: 'server\'s limit', class: 'input-medium', 'data-testid': testId });
  const eps = limit(s.events_per_second, 'events-per-second');
  const bps = limit(s.bytes_per_second, 'bytes-per-second');
  const inEffect = (n: number): string => (n ? `${n} in effect` : 'no limit in effect');
  const status = statusLine('limits-status');
  return card('Retention and ingestion limits',
    'Recordings, events and text older than the retention are deleted by a job that runs every hour. Over a limit, uploads are answered 429 and the SDKs retry.',
    h('form', { class: 'settings-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      const own = (input: HTMLInputElement): number | null => (input.value.trim() === '' ? null : Number(input.value));
      try {
        await updateSettings(project.id, {
          ...(admin ? { retention_days: Number(retention.value) } : {}),
          events_per_second: own(eps),
          bytes_per_second: own(bps),
        });
        status.ok('Saved.');
      } catch (err) {
        status.error(err);
      }
    } },
    field('Keep data for (days, 1 to 730)', retention, admin ? 'A shorter retention deletes older data at the next run.' : 'Admins change it.'),
    field('Events a second', eps, `Empty: the server's limit. 0: no limit. Now: ${inEffect(s.effective_events_per_second)}.`),
    field('Bytes a second (as sent)', bps, `Empty: the server's limit. 0: no limit. Now: ${inEffect(s.effective_bytes_per_second)}.`),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Save'), status.element)));
}

function keysCard(project: Project, initial: ProjectKeys): HTMLElement {
  const list = h('div', { class: 'keys' });
  const overlap = h('input', { type: 'number', min: 0, max: 720, value: '24', class: 'input-narrow', 'data-testid': 'rotation-overlap' });
  const status = statusLine('keys-status');
  show(initial);
  return card('Ingestion key', 'SDKs send it with every upload. A rotated key keeps working for the overlap you choose, so sites can move to the new one; after that it answers 401.',
    list,
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      if (!confirm(`Give the project a new key? The current one keeps working for ${overlap.value} hours.`)) return;
      try {
        show(await rotateKey(project.id, Number(overlap.value)));
        forgetMe();
        status.ok('Rotated.');
      } catch (err) {
        status.error(err);
      }
    } },
    field('Overlap (hours, 0 to 720)', overlap),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'rotate-key' }, 'Rotate key'), status.element));

  function show(keys: ProjectKeys): void {
    replaceChildren(list,
      keyRow(keys.api_key, 'current'),
      ...keys.retired.map((k) => keyRow(k.api_key, `works until ${formatDateTime(new Date(k.valid_until))}`)));
  }
}

function keyRow(key: string, note: string): HTMLElement {
  return h('div', { class: 'key-row' },
    h('code', { class: 'mono', 'data-testid': 'api-key' }, key),
    h('span', { class: 'muted' }, note),
    h('button', { type: 'button', class: 'button button-small button-quiet', onclick: () => void copyText(key) }, 'Copy'));
}

function erasureCard(project: Project): HTMLElement {
  const kind = h('select', { 'data-testid': 'erase-kind' },
    h('option', { value: 'users' }, 'User id'),
    h('option', { value: 'devices' }, 'Device id'));
  const id = h('input', { type: 'text', required: true, placeholder: 'user-42', 'data-testid': 'erase-id' });
  const status = statusLine('erase-status');
  return card('Delete a person\'s data', 'For a privacy request: every session of that user or device in this project — recordings, events, on-screen and console text — their other events and their properties. It cannot be undone; the audit log records it (with a hash of the id, not the id).',
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      const what = id.value.trim();
      if (!what) return;
      if (!confirm(`Delete everything of ${kind.value === 'users' ? 'user' : 'device'} ${what} in ${project.name}? This cannot be undone.`)) return;
      try {
        const erased = await eraseSubject(project.id, kind.value === 'devices' ? 'devices' : 'users', what);
        status.ok(`Deleted ${erased.sessions} session(s) (${erased.replays} replay(s)), ${erased.events} event(s), ${erased.user_properties} propert(ies).`);
        id.value = '';
      } catch (err) {
        status.error(err);
      }
    } },
    field('Id kind', kind), field('Id', id),
    h('button', { type: 'submit', class: 'button button-danger', 'data-testid': 'erase' }, 'Delete'), status.element));
}

function newProjectCard(me: Me): HTMLElement {
  const name = h('input', { type: 'text', required: true, placeholder: 'Docs site', 'data-testid': 'new-project-name' });
  const status = statusLine('new-project-status');
  return card('New project', `A project of ${me.organization.name} with its own key, data and settings.`,
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        const made = await createProject(name.value);
        forgetMe();
        navigate(`/settings/project?project=${made.id}`);
      } catch (err) {
        status.error(err);
      }
    } },
    field('Name', name),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'create-project' }, 'Create project'), status.element));
}
