// /cohorts — saved sets of users, defined by user-property conditions and "performed X at least
// N times"; a search filters by them ("Cohort is …"). Create, edit, delete.

import { ApiError, deleteCohort, getCatalog, getMe, listCohorts, saveCohort, type Catalog, type Cohort, type CohortCondition, type Operator, type Project } from '../api';
import { h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import type { ViewContext } from '../router';
import { OPERATORS, OPERATOR_LABELS, valueCount } from '../search-state';

export function cohortsView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'cohorts');
  const list = h('div', { class: 'list-body' }, notice('loading', 'Loading cohorts…', undefined, 'loading'));
  const editorHost = h('div', { class: 'cohort-editor-host' });
  const create = h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'new-cohort' }, 'New cohort');
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { class: 'page-title' }, 'Cohorts'), h('p', { class: 'page-summary' }, 'Users who meet every condition. Filter replays by them with “Cohort”.')),
      create),
    editorHost, list));
  void load();

  async function load(): Promise<void> {
    try {
      const me = await getMe();
      const project = selectedProject(me, url);
      if (!project) {
        replaceChildren(list, notice('info', 'No project yet'));
        return;
      }
      const [cohorts, catalog] = await Promise.all([
        listCohorts(project.id, signal),
        getCatalog(project.id, signal).catch((): Catalog => ({ event_names: [], user_properties: [] })),
      ]);
      if (signal.aborted) return;
      create.onclick = () => edit(project, catalog, null);
      replaceChildren(list, cohorts.length
        ? h('ul', { class: 'cohort-list' }, ...cohorts.map((c) => h('li', { class: 'cohort-item', 'data-testid': 'cohort' },
            h('div', {}, h('strong', {}, c.name), h('p', { class: 'muted' }, describe(c), ' · changed ', formatDateTime(new Date(c.updated_at), false, project.timezone))),
            h('div', { class: 'cohort-actions' },
              h('a', { class: 'button button-small', href: `/replays?f=${encodeURIComponent(JSON.stringify({ field: 'cohort', cohort: c.id }))}` }, 'Replays'),
              h('button', { type: 'button', class: 'button button-small', onclick: () => edit(project, catalog, c) }, 'Edit'),
              h('button', { type: 'button', class: 'button button-quiet button-small', onclick: async () => {
                if (!window.confirm(`Delete the cohort “${c.name}”? Searches that use it stop working.`)) return;
                await deleteCohort(project.id, c.id).catch(() => undefined);
                void load();
              } }, 'Delete')))))
        : notice('info', 'No cohorts yet', 'A cohort is a set of users: “plan is pro”, “performed Purchase at least 3 times”.', 'no-cohorts'));
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(list, notice('error', 'Could not load cohorts', err instanceof Error ? err.message : String(err)));
    }
  }

  function edit(project: Project, catalog: Catalog, cohort: Cohort | null): void {
    const name = h('input', { type: 'text', value: cohort?.name ?? '', placeholder: 'Name', 'aria-label': 'Cohort name', 'data-testid': 'cohort-name' });
    const rows: Array<() => CohortCondition | string> = [];
    const conditions = h('div', { class: 'cohort-conditions' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const addRow = (c?: CohortCondition): void => {
      const kind = h('select', { 'aria-label': 'Condition' }, h('option', { value: 'property' }, 'User property'), h('option', { value: 'performed' }, 'Performed'));
      kind.value = c?.performed ? 'performed' : 'property';
      const holder = h('span', { class: 'cohort-condition-inputs' });
      const negate = h('input', { type: 'checkbox', checked: c?.negate ?? false });
      const row = h('div', { class: 'cohort-condition' }, kind, holder, h('label', { class: 'toggle' }, negate, 'not'));
      let read: () => CohortCondition | string = () => 'incomplete condition';
      const draw = (): void => {
        if (kind.value === 'performed') {
          const event = h('input', { type: 'text', placeholder: 'Event name', list: 'cohort-events', value: c?.performed ?? '', 'aria-label': 'Event name' });
          const count = h('input', { type: 'number', min: 1, value: String(c?.min_count ?? 1), class: 'input-narrow', 'aria-label': 'At least' });
          replaceChildren(holder, event, h('span', { class: 'muted' }, 'at least'), count, h('span', { class: 'muted' }, 'times'));
          read = () => (event.value.trim() ? { performed: event.value.trim(), min_count: Math.max(1, Number(count.value) || 1), negate: negate.checked } : 'name the event');
        } else {
          const property = h('input', { type: 'text', placeholder: 'Property', list: 'cohort-properties', value: c?.user_property ?? '', 'aria-label': 'User property' });
          const op = h('select', { 'aria-label': 'Operator' }, ...OPERATORS.user_property.map((o) => h('option', { value: o }, OPERATOR_LABELS[o])));
          op.value = c?.op ?? 'is';
          const value = h('input', { type: 'text', placeholder: 'value', value: (c?.values ?? []).map(String).join(', '), 'aria-label': 'Value' });
          replaceChildren(holder, property, op, value);
          read = () => {
            if (!property.value.trim()) return 'name the property';
            const operator = op.value as Operator;
            const count = valueCount(operator);
            const values = count === 0 ? [] : value.value.split(',').map((v) => v.trim()).filter(Boolean).map((v) => (count !== 'many' && Number.isFinite(Number(v)) ? Number(v) : v));
            if (count !== 0 && values.length === 0) return `give a value for ${property.value.trim()}`;
            return { user_property: property.value.trim(), op: operator, ...(values.length ? { values } : {}), negate: negate.checked };
          };
        }
      };
      kind.addEventListener('change', draw);
      draw();
      const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Remove condition', onclick: () => {
        rows.splice(rows.indexOf(reader), 1);
        row.remove();
      } }, '×');
      row.append(remove);
      const reader = (): CohortCondition | string => read();
      rows.push(reader);
      conditions.append(row);
    };
    (cohort?.definition.conditions ?? [undefined]).forEach((c) => addRow(c));
    const save = async (event: Event): Promise<void> => {
      event.preventDefault();
      const read = rows.map((r) => r());
      const problem = read.find((r) => typeof r === 'string');
      if (typeof problem === 'string' || !name.value.trim() || read.length === 0) {
        error.textContent = typeof problem === 'string' ? problem : !name.value.trim() ? 'name the cohort' : 'add a condition';
        error.hidden = false;
        return;
      }
      try {
        await saveCohort(project.id, cohort?.id, name.value.trim(), { conditions: read as CohortCondition[] });
        replaceChildren(editorHost);
        void load();
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
        error.hidden = false;
      }
    };
    replaceChildren(editorHost, h('form', { class: 'filter-editor cohort-editor', 'data-testid': 'cohort-editor', onsubmit: save },
      name, conditions,
      h('datalist', { id: 'cohort-events' }, ...catalog.event_names.map((n) => h('option', { value: n }))),
      h('datalist', { id: 'cohort-properties' }, ...catalog.user_properties.map((n) => h('option', { value: n }))),
      h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => addRow() }, '+ condition'),
      error,
      h('div', { class: 'filter-editor-actions' },
        h('button', { type: 'submit', class: 'button button-primary button-small', 'data-testid': 'cohort-save' }, cohort ? 'Save cohort' : 'Create cohort'),
        h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => replaceChildren(editorHost) }, 'Cancel'))));
  }
}

function describe(c: Cohort): string {
  return c.definition.conditions.map((d) => {
    const not = d.negate ? 'not ' : '';
    if (d.performed) return `${not}performed ${d.performed}${(d.min_count ?? 1) > 1 ? ` ${d.min_count}+ times` : ''}`;
    return `${not}${d.user_property} ${d.op ? OPERATOR_LABELS[d.op] : ''} ${(d.values ?? []).map(String).join(', ')}`.trim();
  }).join(' and ');
}
