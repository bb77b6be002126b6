// "+ Add filter": a panel that builds one filter (the API's FilterSpec) — the field, then what
// that field takes: an operator and values, an event with property conditions, a sequence of
// events, a cohort, a clicked element by selector or text.

import type { Catalog, ClickSignal, Cohort, FilterField, FilterSpec, Operator, PropertySpec, ScalarValue } from '../api';
import { h, replaceChildren } from '../dom';
import { FIELDS, OPERATORS, OPERATOR_LABELS, type FieldKind, fieldInfo, valueCount } from '../search-state';

export interface EditorContext {
  catalog: Catalog;
  cohorts: Cohort[];
}

let datalistSeq = 0;

/** The editor; `onApply` gets the filter built, `onCancel` closes it. */
export function filterEditor(
  initial: FilterSpec | null,
  context: EditorContext,
  onApply: (filter: FilterSpec) => void,
  onCancel: () => void,
): HTMLElement {
  const id = ++datalistSeq;
  const eventList = `event-names-${id}`;
  const propertyList = `user-properties-${id}`;
  const fieldSelect = h('select', { 'aria-label': 'Filter on', 'data-testid': 'filter-field' });
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const info of FIELDS) {
    let group = groups.get(info.group);
    if (!group) {
      group = h('optgroup', { label: info.group });
      groups.set(info.group, group);
      fieldSelect.append(group);
    }
    group.append(h('option', { value: info.field }, info.label));
  }
  fieldSelect.value = initial?.field ?? 'event';
  const body = h('div', { class: 'filter-editor-body' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  let build: () => FilterSpec | string = () => 'choose a field';

  const render = (): void => {
    const field = fieldSelect.value as FilterField;
    const start = initial && initial.field === field ? initial : null;
    const kind = fieldInfo(field).kind;
    build = fieldForm(kind, field, start, context, body, { eventList, propertyList });
  };
  fieldSelect.addEventListener('change', () => {
    error.hidden = true;
    render();
  });
  render();

  const apply = (event: Event): void => {
    event.preventDefault();
    const built = build();
    if (typeof built === 'string') {
      error.textContent = built;
      error.hidden = false;
      return;
    }
    onApply(built);
  };
  return h(
    'form',
    { class: 'filter-editor', 'data-testid': 'filter-editor', onsubmit: apply },
    h('div', { class: 'filter-editor-row' }, fieldSelect, body),
    h('datalist', { id: eventList }, ...context.catalog.event_names.map((n) => h('option', { value: n }))),
    h('datalist', { id: propertyList }, ...context.catalog.user_properties.map((n) => h('option', { value: n }))),
    error,
    h(
      'div',
      { class: 'filter-editor-actions' },
      h('button', { type: 'submit', class: 'button button-primary button-small', 'data-testid': 'filter-apply' }, initial ? 'Update filter' : 'Add filter'),
      h('button', { type: 'button', class: 'button button-quiet button-small', onclick: onCancel }, 'Cancel'),
    ),
  );
}

interface Lists {
  eventList: string;
  propertyList: string;
}

/** Fills `body` with the inputs a kind of field takes; returns how to read them. */
function fieldForm(
  kind: FieldKind,
  field: FilterField,
  start: FilterSpec | null,
  context: EditorContext,
  body: HTMLElement,
  lists: Lists,
): () => FilterSpec | string {
  switch (kind) {
    case 'event': {
      const name = h('input', { type: 'text', placeholder: 'Event name', list: lists.eventList, value: start?.name ?? '', 'aria-label': 'Event name', 'data-testid': 'filter-event' });
      const count = h('input', { type: 'number', min: 1, value: String(start?.min_count ?? 1), class: 'input-narrow', 'aria-label': 'At least this many times' });
      const negate = checkbox('Did not perform it', start?.negate ?? false);
      const where = propertyRows(start?.where ?? []);
      replaceChildren(body, name, h('span', { class: 'muted' }, 'at least'), count, h('span', { class: 'muted' }, 'times'), negate.label, where.element);
      return () => {
        if (!name.value.trim()) return 'name the event';
        const conditions = where.read();
        if (typeof conditions === 'string') return conditions;
        const spec: FilterSpec = { field, name: name.value.trim() };
        if (conditions.length) spec.where = conditions;
        const n = Number.parseInt(count.value, 10);
        if (n > 1) spec.min_count = n;
        if (negate.input.checked) spec.negate = true;
        return spec;
      };
    }
    case 'sequence': {
      const steps = (start?.steps?.map((s) => s.name) ?? ['', '']).map((value, i) =>
        h('input', { type: 'text', placeholder: i === 0 ? 'First event' : 'Then', list: lists.eventList, value, 'aria-label': `Step ${i + 1}` }),
      );
      const holder = h('span', { class: 'filter-steps' });
      const redraw = (): void => replaceChildren(holder, ...steps.flatMap((s, i) => (i ? [h('span', { class: 'muted' }, 'then'), s] : [s])));
      redraw();
      const more = h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => {
        if (steps.length >= 5) return;
        steps.push(h('input', { type: 'text', placeholder: 'Then', list: lists.eventList, 'aria-label': `Step ${steps.length + 1}` }));
        redraw();
      } }, '+ step');
      const negate = checkbox('Did not do this', start?.negate ?? false);
      replaceChildren(body, holder, more, negate.label);
      return () => {
        const names = steps.map((s) => s.value.trim()).filter(Boolean);
        if (names.length < 2) return 'name at least two events';
        const spec: FilterSpec = { field, steps: names.map((name) => ({ name })) };
        if (negate.input.checked) spec.negate = true;
        return spec;
      };
    }
    case 'cohort': {
      if (context.cohorts.length === 0) {
        replaceChildren(body, h('span', { class: 'muted' }, 'No cohorts yet: '), h('a', { href: '/cohorts' }, 'create one'));
        return () => 'there is no cohort to choose';
      }
      const op = select(['is', 'is_not'], start?.op ?? 'is', (o) => (o === 'is' ? 'in' : 'not in'));
      const cohort = h('select', { 'aria-label': 'Cohort' }, ...context.cohorts.map((c) => h('option', { value: String(c.id) }, c.name)));
      if (start?.cohort) cohort.value = String(start.cohort);
      replaceChildren(body, op, cohort);
      return () => ({ field, op: op.value as Operator, cohort: Number(cohort.value) });
    }
    case 'element': {
      const by = h('select', { 'aria-label': 'Find the element by', 'data-testid': 'filter-element-by' },
        h('option', { value: 'selector' }, 'CSS selector'), h('option', { value: 'text' }, 'text'));
      by.value = start && !start.selector ? 'text' : 'selector';
      const op = select(OPERATORS.element, start?.op ?? 'contains');
      const value = h('input', { type: 'text', 'aria-label': 'Selector or text', 'data-testid': 'filter-value',
        value: start?.selector ?? (start?.values ?? []).map(String).join(', ') });
      const signal = h('select', { 'aria-label': 'Which clicks' },
        ...(['click', 'rage', 'dead', 'error'] as const).map((s) => h('option', { value: s }, s === 'click' ? 'any click' : `${s} click`)));
      signal.value = start?.signal ?? 'click';
      const negate = checkbox('Never clicked', start?.negate ?? false);
      const redraw = (): void => {
        op.hidden = by.value === 'selector';
        value.placeholder = by.value === 'selector' ? 'button.checkout' : 'Pay now';
      };
      by.addEventListener('change', redraw);
      redraw();
      replaceChildren(body, signal, h('span', { class: 'muted' }, 'on'), by, op, value, negate.label);
      return () => {
        const text = value.value.trim();
        if (!text) return by.value === 'selector' ? 'write a CSS selector' : 'write the element’s text';
        const spec: FilterSpec = { field };
        if (by.value === 'selector') spec.selector = text;
        else {
          spec.op = op.value as Operator;
          spec.values = valueCount(spec.op) === 'many' ? splitList(text) : [text];
        }
        if (signal.value !== 'click') spec.signal = signal.value as ClickSignal;
        if (negate.input.checked) spec.negate = true;
        return spec;
      };
    }
    default: {
      const property = kind === 'user_property'
        ? h('input', { type: 'text', placeholder: 'Property', list: lists.propertyList, value: start?.property ?? '', 'aria-label': 'User property' })
        : null;
      const ops = OPERATORS[kind];
      const op = select(ops, start?.op && ops.includes(start.op) ? start.op : (ops[0] ?? 'is'));
      const values = valueInputs(kind, start?.values ?? []);
      const redraw = (): void => values.show(op.value as Operator);
      op.addEventListener('change', redraw);
      redraw();
      replaceChildren(body, ...(property ? [property] : []), op, values.element);
      return () => {
        if (property && !property.value.trim()) return 'name the property';
        const operator = op.value as Operator;
        const read = values.read(operator);
        if (typeof read === 'string') return read;
        const spec: FilterSpec = { field, op: operator };
        if (read.length) spec.values = read;
        if (property) spec.property = property.value.trim();
        return spec;
      };
    }
  }
}

