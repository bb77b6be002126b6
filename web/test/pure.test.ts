// Table-driven tests for the UI's pure logic. Run: `node --import tsx --test web/test/pure.test.ts`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClock, formatDuration, parseDayString, toDayString } from '../src/format';
import { findMarkers } from '../src/player/markers';
import { amplitudeSnippet, reelSnippet } from '../src/snippets';

function check<I, O>(cases: [I, O][], fn: (input: I) => O): void {
  for (const [input, expected] of cases) assert.deepEqual(fn(input), expected, `input: ${JSON.stringify(input)}`);
}

test('formatDuration', () => {
  check(
    [[0, '0s'], [999, '1s'], [45_000, '45s'], [125_000, '2m 05s'], [3_723_000, '1h 02m'], [-5, '0s']],
    formatDuration,
  );
});

test('formatClock', () => {
  check([[0, '0:00'], [12_999, '0:12'], [225_000, '3:45'], [3_723_000, '1:02:03']], formatClock);
});

test('parseDayString accepts only real calendar days', () => {
  check(
    [['2025-03-04', '2025-03-04'], ['2025-02-30', null], ['2025-3-4', null], ['', null], ['yesterday', null]],
    (text: string) => {
      const day = parseDayString(text);
      return day ? toDayString(day) : null;
    },
  );
});

test('findMarkers picks console errors and failed requests', () => {
  const markers = findMarkers([
    { type: 4, timestamp: 1000, data: { href: 'https://shop.test/', width: 1280, height: 800 } },
    { type: 6, timestamp: 1500, data: { plugin: 'rrweb/console@1', payload: { level: 'log', trace: [], payload: ['"hi"'] } } },
    { type: 6, timestamp: 2000, data: { plugin: 'rrweb/console@1', payload: { level: 'error', trace: [], payload: ['"boom"', '42'] } } },
    {
      type: 6,
      timestamp: 3000,
      data: { plugin: 'rrweb/network@1', payload: { requests: [{ name: '/pay', method: 'post', status: 503 }, { name: '/x', status: 0 }] } },
    },
  ]);
  assert.deepEqual(markers, [
    { offset: 1000, kind: 'error', label: 'boom 42' },
    { offset: 2000, kind: 'network', label: 'POST /pay → 503' },
    { offset: 2000, kind: 'network', label: 'GET /x → failed' },
  ]);
});

test('install snippets carry the key and origin', () => {
  assert.equal(
    reelSnippet("k'ey", 'https://reel.test'),
    `<script src="https://reel.test/sdk.js"></script>\n<script>reel.init({apiKey:'k\\'ey', serverUrl:'https://reel.test'})</script>`,
  );
  const amplitude = amplitudeSnippet('KEY', 'https://reel.test');
  for (const expected of [
    "amplitude.init('KEY'",
    "serverUrl: 'https://reel.test/2/httpapi'",
    "remoteConfig: { serverUrl: 'https://reel.test/config' }",
    "trackServerUrl: 'https://reel.test/sessions/v2/track'",
    "configServerUrl: 'https://reel.test/config'",
  ]) {
    assert.ok(amplitude.includes(expected), expected);
  }
});
