// Table-driven tests for the player's pure logic: window planning, skipping inactivity, marker
// layout, activity labels and filters, console/network filters, time in a timezone.
// Run: `node --import tsx --test web/test/player.test.ts`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify, currentIndex, filterActivity, mergeActivity, readableLabel, type ActivityKind } from '../src/player/activity';
import type { ActivityEvent, ConsoleEntry, NetworkEntry } from '../src/player/api';
import {
  consoleMarkers,
  filterConsole,
  filterNetwork,
  isRuntimeError,
  levelGroup,
  networkMarkers,
  redactUrl,
  statusText,
  type LevelGroup,
} from '../src/player/devtools';
import { describeGroup, layoutMarkers, type Marker } from '../src/player/markers';
import { mergeStretches, skipTarget } from '../src/player/skip';
import { formatWallClock, formatWallDateTime, isTimeZone, parseStartParam } from '../src/player/time';
import {
  bytesBetween,
  DEFAULT_WINDOWS,
  evictBefore,
  nextRead,
  openingRead,
  planSeek,
  spanAt,
  wantsMore,
  type Plan,
} from '../src/player/windows';

function check<I, O>(cases: [I, O][], fn: (input: I) => O): void {
  for (const [input, expected] of cases) assert.deepEqual(fn(input), expected, `input: ${JSON.stringify(input)}`);
}

const MIN = 60_000;
/** Two hours, 0.5 MB of JSON a minute (like the generated long session), in 8 MB pieces. */
const LONG: Plan = {
  startMs: 0,
  endMs: 120 * MIN,
  pieces: Array.from({ length: 8 }, (_, i) => ({ start_ms: i * 15 * MIN, end_ms: (i + 1) * 15 * MIN - 1, raw_bytes: 7_500_000 })),
  keyframes: Array.from({ length: 8 }, (_, i) => i * 15 * MIN),
};
/** A short, small recording: one piece. */
const SHORT: Plan = { startMs: 1_000, endMs: 61_000, pieces: [{ start_ms: 1_000, end_ms: 61_000, raw_bytes: 300_000 }], keyframes: [1_000] };

test('bytesBetween spreads each piece evenly over its time', () => {
  const pieces = [
    { start_ms: 0, end_ms: 100, raw_bytes: 1000 },
    { start_ms: 100, end_ms: 100, raw_bytes: 50 },
    { start_ms: 200, end_ms: 300, raw_bytes: 100 },
  ];
  check(
    [
      [[0, 100], 1050],
      [[0, 50], 500],
      [[150, 199], 0],
      [[250, 1000], 50],
      [[50, 40], 0],
    ],
    ([a, b]: [number, number]) => Math.round(bytesBetween(pieces, a, b)),
  );
});

test('spanAt aims at the target bytes within the span limits', () => {
  // 0.5 MB a minute: 2 MB is 4 minutes.
  assert.ok(Math.abs(spanAt(LONG, 10 * MIN) - 4 * MIN) <= 1_000, String(spanAt(LONG, 10 * MIN)));
  // Sparse data: the longest window.
  assert.equal(spanAt(SHORT, 1_000), DEFAULT_WINDOWS.maxSpanMs);
  // Dense data: never shorter than the shortest window.
  const dense: Plan = { startMs: 0, endMs: MIN, pieces: [{ start_ms: 0, end_ms: MIN, raw_bytes: 100_000_000 }] };
  assert.equal(spanAt(dense, 0), DEFAULT_WINDOWS.minSpanMs);
});

test('openingRead starts at the moment (the server goes back to its keyframe) and reaches a little past it', () => {
  check(
    [
      [[LONG, 119 * MIN], { from: 119 * MIN, to: 119 * MIN + 30_000, exact: false }],
      [[LONG, 120 * MIN + 5], { from: 120 * MIN, to: 120 * MIN, exact: false }],
      [[SHORT, 0], { from: 1_000, to: 31_000, exact: false }],
    ],
    ([plan, t]: [Plan, number]) => openingRead(plan, t),
  );
});

test('nextRead continues exactly after the held data, until the end', () => {
  const read = nextRead(LONG, { start: 0, end: 10 * MIN });
  assert.equal(read?.from, 10 * MIN + 1);
  assert.equal(read?.exact, true);
  assert.ok(read && read.to > read.from && read.to <= 10 * MIN + 4 * MIN + 1_000);
  assert.deepEqual(nextRead(SHORT, { start: 1_000, end: 30_000 }), { from: 30_001, to: 61_000, exact: true });
  assert.equal(nextRead(SHORT, { start: 1_000, end: 61_000 }), null);
});