function select(ops: readonly Operator[], value: Operator, label: (op: Operator) => string = (o) => OPERATOR_LABELS[o]): HTMLSelectElement {
  const el = h('select', { 'aria-label': 'Operator', 'data-testid': 'filter-op' }, ...ops.map((o) => h('option', { value: o }, label(o))));
  el.value = value;
  return el;
}

function checkbox(text: string, checked: boolean): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', checked });
  return { input, label: h('label', { class: 'toggle' }, input, text) };
}

function splitList(text: string): ScalarValue[] {
  return text.split(',').map((v) => v.trim()).filter(Boolean);
}

/** Value inputs for an operator: none, one, two (between) or a comma-separated list. */
function valueInputs(kind: FieldKind, initial: ScalarValue[]) {
  const numeric = kind === 'number' || kind === 'duration';
  const scale = kind === 'duration' ? 1000 : 1;
  const shown = initial.map((v) => (numeric && typeof v === 'number' ? String(v / scale) : String(v)));
  const first = h('input', { type: 'text', 'aria-label': 'Value', 'data-testid': 'filter-value', value: shown.join(', ') });
  const second = h('input', { type: 'text', 'aria-label': 'Highest value', value: shown[1] ?? '' });
  const unit = h('span', { class: 'muted' }, kind === 'duration' ? 'seconds' : '');
  const and = h('span', { class: 'muted' }, 'and');
  const element = h('span', { class: 'filter-values' }, first, and, second, unit);
  const number = (text: string): number | string => {
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(n) ? n * scale : `${JSON.stringify(text)} is not a number`;
  };
  return {
    element,
    show(op: Operator): void {
      const count = valueCount(op);
      first.hidden = count === 0;
      and.hidden = second.hidden = count !== 2;
      unit.hidden = count === 0 || kind !== 'duration';
      if (count === 2) first.value = first.value.split(',')[0]?.trim() ?? '';
      first.placeholder = count === 'many' ? 'one, or several with commas' : '';
    },
    read(op: Operator): ScalarValue[] | string {
      const count = valueCount(op);
      if (count === 0) return [];
      const texts = count === 2 ? [first.value, second.value] : count === 'many' ? first.value.split(',') : [first.value];
      const trimmed = texts.map((t) => t.trim());
      if (trimmed.some((t) => t === '')) return 'fill in the value';
      if (!numeric) return trimmed;
      const numbers = trimmed.map(number);
      const bad = numbers.find((n) => typeof n === 'string');
      return typeof bad === 'string' ? bad : (numbers as number[]);
    },
  };
}

