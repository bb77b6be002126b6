// A chart as the URL holds it: read, written, its preset's days filled in, ready to run or not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChartSpec } from '../src/analytics-api';
import { defaultChart, isComplete, resolved, stateFromUrl, urlOf } from '../src/chart-state';

const base = (path: string): URL => new URL(path, 'http://reel.test');
const funnel: ChartSpec = { kind: 'funnel', steps: [{ event_type: 'View' }, { event_type: 'Checkout' }], order: 'any' };

test('a chart survives the round trip through its URL', () => {
  const chart = (c: unknown): string => encodeURIComponent(JSON.stringify(c));
  // (URL in, URL written back)
  const cases: Array<[string, string]> = [
    [`/charts?chart=${chart(funnel)}`, `/charts?chart=${chart(funnel)}&range=30d`],
    [`/charts?chart=${chart(funnel)}&range=7d&view=table`, `/charts?chart=${chart(funnel)}&range=7d&view=table`],
    [`/charts?chart=${chart({ ...funnel, start: '2026-01-05', end: '2026-01-06' })}`, `/charts?chart=${chart({ ...funnel, start: '2026-01-05', end: '2026-01-06' })}`],
    [`/charts?chart=not-json`, `/charts?chart=${chart(defaultChart('segmentation'))}&range=30d`],
    [`/charts?chart=${chart({ kind: 'pie' })}&view=donut`, `/charts?chart=${chart(defaultChart('segmentation'))}&range=30d`],
    ['/charts?kind=sessions', `/charts?chart=${chart(defaultChart('sessions'))}&range=30d`],
  ];
  for (const [input, want] of cases) {
    const written = urlOf(stateFromUrl(base(input)));
    assert.equal(decodeURIComponent(written), decodeURIComponent(want), input);
    assert.deepEqual(stateFromUrl(base(written)), stateFromUrl(base(input)), `${input} reads back the same`);
  }
});

test('a preset fills in the days up to today, inclusive', () => {
  const state = stateFromUrl(base(`/charts?chart=${encodeURIComponent(JSON.stringify(funnel))}&range=7d`));
  assert.deepEqual(resolved(state, '2026-03-10'), { ...funnel, start: '2026-03-04', end: '2026-03-10' });
  const fixed = { ...state, range: null, chart: { ...funnel, start: '2026-01-01', end: '2026-01-02' } };
  assert.deepEqual(resolved(fixed, '2026-03-10'), fixed.chart);
});

test('a chart runs once every event has a name', () => {
  // (chart, complete)
  const cases: Array<[ChartSpec, boolean]> = [
    [defaultChart('segmentation'), false],
    [{ kind: 'segmentation', events: [{ event_type: 'View' }] }, true],
    [{ kind: 'segmentation', events: [{ event_type: 'View' }], measure: 'property' }, false],
    [{ kind: 'segmentation', events: [{ event_type: 'View' }], measure: 'property', property: { property: 'price', aggregate: 'sum' } }, true],
    [funnel, true],
    [{ kind: 'funnel', steps: [{ event_type: 'View' }, { event_type: ' ' }] }, false],
    [defaultChart('sessions'), true],
    [defaultChart('journeys'), false],
    [{ kind: 'journeys', view: 'journey_map' }, true],
    [{ kind: 'journeys', end_event: { event_type: 'Purchase' } }, true],
    [{ kind: 'experiment', goal: { event_type: 'Purchase' } }, true],
  ];
  for (const [chart, want] of cases) assert.equal(isComplete(chart), want, JSON.stringify(chart));
});
