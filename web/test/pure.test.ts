// Table-driven tests for the UI's pure logic. Run: `node --import tsx --test web/test/pure.test.ts`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClock, formatDuration, parseDayString, toDayString } from '../src/format';
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
