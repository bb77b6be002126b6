// The form that builds a chart: events (or steps) with property filters, the measure, the
// interval, group-by, user filters and each kind's own settings. It edits a copy of the chart
// and reports every change; the page keeps the chart in its URL.

import type { ChartEventSpec, ChartSpec, PropertySpec } from './analytics-api';
import type { Operator } from './api';
import { h } from './dom';
import { OPERATOR_LABELS, OPERATORS, valueCount } from './search-state';

type Change = (chart: ChartSpec) => void;

const PROPERTY_OPERATORS = OPERATORS.user_property;

export function chartEditor(chart: ChartSpec, eventNames: readonly string[], onChange: Change): HTMLElement {
  const c = structuredClone(chart);
  const changed = (): void => onChange(structuredClone(c));
  const form = h('div', { class: 'chart-editor', 'data-testid': 'chart-editor' });
  const listId = `event-names-${Math.random().toString(36).slice(2)}`;
  form.append(h('datalist', { id: listId }, ...eventNames.map((n) => h('option', { value: n }))));

  const eventInput = (e: ChartEventSpec, label: string, testId: string): HTMLElement =>
    h('div', { class: 'chart-event' },
      h('label', {}, label, ' ', h('input', { type: 'text', list: listId, value: e.event_type, placeholder: 'Event name', 'data-testid': testId,
        onchange: (ev: Event) => { e.event_type = (ev.target as HTMLInputElement).value.trim(); changed(); } })),
      filterRows(e.filters ?? [], (filters) => { e.filters = filters; changed(); }, `${testId}-filter`, 'where'));

  const select = <T extends string>(label: string, value: T, options: readonly (readonly [T, string])[], set: (v: T) => void, testId: string): HTMLElement =>
    h('label', {}, label, ' ', h('select', { 'data-testid': testId, onchange: (ev: Event) => { set((ev.target as HTMLSelectElement).value as T); changed(); } },
      ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));

  switch (c.kind) {
    case 'segmentation': {
      c.events.forEach((e, i) => form.append(h('div', { class: 'chart-row' }, eventInput(e, `Event ${i + 1}`, `event-${i}`),
        c.events.length > 1 ? h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => { c.events.splice(i, 1); changed(); } }, 'Remove') : null)));
      if (c.events.length < 10) form.append(h('div', { class: 'chart-row' }, h('button', { type: 'button', class: 'button button-small', 'data-testid': 'add-event', onclick: () => { c.events.push({ event_type: '' }); changed(); } }, '+ Event')));
      form.append(h('div', { class: 'chart-row' },
        select('Measure', c.measure ?? 'uniques', [['uniques', 'Uniques'], ['totals', 'Event totals'], ['active_pct', 'Active %'], ['average', 'Average'], ['frequency', 'Frequency'], ['property', 'Property']] as const,
          (v) => { c.measure = v; if (v === 'property') c.property ??= { property: '', aggregate: 'sum' }; else delete c.property; }, 'measure'),
        c.measure === 'property'
          ? h('span', {},
              h('input', { type: 'text', value: c.property?.property ?? '', placeholder: 'property', 'data-testid': 'measure-property', onchange: (ev: Event) => { c.property = { aggregate: c.property?.aggregate ?? 'sum', property: (ev.target as HTMLInputElement).value.trim() }; changed(); } }),
              select('', c.property?.aggregate ?? 'sum', [['sum', 'sum'], ['average', 'average'], ['distinct', 'distinct values']] as const, (v) => { c.property = { property: c.property?.property ?? '', aggregate: v }; }, 'measure-aggregate'))
          : null,
        select('Interval', c.interval ?? 'day', [['hour', 'Hour'], ['day', 'Day'], ['week', 'Week'], ['month', 'Month']] as const, (v) => { c.interval = v; }, 'interval')));
      form.append(groupBy(c.group_by ?? null, (g) => { if (g) c.group_by = g; else delete c.group_by; changed(); }));
      break;
    }
    case 'funnel': {
      c.steps.forEach((e, i) => form.append(h('div', { class: 'chart-row' }, eventInput(e, `Step ${i + 1}`, `step-${i}`),
        c.steps.length > 2 ? h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => { c.steps.splice(i, 1); changed(); } }, 'Remove') : null)));
      if (c.steps.length < 10) form.append(h('div', { class: 'chart-row' }, h('button', { type: 'button', class: 'button button-small', 'data-testid': 'add-step', onclick: () => { c.steps.push({ event_type: '' }); changed(); } }, '+ Step')));
      const windowMs = c.conversion_window_ms ?? 86_400_000;
      const unit = windowMs % 86_400_000 === 0 ? 86_400_000 : windowMs % 3_600_000 === 0 ? 3_600_000 : 60_000;
      const amount = h('input', { type: 'number', min: 1, value: windowMs / unit, class: 'input-narrow', 'data-testid': 'window-amount' });
      const units = h('select', { 'data-testid': 'window-unit' }, ...([[60_000, 'minutes'], [3_600_000, 'hours'], [86_400_000, 'days']] as const).map(([ms, text]) => h('option', { value: ms, selected: ms === unit }, text)));
      const setWindow = (): void => { c.conversion_window_ms = Math.max(1, Number(amount.value) || 1) * Number(units.value); changed(); };
      amount.addEventListener('change', setWindow);
      units.addEventListener('change', setWindow);
      form.append(h('div', { class: 'chart-row' },
        h('label', {}, 'Conversion window ', amount, ' ', units),
        select('Order', c.order ?? 'this', [['this', 'This order'], ['any', 'Any order']] as const, (v) => { c.order = v; }, 'order')));
      form.append(groupBy(c.group_by ?? null, (g) => { if (g) c.group_by = g; else delete c.group_by; changed(); }));
      break;
    }
    case 'sessions':
      form.append(select('Interval', c.interval ?? 'day', [['hour', 'Hour'], ['day', 'Day'], ['week', 'Week'], ['month', 'Month']] as const, (v) => { c.interval = v; }, 'interval'));
      break;
    case 'journeys': {
      form.append(select('View', c.view ?? 'pathfinder', [['pathfinder', 'Pathfinder'], ['journey_map', 'Journey Map']] as const, (v) => {
        c.view = v;
        if (v === 'journey_map') { delete c.start_event; delete c.end_event; } else c.start_event ??= { event_type: '' };
      }, 'journey-view'));
      if (c.view !== 'journey_map') {
        const toEvent = !!c.end_event;
        const anchor = (c.end_event ?? c.start_event ?? { event_type: '' });
        form.append(h('div', { class: 'chart-row' },
          select('Paths', toEvent ? 'to' : 'from', [['from', 'starting with'], ['to', 'ending with']] as const, (v) => {
            if (v === 'to') { c.end_event = anchor; delete c.start_event; } else { c.start_event = anchor; delete c.end_event; }
          }, 'anchor-side'),
          eventInput(anchor, 'Event', 'anchor'),
          h('label', {}, 'Steps ', h('input', { type: 'number', min: 2, max: 10, value: c.steps ?? 5, class: 'input-narrow', 'data-testid': 'path-steps', onchange: (ev: Event) => { c.steps = Number((ev.target as HTMLInputElement).value) || 5; changed(); } }))));
      }
      form.append(h('div', { class: 'chart-row' },
        h('label', {}, 'Window (minutes) ', h('input', { type: 'number', min: 1, value: Math.round((c.window_ms ?? 3_600_000) / 60_000), class: 'input-narrow', onchange: (ev: Event) => { c.window_ms = Math.max(1, Number((ev.target as HTMLInputElement).value) || 60) * 60_000; changed(); } })),
        h('label', {}, h('input', { type: 'checkbox', checked: c.collapse_repeats !== false, onchange: (ev: Event) => { c.collapse_repeats = (ev.target as HTMLInputElement).checked; changed(); } }), ' Collapse repeated events'),
        h('label', {}, 'Leave out ', h('input', { type: 'text', value: (c.exclude_events ?? []).join(', '), placeholder: 'events, comma-separated', onchange: (ev: Event) => {
          const names = (ev.target as HTMLInputElement).value.split(',').map((s) => s.trim()).filter(Boolean);
          if (names.length) c.exclude_events = names; else delete c.exclude_events;
          changed();
        } }))));
      break;
    }
    case 'experiment': {
      const text = (label: string, value: string | null | undefined, placeholder: string, set: (v: string | null) => void, testId: string): HTMLElement =>
        h('label', {}, label, ' ', h('input', { type: 'text', value: value ?? '', placeholder, 'data-testid': testId, onchange: (ev: Event) => { const v = (ev.target as HTMLInputElement).value.trim(); set(v || null); changed(); } }));
      form.append(h('div', { class: 'chart-row' },
        text('Exposure event', c.exposure_event, '[Experiment] Exposure', (v) => { if (v) c.exposure_event = v; else delete c.exposure_event; }, 'exposure-event'),
        text('Variant property', c.variant_property, '[Experiment] Variant', (v) => { if (v) c.variant_property = v; else delete c.variant_property; }, 'variant-property'),
        text('Flag key', c.flag_key, 'any', (v) => { if (v) c.flag_key = v; else delete c.flag_key; }, 'flag-key'),
        text('Control', c.control, 'control', (v) => { if (v) c.control = v; else delete c.control; }, 'control')));
      form.append(eventInput(c.goal, 'Goal event', 'goal'));
      break;
    }
  }
  form.append(h('div', { class: 'chart-row' }, h('span', { class: 'muted' }, 'Users whose current properties…'),
    filterRows(c.user_filters ?? [], (filters) => { if (filters.length) c.user_filters = filters; else delete c.user_filters; changed(); }, 'user-filter', 'user property')));
  return form;
}

