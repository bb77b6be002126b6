// The search as the URL holds it: read, written, turned into the API request, described.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FilterSpec } from '../src/api';
import {
  addDaysToDay,
  dayInZone,
  describeFilter,
  fromSavedSpec,
  presetRange,
  stateFromUrl,
  toSavedSpec,
  toSearchRequest,
  urlOf,
} from '../src/search-state';

const base = (path: string): URL => new URL(path, 'http://reel.test');
const country: FilterSpec = { field: 'country', op: 'is', values: ['DE'] };
const purchase: FilterSpec = { field: 'event', name: 'Purchase', where: [{ property: 'plan', op: 'is', values: ['pro'] }], min_count: 2 };

test('a search survives the round trip through its URL', () => {
  const cases: Array<[string, string]> = [
    ['/replays', '/replays'],
    ['/replays?range=7d', '/replays?range=7d'],
    ['/replays?range=30d', '/replays'],
    ['/replays?range=yesterday', '/replays'],
    ['/replays?start=2026-03-12&end=2026-03-10', '/replays?start=2026-03-10&end=2026-03-12'],
    ['/replays?start=2026-03-10', '/replays'],
    ['/replays?project=2&q=%20payment%20&sort=duration&order=asc', '/replays?project=2&q=payment&sort=duration&order=asc'],
    ['/replays?sort=size&order=sideways', '/replays'],
    [`/replays?f=${encodeURIComponent(JSON.stringify(country))}&f=not-json&f=${encodeURIComponent('{"op":"is"}')}`, `/replays?f=${encodeURIComponent(JSON.stringify(country))}`],
  ];
  for (const [input, want] of cases) {
    const url = base(input);
    const written = urlOf(url, stateFromUrl(url));
    assert.equal(decodeURIComponent(written), decodeURIComponent(want), input);
    assert.deepEqual(stateFromUrl(base(written)), stateFromUrl(url), `${input} reads back the same`);
  }
});

test('ranges are days of the project, presets count back from its today', () => {
  assert.equal(addDaysToDay('2026-03-01', -1), '2026-02-28');
  assert.equal(addDaysToDay('2024-03-01', -1), '2024-02-29');
  assert.equal(addDaysToDay('2026-12-31', 1), '2027-01-01');
  assert.deepEqual(presetRange('today', '2026-03-10'), { start: '2026-03-10', end: '2026-03-10' });
  assert.deepEqual(presetRange('7d', '2026-03-10'), { start: '2026-03-03', end: '2026-03-10' });
  // 03:30 UTC on the 11th is still the 10th in New York.
  const instant = new Date('2026-03-11T03:30:00Z');
  assert.equal(dayInZone(instant, 'America/New_York'), '2026-03-10');
  assert.equal(dayInZone(instant, 'Asia/Tokyo'), '2026-03-11');
  assert.equal(dayInZone(instant, 'Not/AZone'), '2026-03-11');
});

test('the API request carries the whole search', () => {
  const state = stateFromUrl(base(`/replays?range=90d&q=oops&sort=errors&f=${encodeURIComponent(JSON.stringify(purchase))}`));
  assert.deepEqual(toSearchRequest(state, '2026-03-10'), {
    start: '2025-12-10',
    end: '2026-03-10',
    sort: 'errors',
    order: 'desc',
    q: 'oops',
    filters: [purchase],
  });
  const fixed = stateFromUrl(base('/replays?start=2026-01-01&end=2026-01-31'));
  assert.deepEqual(toSearchRequest(fixed, '2026-03-10'), { start: '2026-01-01', end: '2026-01-31', sort: 'start_time', order: 'desc' });
});

test('saved searches keep a preset relative and fixed days fixed', () => {
  const relative = stateFromUrl(base(`/replays?range=7d&f=${encodeURIComponent(JSON.stringify(country))}`));
  assert.deepEqual(toSavedSpec(relative), { range: '7d', filters: [country] });
  assert.deepEqual(fromSavedSpec(toSavedSpec(relative)), relative);
  const fixed = stateFromUrl(base('/replays?start=2026-01-01&end=2026-01-02&order=asc'));
  assert.deepEqual(toSavedSpec(fixed), { start: '2026-01-01', end: '2026-01-02', order: 'asc' });
  assert.deepEqual(fromSavedSpec(toSavedSpec(fixed)), fixed);
});

test('filters in words', () => {
  const cases: Array<[FilterSpec, string]> = [
    [country, 'Country is DE'],
    [{ field: 'country', op: 'is_not', values: ['DE', 'FR'] }, 'Country is not DE, FR'],
    [{ field: 'duration_ms', op: 'greater_than', values: [60000] }, 'Duration more than 60 s'],
    [{ field: 'duration_ms', op: 'between', values: [1000, 5000] }, 'Duration between 1 s and 5 s'],
    [{ field: 'rage_click_count', op: 'exists' }, 'Rage clicks is set'],
    [purchase, 'Performed Purchase (plan is pro) 2+ times'],
    [{ field: 'event', name: 'Purchase', negate: true }, 'Did not perform Purchase'],
    [{ field: 'sequence', steps: [{ name: 'Add to cart' }, { name: 'Purchase' }] }, 'Add to cart → Purchase'],
    [{ field: 'user_property', property: 'plan', op: 'is', values: ['pro'] }, 'User plan is pro'],
    [{ field: 'cohort', cohort: 3 }, 'In Loyal'],
    [{ field: 'cohort', cohort: 9, op: 'is_not' }, 'Not in cohort 9'],
    [{ field: 'clicked_element', selector: 'button.checkout', signal: 'rage' }, 'rage-clicked button.checkout'],
    [{ field: 'clicked_element', op: 'contains', values: ['Pay'] }, 'Clicked element contains Pay'],
    [{ field: 'url', op: 'glob', values: ['*/product/*'] }, 'Visited URL matches */product/*'],
    [{ field: 'console_message', op: 'does_not_contain', values: ['timeout'] }, 'Console message does not contain timeout'],
  ];
  const cohorts = [{ id: 3, name: 'Loyal', definition: { conditions: [] }, created_at: '', updated_at: '' }];
  for (const [filter, want] of cases) assert.equal(describeFilter(filter, cohorts), want, JSON.stringify(filter));
});