test('wantsMore keeps a lead that grows with the speed', () => {
  const held = { start: 0, end: 10 * MIN };
  check(
    [
      [[10 * MIN - 60_000, 1], false],
      [[10 * MIN - 30_000, 1], true],
      [[10 * MIN - 5 * MIN, 16], true],
      [[10 * MIN - 13 * MIN, 16], false],
    ],
    ([playhead, speed]: [number, number]) => wantsMore(LONG, held, playhead, speed),
  );
  assert.equal(wantsMore(SHORT, { start: 1_000, end: 61_000 }, 60_000, 1), false);
});

test('planSeek: near inside the held data, extend just past it, open elsewhere', () => {
  const held = { start: 30 * MIN, end: 40 * MIN };
  check(
    [
      [35 * MIN, 'near'],
      [30 * MIN, 'near'],
      [40 * MIN, 'near'],
      // A minute past the end: about 0.75 MB to continue: cheaper than opening anew.
      [41 * MIN, 'extend'],
      // Twenty minutes past: 10 MB to continue; open at the keyframe instead.
      [60 * MIN, 'open'],
      [10 * MIN, 'open'],
    ],
    (t: number) => planSeek(LONG, held, t).kind,
  );
  const extend = planSeek(LONG, held, 41 * MIN);
  assert.deepEqual(extend.kind === 'extend' && extend.read, { from: 40 * MIN + 1, to: 41 * MIN + 30_000, exact: true });
  assert.equal(planSeek(LONG, null, 5 * MIN).kind, 'open');
});

test('evictBefore keeps the latest keyframe at least keepBehind before the playhead', () => {
  const held = { start: 0, end: 20 * MIN };
  const keyframes = [0, 5 * MIN, 10 * MIN, 15 * MIN];
  check(
    [
      [30_000, null],
      [5 * MIN + 59_000, null],
      [6 * MIN, 5 * MIN],
      [14 * MIN, 10 * MIN],
      [19 * MIN, 15 * MIN],
    ],
    (playhead: number) => evictBefore(held, keyframes, playhead),
  );
  // Nothing before the held start is a cut.
  assert.equal(evictBefore({ start: 10 * MIN, end: 20 * MIN }, [10 * MIN], 19 * MIN), null);
});

test('skipTarget jumps to just before activity resumes, across merged stretches', () => {
  const stretches = mergeStretches(
    [{ start_ms: 10_000, end_ms: 60_000 }],
    [{ start_ms: 55_000, end_ms: 400_000 }, { start_ms: 500_000, end_ms: 502_500 }, { start_ms: 0, end_ms: 0 }],
  );
  assert.deepEqual(stretches, [
    { start_ms: 10_000, end_ms: 400_000 },
    { start_ms: 500_000, end_ms: 502_500 },
  ]);
  check(
    [
      [5_000, null],
      [10_000, 399_000],
      [200_000, 399_000],
      // Too close to the end to be worth a jump.
      [397_500, null],
      [450_000, null],
      // A stretch too short to skip.
      [500_000, null],
    ],
    (playhead: number) => skipTarget(stretches, playhead),
  );
});

test('layoutMarkers groups markers that would overlap, per lane, coloured by the most severe', () => {
  const markers: Marker[] = [
    { time: 1_000, kind: 'click', label: 'a' },
    { time: 1_500, kind: 'page-view', label: 'b' },
    { time: 1_200, kind: 'console-error', label: 'c' },
    { time: 50_000, kind: 'click', label: 'd' },
    { time: 99_000, kind: 'network-error', label: 'e' },
    { time: 99_500, kind: 'runtime-error', label: 'f' },
    { time: 200_000, kind: 'click', label: 'outside' },
  ];
  const groups = layoutMarkers(markers, 0, 100_000, 1000, 8);
  assert.deepEqual(
    groups.map((g) => [g.lane, g.kind, g.markers.map((m) => m.label), Math.round(g.position * 1000)]),
    [
      ['event', 'page-view', ['a', 'b'], 10],
      ['issue', 'console-error', ['c'], 12],
      ['event', 'click', ['d'], 500],
      ['issue', 'runtime-error', ['e', 'f'], 990],
    ],
  );
  assert.equal(describeGroup(groups[3]!), '1 runtime error, 1 network error');
  assert.equal(describeGroup({ ...groups[0]!, markers: [markers[0]!, markers[0]!, markers[1]!] }), '1 page view, 2 clicks');
  assert.deepEqual(layoutMarkers(markers, 0, 0, 1000), []);
});

const event = (event_type: string, event_properties: Record<string, unknown> = {}, display_name = event_type): ActivityEvent => ({
  event_type,
  display_name,
  time_ms: 0,
  offset_ms: 0,
  derived: false,
  event_properties,
});

