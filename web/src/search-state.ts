// The replay search as the page URL holds it, so a search is shared by copying the address:
//
//   /replays?range=7d&q=payment&f={"field":"country","op":"is","values":["DE"]}&sort=duration&order=asc
//
// `range` is a preset (today, 1d, 7d, 30d, 90d: days up to today in the project's timezone) or
// `start`/`end` are days (YYYY-MM-DD, both included); each `f` is one filter in the API's JSON
// form (FilterSpec). Pure: no DOM, no fetch.

import type { Cohort, FilterField, FilterSpec, Operator, RangePreset, SavedSearchSpec, ScalarValue, SearchRequest, SortField, SortOrder } from './api';

export const RANGE_PRESETS: readonly RangePreset[] = ['today', '1d', '7d', '30d', '90d'];
export const DEFAULT_PRESET: RangePreset = '30d';
export const SORT_FIELDS: readonly SortField[] = ['start_time', 'duration', 'active_time', 'errors'];

export interface SearchState {
  /** A preset, or null with `start`/`end` days. */
  range: RangePreset | null;
  start: string | null;
  end: string | null;
  q: string;
  filters: FilterSpec[];
  sort: SortField;
  order: SortOrder;
}

export function defaultState(): SearchState {
  return { range: DEFAULT_PRESET, start: null, end: null, q: '', filters: [], sort: 'start_time', order: 'desc' };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads the search from a URL; what cannot be read is left out (never an error page). */
export function stateFromUrl(url: URL): SearchState {
  const p = url.searchParams;
  const state = defaultState();
  const start = p.get('start');
  const end = p.get('end');
  const range = p.get('range');
  if (start && end && DAY.test(start) && DAY.test(end)) {
    state.range = null;
    [state.start, state.end] = start <= end ? [start, end] : [end, start];
  } else if (range && (RANGE_PRESETS as readonly string[]).includes(range)) {
    state.range = range as RangePreset;
  }
  state.q = (p.get('q') ?? '').trim();
  state.filters = p.getAll('f').flatMap((text) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return isFilter(parsed) ? [parsed] : [];
    } catch {
      return [];
    }
  });
  const sort = p.get('sort');
  if (sort && (SORT_FIELDS as readonly string[]).includes(sort)) state.sort = sort as SortField;
  if (p.get('order') === 'asc') state.order = 'asc';
  return state;
}

function isFilter(value: unknown): value is FilterSpec {
  return typeof value === 'object' && value !== null && typeof (value as { field?: unknown }).field === 'string';
}

/** The URL of a search, keeping other parameters of `base` (the project). */
export function urlOf(base: URL, state: SearchState): string {
  const params = new URLSearchParams();
  const project = base.searchParams.get('project');
  if (project) params.set('project', project);
  if (state.range === null && state.start && state.end) {
    params.set('start', state.start);
    params.set('end', state.end);
  } else if (state.range && state.range !== DEFAULT_PRESET) {
    params.set('range', state.range);
  }
  if (state.q.trim()) params.set('q', state.q.trim());
  for (const f of state.filters) params.append('f', JSON.stringify(f));
  if (state.sort !== 'start_time') params.set('sort', state.sort);
  if (state.order !== 'desc') params.set('order', state.order);
  const query = params.toString();
  return `${base.pathname}${query ? `?${query}` : ''}`;
}

/** Today in a timezone, as YYYY-MM-DD. */
export function dayInZone(now: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/** A YYYY-MM-DD day moved by `n` days (calendar arithmetic, no timezone involved). */
export function addDaysToDay(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) + n * 86_400_000);
  return date.toISOString().slice(0, 10);
}

/** The days a search covers (both included), given today in the project's timezone. */
export function resolveRange(state: SearchState, today: string): { start: string; end: string } {
  if (state.range === null && state.start && state.end) return { start: state.start, end: state.end };
  return presetRange(state.range ?? DEFAULT_PRESET, today);
}

export function presetRange(preset: RangePreset, today: string): { start: string; end: string } {
  const days = preset === 'today' ? 0 : Number.parseInt(preset, 10);
  return { start: addDaysToDay(today, -days), end: today };
}

