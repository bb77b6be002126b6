// A chart as the page URL holds it, so a chart is shared by copying the address:
//
//   /charts?chart={"kind":"funnel","steps":[{"event_type":"View"},…]}&range=30d&view=bar
//
// `chart` is the whole definition in the API's JSON form (ChartSpec: what POST /charts/{kind}
// takes, with its kind); `range` a preset (7d, 30d, 90d: days up to today in the project's
// timezone) that replaces the chart's own `start`/`end` when the page opens; `view` how
// segmentation and sessions are drawn. Pure: no DOM, no fetch.

import type { ChartKind, ChartSpec } from './analytics-api';
import { addDaysToDay } from './search-state';

export type ChartView = 'line' | 'bar' | 'table';
export const CHART_VIEWS: readonly ChartView[] = ['line', 'bar', 'table'];
export const CHART_PRESETS = ['7d', '30d', '90d'] as const;
export type ChartPreset = (typeof CHART_PRESETS)[number];

export interface ChartState {
  chart: ChartSpec;
  /** A preset, or null when the chart's own start and end hold. */
  range: ChartPreset | null;
  view: ChartView;
}

export const CHART_KINDS: readonly { kind: ChartKind; label: string }[] = [
  { kind: 'segmentation', label: 'Event Segmentation' },
  { kind: 'funnel', label: 'Funnel Analysis' },
  { kind: 'sessions', label: 'User Sessions' },
  { kind: 'journeys', label: 'Journeys' },
  { kind: 'experiment', label: 'Experiment' },
];

/** A new chart of a kind, as the page starts it. */
export function defaultChart(kind: ChartKind): ChartSpec {
  switch (kind) {
    case 'segmentation':
      return { kind, events: [{ event_type: '' }], measure: 'uniques', interval: 'day' };
    case 'funnel':
      return { kind, steps: [{ event_type: '' }, { event_type: '' }], order: 'this', conversion_window_ms: 86_400_000 };
    case 'sessions':
      return { kind, interval: 'day' };
    case 'journeys':
      return { kind, view: 'pathfinder', start_event: { event_type: '' }, steps: 5, window_ms: 3_600_000, collapse_repeats: true };
    case 'experiment':
      return { kind, goal: { event_type: '' } };
  }
}

export function stateFromUrl(url: URL): ChartState {
  const p = url.searchParams;
  let chart: ChartSpec | null = null;
  const text = p.get('chart');
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isChart(parsed)) chart = parsed;
    } catch {
      // An unreadable chart in a hand-edited URL: start a new one.
    }
  }
  const kind = p.get('kind');
  chart ??= defaultChart(CHART_KINDS.some((k) => k.kind === kind) ? (kind as ChartKind) : 'segmentation');
  const range = p.get('range');
  const view = p.get('view');
  return {
    chart,
    range: (CHART_PRESETS as readonly string[]).includes(range ?? '') ? (range as ChartPreset) : chart.start ? null : '30d',
    view: (CHART_VIEWS as readonly string[]).includes(view ?? '') ? (view as ChartView) : 'line',
  };
}

export function urlOf(state: ChartState): string {
  const params = new URLSearchParams({ chart: JSON.stringify(withoutRange(state)) });
  if (state.range) params.set('range', state.range);
  if (state.view !== 'line') params.set('view', state.view);
  return `/charts?${params}`;
}

/** The chart without its dates when a preset stands for them. */
function withoutRange(state: ChartState): ChartSpec {
  if (!state.range) return state.chart;
  const { start: _start, end: _end, ...rest } = state.chart;
  return rest as ChartSpec;
}

/** The chart to run: a preset's days filled in, given today in the project's timezone. */
export function resolved(state: ChartState, today: string): ChartSpec {
  if (!state.range) return state.chart;
  const days = Number.parseInt(state.range, 10);
  return { ...state.chart, start: addDaysToDay(today, -days + 1), end: today };
}

/** Whether a chart has what it needs to run (named events everywhere). */
export function isComplete(chart: ChartSpec): boolean {
  const named = (e: { event_type: string } | null | undefined): boolean => !!e && e.event_type.trim() !== '';
  switch (chart.kind) {
    case 'segmentation':
      return chart.events.length > 0 && chart.events.every(named) && (chart.measure !== 'property' || !!chart.property?.property);
    case 'funnel':
      return chart.steps.length >= 2 && chart.steps.every(named);
    case 'sessions':
      return true;
    case 'journeys':
      return chart.view === 'journey_map' || named(chart.start_event) || named(chart.end_event);
    case 'experiment':
      return named(chart.goal);
  }
}

function isChart(value: unknown): value is ChartSpec {
  return typeof value === 'object' && value !== null && CHART_KINDS.some((k) => k.kind === (value as { kind?: unknown }).kind);
}