test('activity kinds come from the event names, with or without an SDK prefix', () => {
  check(
    [
      ['[reel] Page Viewed', 'page'],
      ['[Amplitude] Page Viewed', 'page'],
      ['[Amplitude] Element Clicked', 'click'],
      ['[reel] Element Changed', 'input'],
      ['[reel] Rage Click', 'frustration'],
      ['[Amplitude] Dead Click', 'frustration'],
      ['[reel] Runtime Error', 'error'],
      ['Checkout Started', 'custom'],
    ],
    (name: string) => classify(name).kind,
  );
});

test('generic event names get readable labels; typed values never appear', () => {
  check(
    [
      [event('[reel] Element Clicked', { '[reel] Element Text': 'Add to cart', '[reel] Element Tag': 'button' }), "Clicked 'Add to cart' button"],
      [event('[Amplitude] Element Clicked', { '[Amplitude] Element Text': 'Docs', '[Amplitude] Element Tag': 'a' }), "Clicked 'Docs' link"],
      [event('[reel] Element Clicked', { '[reel] Element Tag': 'div' }), 'Clicked div'],
      [event('[reel] Page Viewed', { '[reel] Page Title': 'Checkout', '[reel] Page Path': '/checkout' }), "Viewed 'Checkout' page"],
      [event('[reel] Page Viewed', { '[reel] Page Path': '/demo/' }), 'Viewed /demo/'],
      [event('[reel] Element Changed', { '[reel] Element Tag': 'input', '[reel] Element Name': 'email', '[reel] Element Value': 'secret@x' }), "Changed 'email' field"],
      // The server's readable name wins.
      [event('[reel] Rage Click', {}, "Rage clicked 'Pay now' button"), "Rage clicked 'Pay now' button"],
      [event('Signed Up'), 'Signed Up'],
    ],
    readableLabel,
  );
});

test('mergeActivity orders everything in time and adds page loads only without page views', () => {
  const at = (e: ActivityEvent, time: number): ActivityEvent => ({ ...e, time_ms: time });
  const pages = [{ time_ms: 5, href: 'https://shop.test/a' }];
  const custom = [{ time_ms: 15, offset_ms: 15, tag: 'step', payload: '{"n":2}' }];
  const withViews = mergeActivity([at(event('[reel] Element Clicked'), 20), at(event('[reel] Page Viewed'), 10)], custom, pages);
  assert.deepEqual(withViews.map((i) => [i.time, i.kind]), [[10, 'page'], [15, 'custom'], [20, 'click']]);
  const without = mergeActivity([at(event('[reel] Element Clicked'), 20)], [], pages);
  assert.deepEqual(without.map((i) => [i.time, i.kind, i.label]), [[5, 'page', 'Navigated to shop.test/a'], [20, 'click', 'Clicked element']]);
});

test('filterActivity by kind and by text in labels, names and properties', () => {
  const items = mergeActivity(
    [
      { ...event('[reel] Element Clicked', { '[reel] Element Text': 'Pay now', '[reel] Element Tag': 'button' }), time_ms: 1 },
      { ...event('[reel] Page Viewed', { '[reel] Page Path': '/checkout' }), time_ms: 2 },
      { ...event('Coupon Applied', { code: 'WINTER' }), time_ms: 3 },
    ],
    [],
    [],
  );
  const all = new Set<ActivityKind>(['page', 'click', 'input', 'frustration', 'error', 'custom']);
  check(
    [
      [[all, ''], [1, 2, 3]],
      [[new Set<ActivityKind>(['click']), ''], [1]],
      [[all, 'pay'], [1]],
      [[all, 'winter'], [3]],
      [[all, 'element clicked'], [1]],
      [[new Set<ActivityKind>(['page']), 'pay'], []],
    ],
    ([kinds, text]: [Set<ActivityKind>, string]) => filterActivity(items, kinds, text).map((i) => i.time),
  );
});

test('currentIndex finds the last item at or before a time', () => {
  const items = [{ time: 10 }, { time: 20 }, { time: 20 }, { time: 30 }];
  check([[5, -1], [10, 0], [25, 2], [30, 3], [99, 3]], (t: number) => currentIndex(items, t));
  assert.equal(currentIndex([], 5), -1);
});

const line = (level: string, message: string, trace: string[] = []): ConsoleEntry => ({ time_ms: 0, offset_ms: 0, level, message, trace });

