import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CONSOLE_ITEM, scrubConsoleEvent } from '../src/console-privacy';
import type { RecordedEvent } from '../src/recorder';

function consoleEvent(payload: unknown[]): RecordedEvent {
  return { type: 6, timestamp: 1, data: { plugin: 'rrweb/console@1', payload: { level: 'log', trace: ['a.js:1:1'], payload } } };
}

function items(event: RecordedEvent): unknown[] {
  return (event.data as { payload: { payload: unknown[] } }).payload.payload;
}

test('logged elements and long items are scrubbed; everything else is kept as recorded', () => {
  const long = JSON.stringify('x'.repeat(MAX_CONSOLE_ITEM + 10));
  const cases: Array<[string, unknown[], (out: unknown[]) => void]> = [
    ['plain string', [JSON.stringify('hello')], (out) => assert.deepEqual(out, [JSON.stringify('hello')])],
    ['number and object', ['42', '{"a":1}'], (out) => assert.deepEqual(out, ['42', '{"a":1}'])],
    [
      'element with masked text',
      [JSON.stringify('<p class="reel-mask">Jane Doe, 1 Main St</p>')],
      (out) => assert.deepEqual(out, [JSON.stringify('<p> element (content not recorded)')]),
    ],
    [
      'input with a typed value',
      [JSON.stringify('<INPUT id="card" value="4242 4242">')],
      (out) => {
        assert.equal(out.length, 1);
        assert.ok(!String(out[0]).includes('4242'));
        assert.ok(/<input> element/.test(String(out[0])));
      },
    ],
    ['comparison is not an element', [JSON.stringify('< 5 items left')], (out) => assert.deepEqual(out, [JSON.stringify('< 5 items left')])],
    [
      'long item is bounded and still JSON',
      [long],
      (out) => {
        const text = JSON.parse(String(out[0])) as string;
        assert.ok(text.length < MAX_CONSOLE_ITEM + 100);
        assert.ok(/more characters not recorded/.test(text));
      },
    ],
    ['non-JSON string is kept', ['not json'], (out) => assert.deepEqual(out, ['not json'])],
  ];
  for (const [name, input, check] of cases) {
    const out = items(scrubConsoleEvent(consoleEvent(input)));
    check(out);
    assert.ok(Array.isArray(out), name);
  }
});

test('other events pass through as the same object', () => {
  const events: RecordedEvent[] = [
    { type: 3, timestamp: 1, data: { source: 1 } },
    { type: 6, timestamp: 1, data: { plugin: 'rrweb/network@1', payload: { requests: [] } } },
    consoleEvent([JSON.stringify('fine')]),
  ];
  for (const event of events) assert.equal(scrubConsoleEvent(event), event);
});
