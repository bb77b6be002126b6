import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../src/batch';
import { FakeClock } from './support';

function setup(options: { maxBatchSize?: number; maxEventSize?: number; flushIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const batches: Array<{ key: string; events: string[] }> = [];
  const dropped: number[] = [];
  const batcher = new Batcher({
    maxBatchSize: options.maxBatchSize ?? 10,
    maxEventSize: options.maxEventSize ?? 100,
    flushIntervalMs: options.flushIntervalMs ?? 3000,
    clock,
    onBatch: (key, events) => batches.push({ key, events }),
    onOversizeEvent: (_key, size) => dropped.push(size),
  });
  return { clock, batcher, batches, dropped };
}

test('the size cap splits batches without ever exceeding it', () => {
  const cases: Array<{ name: string; events: string[]; expected: string[][] }> = [
    { name: 'under the cap stays pending', events: ['aaa', 'bbb'], expected: [] },
    { name: 'reaching the cap exactly seals', events: ['aaaaa', 'bbbbb'], expected: [['aaaaa', 'bbbbb']] },
    { name: 'an event that would pass the cap starts the next batch', events: ['aaaaaa', 'bbbbbb'], expected: [['aaaaaa']] },
    {
      name: 'a long stream is cut into capped batches',
      events: ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'],
      expected: [['aaaa', 'bbbb'], ['cccc', 'dddd']],
    },
    { name: 'an event bigger than the cap still goes, alone', events: ['a', 'bbbbbbbbbbbbbbb', 'c'], expected: [['a'], ['bbbbbbbbbbbbbbb']] },
  ];
  for (const { name, events, expected } of cases) {
    const { batcher, batches } = setup();
    for (const e of events) batcher.add('s1', e);
    assert.deepEqual(batches.map((b) => b.events), expected, name);
  }
});

test('events over the per-event limit are dropped, the rest flows', () => {
  const { batcher, batches, dropped } = setup({ maxBatchSize: 1000, maxEventSize: 5 });
  batcher.add('s1', 'ok');
  batcher.add('s1', 'too large');
  batcher.add('s1', 'ok2');
  batcher.flush();
  assert.deepEqual(dropped, [9]);
  assert.deepEqual(batches, [{ key: 's1', events: ['ok', 'ok2'] }]);
});

test('the flush timer seals pending events after the interval, counted from the first one', () => {
  const { clock, batcher, batches } = setup({ maxBatchSize: 1000, flushIntervalMs: 3000 });
  batcher.add('s1', 'a');
  clock.advance(2000);
  batcher.add('s1', 'b');
  clock.advance(999);
  assert.deepEqual(batches, []);
  clock.advance(1);
  assert.deepEqual(batches, [{ key: 's1', events: ['a', 'b'] }]);
  clock.advance(60_000);
  assert.equal(batches.length, 1, 'no empty batches from an idle timer');
  batcher.add('s1', 'c');
  clock.advance(3000);
  assert.deepEqual(batches[1], { key: 's1', events: ['c'] });
});

test('a new key (session) seals the previous batch first', () => {
  const { batcher, batches } = setup({ maxBatchSize: 1000 });
  batcher.add('d/1', 'a');
  batcher.add('d/2', 'b');
  batcher.flush();
  assert.deepEqual(batches, [
    { key: 'd/1', events: ['a'] },
    { key: 'd/2', events: ['b'] },
  ]);
});

test('take hands over pending events without sealing a batch', () => {
  const { clock, batcher, batches } = setup({ maxBatchSize: 1000 });
  batcher.add('s1', 'a');
  assert.deepEqual(batcher.take(), { key: 's1', events: ['a'], size: 1 });
  clock.advance(10_000);
  assert.deepEqual(batches, []);
  assert.equal(batcher.take(), null);
});