/** Property conditions of an event: rows of property, operator, value. */
function propertyRows(initial: PropertySpec[]) {
  const rows: Array<{ property: HTMLInputElement; op: HTMLSelectElement; value: HTMLInputElement; row: HTMLElement }> = [];
  const list = h('div', { class: 'filter-where' });
  const add = (spec?: PropertySpec): void => {
    const property = h('input', { type: 'text', placeholder: 'property', 'aria-label': 'Event property', value: spec?.property ?? '' });
    const op = select(OPERATORS.user_property, spec?.op ?? 'is');
    const value = h('input', { type: 'text', placeholder: 'value', 'aria-label': 'Property value', value: (spec?.values ?? []).map(String).join(', ') });
    const entry = { property, op, value, row: h('div', { class: 'filter-where-row' }) };
    const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Remove condition', onclick: () => {
      rows.splice(rows.indexOf(entry), 1);
      entry.row.remove();
    } }, '×');
    entry.row.append(h('span', { class: 'muted' }, 'where'), property, op, value, remove);
    rows.push(entry);
    list.append(entry.row);
  };
  initial.forEach(add);
  const element = h('div', { class: 'filter-where-block' }, list,
    h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => add() }, '+ where'));
  return {
    element,
    read(): PropertySpec[] | string {
      const out: PropertySpec[] = [];
      for (const { property, op, value } of rows) {
        if (!property.value.trim()) continue;
        const operator = op.value as Operator;
        const count = valueCount(operator);
        const values = count === 0 ? [] : count === 'many' ? splitList(value.value) : value.value.split(/\s+and\s+|,/).map((v) => v.trim()).filter(Boolean);
        if (count !== 0 && values.length === 0) return `give a value for ${property.value.trim()}`;
        const spec: PropertySpec = { property: property.value.trim(), op: operator };
        if (values.length) spec.values = values.map((v) => (typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) && (count === 1 || count === 2) ? Number(v) : v));
        out.push(spec);
      }
      return out;
    },
  };
}