/** The API request for a page of the search (dates are the project's days: the server reads them so). */
export function toSearchRequest(state: SearchState, today: string): SearchRequest {
  const { start, end } = resolveRange(state, today);
  const request: SearchRequest = { start, end, sort: state.sort, order: state.order };
  if (state.q.trim()) request.q = state.q.trim();
  if (state.filters.length) request.filters = state.filters;
  return request;
}

export function toSavedSpec(state: SearchState): SavedSearchSpec {
  const spec: SavedSearchSpec = {};
  if (state.range === null && state.start && state.end) {
    spec.start = state.start;
    spec.end = state.end;
  } else {
    spec.range = state.range ?? DEFAULT_PRESET;
  }
  if (state.q.trim()) spec.q = state.q.trim();
  if (state.filters.length) spec.filters = state.filters;
  if (state.sort !== 'start_time') spec.sort = state.sort;
  if (state.order !== 'desc') spec.order = state.order;
  return spec;
}

export function fromSavedSpec(spec: SavedSearchSpec): SearchState {
  const state = defaultState();
  if (spec.start && spec.end) {
    state.range = null;
    state.start = spec.start;
    state.end = spec.end;
  } else if (spec.range) {
    state.range = spec.range;
  }
  state.q = spec.q ?? '';
  state.filters = spec.filters ?? [];
  state.sort = spec.sort ?? 'start_time';
  state.order = spec.order ?? 'desc';
  return state;
}

/** How a field is filtered in the UI. */
export type FieldKind = 'event' | 'sequence' | 'user_property' | 'cohort' | 'number' | 'duration' | 'text' | 'url' | 'element' | 'console';

export interface FieldInfo {
  field: FilterField;
  label: string;
  group: string;
  kind: FieldKind;
}

export const FIELDS: readonly FieldInfo[] = [
  { field: 'event', label: 'Performed event', group: 'Events', kind: 'event' },
  { field: 'sequence', label: 'Performed events in order', group: 'Events', kind: 'sequence' },
  { field: 'user_id', label: 'User id', group: 'Users', kind: 'text' },
  { field: 'user_property', label: 'User property', group: 'Users', kind: 'user_property' },
  { field: 'cohort', label: 'Cohort', group: 'Users', kind: 'cohort' },
  { field: 'duration_ms', label: 'Duration', group: 'Session', kind: 'duration' },
  { field: 'active_ms', label: 'Active time', group: 'Session', kind: 'duration' },
  { field: 'click_count', label: 'Clicks', group: 'Session', kind: 'number' },
  { field: 'page_view_count', label: 'Page views', group: 'Session', kind: 'number' },
  { field: 'error_count', label: 'Errors (console + network)', group: 'Errors', kind: 'number' },
  { field: 'console_error_count', label: 'Console errors', group: 'Errors', kind: 'number' },
  { field: 'network_error_count', label: 'Network errors', group: 'Errors', kind: 'number' },
  { field: 'runtime_error_count', label: 'Runtime errors', group: 'Errors', kind: 'number' },
  { field: 'rage_click_count', label: 'Rage clicks', group: 'Frustration', kind: 'number' },
  { field: 'dead_click_count', label: 'Dead clicks', group: 'Frustration', kind: 'number' },
  { field: 'error_click_count', label: 'Error clicks', group: 'Frustration', kind: 'number' },
  { field: 'url', label: 'Visited URL', group: 'Pages and elements', kind: 'url' },
  { field: 'clicked_element', label: 'Clicked element', group: 'Pages and elements', kind: 'element' },
  { field: 'console_message', label: 'Console message', group: 'Pages and elements', kind: 'console' },
  { field: 'browser', label: 'Browser', group: 'Technology', kind: 'text' },
  { field: 'os', label: 'OS', group: 'Technology', kind: 'text' },
  { field: 'device', label: 'Device', group: 'Technology', kind: 'text' },
  { field: 'country', label: 'Country', group: 'Technology', kind: 'text' },
  { field: 'viewport_width', label: 'Viewport width', group: 'Technology', kind: 'number' },
  { field: 'viewport_height', label: 'Viewport height', group: 'Technology', kind: 'number' },
  { field: 'keypress_count', label: 'Key presses', group: 'Session', kind: 'number' },
];

export function fieldInfo(field: FilterField): FieldInfo {
  return FIELDS.find((f) => f.field === field) ?? { field, label: field, group: '', kind: 'text' };
}

