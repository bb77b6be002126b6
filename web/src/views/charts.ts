// /charts — build a chart (Event Segmentation, Funnel Analysis, User Sessions, Journeys,
// Experiment), see it as a line, bars or a table, click any data point for the sessions behind
// it (the Microscope). The whole chart is in the URL: copying the address shares it.

import { ApiError, getCatalog, getMe, type Project } from '../api';
import { runChart, type ChartSpec } from '../analytics-api';
import { chartEditor } from '../chart-editor';
import { renderAnswer } from '../chart-render';
import { CHART_KINDS, CHART_PRESETS, CHART_VIEWS, defaultChart, isComplete, resolved, stateFromUrl, urlOf, type ChartState } from '../chart-state';
import { copyText, h, replaceChildren } from '../dom';
import { notice, renderShell, selectedProject } from '../layout';
import type { ViewContext } from '../router';
import { dayInZone } from '../search-state';
import { addToBoard } from '../add-to-board';
import { openMicroscope } from './microscope';

/** What decides the editor's layout: a change here redraws it. */
function shape(chart: ChartSpec): string {
  const c = chart as Record<string, unknown>;
  return JSON.stringify([chart.kind, (c.events as unknown[] | undefined)?.length, (c.steps as unknown[] | undefined)?.length, c.measure, c.view, !!c.end_event, (c.user_filters as unknown[] | undefined)?.length]);
}

export function chartsView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'charts');
  let state: ChartState = stateFromUrl(url);
  const tabs = h('div', { class: 'segmented', role: 'tablist' });
  const editorHost = h('div', {});
  const rangeBox = h('div', { class: 'chart-row range-controls' });
  const viewBox = h('div', { class: 'segmented' });
  const result = h('div', { class: 'chart-result', 'data-testid': 'chart-result' });
  const microscopeHost = h('div', {});
  const share = h('button', { type: 'button', class: 'button', 'data-testid': 'share-chart' }, 'Copy link');
  const shared = h('input', { type: 'text', class: 'copied-link', readonly: true, hidden: true, 'data-testid': 'shared-link', 'aria-label': 'Link to this chart' });
  const save = h('button', { type: 'button', class: 'button', 'data-testid': 'add-chart-to-board' }, 'Add to dashboard');
  main.append(h('div', { class: 'page chart-page' },
    h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, 'Charts'), h('div', { class: 'chart-row' }, share, save)),
    shared, tabs, editorHost, rangeBox, viewBox, result, microscopeHost));

  let project: Project | undefined;
  let eventNames: string[] = [];
  let run = new AbortController();
  signal.addEventListener('abort', () => run.abort());

  const today = (): string => dayInZone(new Date(), project?.timezone ?? 'UTC');

  const setState = (next: ChartState, redrawEditor: boolean): void => {
    state = next;
    const address = urlOf(state) + (project && url.searchParams.get('project') ? `&project=${project.id}` : '');
    history.replaceState(null, '', address);
    if (redrawEditor) drawEditor();
    drawControls();
    void draw();
  };

  const drawTabs = (): void => {
    replaceChildren(tabs, ...CHART_KINDS.map(({ kind, label }) => h('button', {
      type: 'button', role: 'tab', class: `segment${state.chart.kind === kind ? ' active' : ''}`, 'aria-selected': state.chart.kind === kind, 'data-testid': `kind-${kind}`,
      onclick: () => { if (state.chart.kind !== kind) { setState({ ...state, chart: defaultChart(kind) }, true); drawTabs(); } },
    }, label)));
  };

  const drawEditor = (): void => {
    // The editor owns what it shows; the dates are the range controls'.
    replaceChildren(editorHost, chartEditor(state.chart, eventNames, (edited) => {
      const chart = { ...edited, start: state.chart.start, end: state.chart.end } as ChartSpec;
      if (!chart.start) delete chart.start;
      if (!chart.end) delete chart.end;
      setState({ ...state, chart }, shape(chart) !== shape(state.chart));
    }));
  };

  const drawControls = (): void => {
    const range = resolved(state, today());
    const start = h('input', { type: 'date', value: range.start ?? '', 'data-testid': 'chart-start' });
    const end = h('input', { type: 'date', value: range.end ?? '', 'data-testid': 'chart-end' });
    const custom = (): void => {
      if (start.value && end.value) setState({ ...state, range: null, chart: { ...state.chart, start: start.value, end: end.value } }, false);
    };
    start.addEventListener('change', custom);
    end.addEventListener('change', custom);
    replaceChildren(rangeBox,
      ...CHART_PRESETS.map((p) => h('button', { type: 'button', class: `button button-small${state.range === p ? ' button-primary' : ''}`, 'data-testid': `range-${p}`,
        onclick: () => setState({ ...state, range: p }, false) }, `Last ${Number.parseInt(p, 10)} days`)),
      h('label', {}, 'From ', start), h('label', {}, 'to ', end),
      h('span', { class: 'muted timezone' }, project?.timezone ?? ''));
    const drawn = state.chart.kind === 'segmentation' || state.chart.kind === 'sessions';
    replaceChildren(viewBox, ...(drawn ? CHART_VIEWS : []).map((v) => h('button', { type: 'button', class: `segment${state.view === v ? ' active' : ''}`, 'data-testid': `view-${v}`,
      onclick: () => setState({ ...state, view: v }, false) }, v[0]?.toUpperCase() + v.slice(1))));
  };

  const draw = async (): Promise<void> => {
    run.abort();
    run = new AbortController();
    microscopeHost.replaceChildren();
    if (!isComplete(state.chart)) {
      replaceChildren(result, notice('info', 'Name the events', 'Pick an event for each step of the chart; it runs as soon as it has them.', 'chart-incomplete'));
      return;
    }
    replaceChildren(result, notice('loading', 'Counting…', undefined, 'chart-loading'));
    const chart = resolved(state, today());
    try {
      const answer = await runChart(project?.id, chart, run.signal);
      replaceChildren(result, renderAnswer(answer, state.view, (point, label) =>
        openMicroscope(microscopeHost, project?.id, chart, point, label, project?.timezone ?? 'UTC')));
    } catch (err) {
      if (run.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(result, notice('error', 'The chart could not be drawn', err instanceof Error ? err.message : String(err), 'chart-error'));
    }
  };

  share.addEventListener('click', async () => {
    const link = new URL(urlOf(state), location.origin).href;
    shared.value = link;
    shared.hidden = false;
    await copyText(link);
    share.textContent = 'Link copied';
  });
  save.addEventListener('click', () => void addToBoard(project?.id, { type: 'chart', chart: state.range ? { ...state.chart, start: null, end: null } as ChartSpec : state.chart }));

  void (async () => {
    try {
      const me = await getMe();
      project = selectedProject(me, url);
      eventNames = (await getCatalog(project?.id, signal).catch(() => ({ event_names: [] as string[] }))).event_names;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
    }
    if (signal.aborted) return;
    drawTabs();
    drawEditor();
    drawControls();
    void draw();
  })();
}