test('console levels, runtime errors and filters', () => {
  check(
    [['error', 'error'], ['assert', 'error'], ['warn', 'warn'], ['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['trace', 'debug']],
    levelGroup,
  );
  check(
    [
      [line('error', 'Uncaught TypeError: x is undefined'), true],
      [line('error', 'Script error.'), true],
      [line('error', 'Payment failed'), false],
      [line('warn', 'Uncaught but only a warning'), false],
    ],
    isRuntimeError,
  );
  const entries = [line('log', 'hello'), line('error', 'Payment failed', ['shop.js:88:11']), line('warn', 'slow'), line('debug', 'x')];
  check(
    [
      [[['error', 'warn', 'info', 'debug'], ''], ['hello', 'Payment failed', 'slow', 'x']],
      [[['error'], ''], ['Payment failed']],
      [[['error', 'warn', 'info', 'debug'], 'shop.js'], ['Payment failed']],
      [[['info'], 'SLOW'], []],
    ],
    ([groups, text]: [LevelGroup[], string]) => filterConsole(entries, new Set(groups), text).map((e) => e.message),
  );
  assert.deepEqual(
    consoleMarkers([line('error', 'Uncaught boom'), line('log', 'fine'), line('error', 'Payment failed')]).map((m) => m.kind),
    ['runtime-error', 'console-error'],
  );
});

test('redactUrl hides credentials, fragments and secret query values', () => {
  check(
    [
      ['https://shop.test/api/pay', 'https://shop.test/api/pay'],
      ['https://shop.test/api/items?page=2&sort=asc', 'https://shop.test/api/items?page=2&sort=asc'],
      ['https://shop.test/cb?code=abc123&state=x', 'https://shop.test/cb?code=…&state=x'],
      ['https://shop.test/a?access_token=t0k&api_key=k&Password=p&sig=s', 'https://shop.test/a?access_token=…&api_key=…&Password=…&sig=…'],
      ['https://user:pw@shop.test/x#token=abc', 'https://shop.test/x'],
      ['/relative?token=abc', '/relative?token=abc'],
      ['not a url', 'not a url'],
    ],
    redactUrl,
  );
});

const request = (url: string, status: number | null, failed: boolean, error: string | null = null): NetworkEntry => ({
  time_ms: 0,
  offset_ms: 0,
  method: 'POST',
  url,
  status,
  duration_ms: 12,
  initiator_type: 'fetch',
  error,
  failed,
});

test('network filters, status text and markers', () => {
  const entries = [request('https://shop.test/api/pay?token=x', 503, true), request('https://shop.test/ok', 200, false), request('https://shop.test/down', 0, true, 'TypeError: Failed to fetch')];
  check(
    [
      [['all', ''], 3],
      [['failed', ''], 2],
      [['all', 'pay'], 1],
      [['all', 'token=x'], 0],
      [['all', '503'], 1],
    ],
    ([show, text]: ['all' | 'failed', string]) => filterNetwork(entries, show, text).length,
  );
  check([[entries[0]!, '503'], [entries[2]!, 'TypeError: Failed to fetch'], [request('x', null, true), 'failed']], statusText);
  assert.deepEqual(networkMarkers(entries).map((m) => m.label), ['POST https://shop.test/api/pay?token=… → 503', 'POST https://shop.test/down → TypeError: Failed to fetch']);
});

test('wall-clock time in the project timezone', () => {
  const instant = Date.UTC(2026, 10, 27, 13, 3, 22); // 2026-11-27 13:03:22 UTC
  check(
    [
      ['UTC', '13:03:22'],
      ['Europe/Berlin', '14:03:22'],
      ['America/New_York', '08:03:22'],
      ['Asia/Kolkata', '18:33:22'],
      ['Not/AZone', '13:03:22'],
    ],
    (zone: string) => formatWallClock(instant, zone),
  );
  // Summer time: Berlin is UTC+2 in July.
  assert.equal(formatWallClock(Date.UTC(2026, 6, 1, 12, 0, 0), 'Europe/Berlin'), '14:00:00');
  assert.equal(formatWallDateTime(instant, 'Europe/Berlin', 'en-GB'), '27 Nov 2026, 14:03:22 CET');
  check([['UTC', true], ['Europe/Berlin', true], ['Mars/Olympus', false], ['', false]], isTimeZone);
});

test('parseStartParam reads ?t= as milliseconds within the recording', () => {
  check(
    [
      [[null, 60_000], 0],
      [['', 60_000], 0],
      [['12500', 60_000], 12_500],
      [['12500.7', 60_000], 12_501],
      [['-5', 60_000], 0],
      [['99999999', 60_000], 60_000],
      [['soon', 60_000], 0],
    ],
    ([value, total]: [string | null, number]) => parseStartParam(value, total),
  );
});