/** The operators each kind of field takes, in the order the UI offers them. */
export const OPERATORS: Record<FieldKind, readonly Operator[]> = {
  event: [],
  sequence: [],
  cohort: ['is', 'is_not'],
  number: ['greater_than', 'less_than', 'between', 'is', 'is_not', 'exists', 'does_not_exist'],
  duration: ['greater_than', 'less_than', 'between'],
  text: ['is', 'is_not', 'contains', 'does_not_contain', 'exists', 'does_not_exist'],
  url: ['contains', 'does_not_contain', 'is', 'is_not', 'starts_with', 'glob', 'exists', 'does_not_exist'],
  user_property: ['is', 'is_not', 'contains', 'does_not_contain', 'greater_than', 'less_than', 'between', 'exists', 'does_not_exist'],
  element: ['is', 'is_not', 'contains', 'does_not_contain'],
  console: ['contains', 'does_not_contain', 'is', 'is_not', 'exists', 'does_not_exist'],
};

export const OPERATOR_LABELS: Record<Operator, string> = {
  is: 'is',
  is_not: 'is not',
  contains: 'contains',
  does_not_contain: 'does not contain',
  starts_with: 'starts with',
  glob: 'matches',
  exists: 'is set',
  does_not_exist: 'is not set',
  greater_than: 'more than',
  less_than: 'less than',
  between: 'between',
};

/** How many values an operator takes: 0, 1, 2 or many. */
export function valueCount(op: Operator): 0 | 1 | 2 | 'many' {
  if (op === 'exists' || op === 'does_not_exist') return 0;
  if (op === 'between') return 2;
  if (op === 'is' || op === 'is_not') return 'many';
  return 1;
}

function show(value: ScalarValue): string {
  return typeof value === 'string' ? value : String(value);
}

function showValues(kind: FieldKind, values: ScalarValue[] | undefined): string {
  const list = values ?? [];
  if (kind === 'duration') return list.map((v) => `${Number(v) / 1000} s`).join(' and ');
  return list.map(show).join(', ');
}

function condition(kind: FieldKind, op: Operator | null | undefined, values: ScalarValue[] | undefined): string {
  if (!op) return '';
  const label = OPERATOR_LABELS[op];
  if (valueCount(op) === 0) return label;
  if (op === 'between') return `${label} ${showValues(kind, values).replace(', ', ' and ')}`;
  return `${label} ${showValues(kind, values)}`;
}

/** A filter in words, for its chip: "Country is not DE", "Performed Purchase (plan is pro) 2+ times". */
export function describeFilter(f: FilterSpec, cohorts: readonly Cohort[] = []): string {
  const info = fieldInfo(f.field);
  const not = f.negate ? 'not: ' : '';
  switch (info.kind) {
    case 'event': {
      const where = (f.where ?? []).map((w) => `${w.property} ${condition('user_property', w.op, w.values)}`);
      const count = f.min_count && f.min_count > 1 ? ` ${f.min_count}+ times` : '';
      const verb = f.negate ? 'Did not perform' : 'Performed';
      return `${verb} ${f.name ?? '?'}${where.length ? ` (${where.join(', ')})` : ''}${count}`;
    }
    case 'sequence':
      return `${f.negate ? 'Did not perform ' : ''}${(f.steps ?? []).map((s) => s.name).join(' → ')}`;
    case 'cohort': {
      const name = cohorts.find((c) => c.id === f.cohort)?.name ?? `cohort ${f.cohort ?? '?'}`;
      const out = (f.op === 'is_not') !== (f.negate ?? false);
      return `${out ? 'Not in' : 'In'} ${name}`;
    }
    case 'user_property':
      return `${not}User ${f.property ?? '?'} ${condition(info.kind, f.op, f.values)}`;
    case 'element': {
      const signal = f.signal && f.signal !== 'click' ? `${f.signal}-clicked` : 'Clicked';
      const what = f.selector ? f.selector : `element ${condition(info.kind, f.op, f.values)}`;
      return `${f.negate ? 'Never ' : ''}${f.negate ? signal.toLowerCase() : signal} ${what}`;
    }
    default:
      return `${not}${info.label} ${condition(info.kind, f.op, f.values)}`;
  }
}