function groupBy(value: { property: string; scope: 'event' | 'user'; limit?: number | null } | null, set: (g: { property: string; scope: 'event' | 'user' } | null) => void): HTMLElement {
  const property = h('input', { type: 'text', value: value?.property ?? '', placeholder: 'property (none: no groups)', 'data-testid': 'group-by' });
  const scope = h('select', { 'data-testid': 'group-scope' }, h('option', { value: 'event', selected: value?.scope !== 'user' }, 'of the event'), h('option', { value: 'user', selected: value?.scope === 'user' }, 'of the user'));
  const apply = (): void => {
    const p = property.value.trim();
    set(p ? { property: p, scope: scope.value === 'user' ? 'user' : 'event' } : null);
  };
  property.addEventListener('change', apply);
  scope.addEventListener('change', apply);
  return h('div', { class: 'chart-row' }, h('label', {}, 'Group by ', property, ' ', scope));
}

/**
 * Rows of property conditions (the replay search's operators and missing-value rule). A row
 * counts once it names a property (and has values where its operator needs them); the rows
 * being typed stay on screen meanwhile.
 */
function filterRows(filters: PropertySpec[], set: (filters: PropertySpec[]) => void, testId: string, what: string): HTMLElement {
  const list: PropertySpec[] = filters.map((f) => ({ ...f }));
  const box = h('div', { class: 'chart-filters' });
  const complete = (f: PropertySpec): boolean => f.property !== '' && (valueCount(f.op) === 0 || (f.values ?? []).length > 0);
  const report = (): void => set(list.filter(complete));
  const render = (): void => {
    box.replaceChildren();
    list.forEach((f, i) => {
      const values = h('input', { type: 'text', value: (f.values ?? []).map(String).join(', '), placeholder: 'values, comma-separated', 'data-testid': `${testId}-${i}-values`, hidden: valueCount(f.op) === 0 });
      values.addEventListener('change', () => {
        f.values = values.value.split(',').map((s) => s.trim()).filter(Boolean);
        report();
      });
      box.append(h('div', { class: 'chart-filter' },
        h('input', { type: 'text', value: f.property, placeholder: what, 'data-testid': `${testId}-${i}-property`, onchange: (ev: Event) => { f.property = (ev.target as HTMLInputElement).value.trim(); report(); } }),
        h('select', { 'data-testid': `${testId}-${i}-op`, onchange: (ev: Event) => {
          f.op = (ev.target as HTMLSelectElement).value as Operator;
          if (valueCount(f.op) === 0) f.values = [];
          values.hidden = valueCount(f.op) === 0;
          report();
        } }, ...PROPERTY_OPERATORS.map((op) => h('option', { value: op, selected: op === f.op }, OPERATOR_LABELS[op]))),
        values,
        h('button', { type: 'button', class: 'button button-quiet button-small', 'aria-label': 'Remove condition', onclick: () => { list.splice(i, 1); render(); report(); } }, '×')));
    });
    box.append(h('button', { type: 'button', class: 'button button-quiet button-small', 'data-testid': `${testId}-add`, onclick: () => { list.push({ property: '', op: 'is', values: [] }); render(); } }, `+ ${what}`));
  };
  render();
  return box;
}
