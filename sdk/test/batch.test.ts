import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, isMetaEvent, packForBeacon, splitPoint } from '../src/batch';
import { FakeClock } from './support';

function setup(options: { maxBatchSize?: number; maxEventSize?: number; flushIntervalMs?: number; holdWithNext?: (e: string) => boolean } = {}) {
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
    ...(options.holdWithNext ? { holdWithNext: options.holdWithNext } : {}),
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

// In these cases an event starting with "M" stands for a Meta and "F" for the FullSnapshot
// rrweb emits right after it; the cap is 10.
const heldM = (e: string): boolean => e.startsWith('M');

test('the size cap never ends a batch right after a Meta: the Meta goes with the next event', () => {
  const cases: Array<{ name: string; events: string[]; sealed: string[][]; pending: string[] }> = [
    {
      name: 'a snapshot that would pass the cap takes its Meta along to the next batch',
      events: ['aaaa', 'Mbb', 'Fffffff'],
      sealed: [['aaaa'], ['Mbb', 'Fffffff']],
      pending: [],
    },
    {
      name: 'a Meta that reaches the cap waits for the next event instead of sealing',
      events: ['aaaaaa', 'Mbbb', 'c'],
      sealed: [['aaaaaa']],
      pending: ['Mbbb', 'c'],
    },
    {
      name: 'a Meta and a snapshot bigger than the cap go together',
      events: ['a', 'Mb', `F${'f'.repeat(14)}`, 'c'],
      sealed: [['a'], ['Mb', `F${'f'.repeat(14)}`]],
      pending: ['c'],
    },
    { name: 'a Meta alone over the cap waits for its snapshot', events: [`M${'m'.repeat(11)}`], sealed: [], pending: [`M${'m'.repeat(11)}`] },
    {
      name: 'a Meta opening a batch stays with its snapshot when both fit',
      events: ['Mb', 'Fff', 'ccccc', 'dd'],
      sealed: [['Mb', 'Fff', 'ccccc']],
      pending: ['dd'],
    },
    { name: 'events that are not held seal as before', events: ['aaaaaa', 'bbbbbb'], sealed: [['aaaaaa']], pending: ['bbbbbb'] },
    {
      name: 'a snapshot over the per-event limit is dropped; its Meta goes on with what follows',
      events: ['a', 'Mb', `F${'f'.repeat(120)}`, 'c'],
      sealed: [],
      pending: ['a', 'Mb', 'c'],
    },
  ];
  for (const { name, events, sealed, pending } of cases) {
    const { batcher, batches } = setup({ holdWithNext: heldM });
    for (const e of events) batcher.add('s1', e);
    assert.deepEqual(batches.map((b) => b.events), sealed, name);
    assert.deepEqual(batcher.take()?.events ?? [], pending.length ? pending : [], `${name}: pending`);
  }
});

test('the flush timer keeps a trailing Meta for the next event; explicit flush, take and a new key send it', () => {
  {
    const { clock, batcher, batches } = setup({ maxBatchSize: 1000, holdWithNext: heldM });
    batcher.add('s1', 'a');
    batcher.add('s1', 'Mb');
    clock.advance(3000);
    assert.deepEqual(batches.map((b) => b.events), [['a']], 'timer: everything but the Meta');
    assert.equal(batcher.pendingCount, 1);
    clock.advance(60_000);
    assert.deepEqual(batches.length, 1, 'a held Meta alone arms no timer');
    batcher.add('s1', 'Fff');
    clock.advance(3000);
    assert.deepEqual(batches.map((b) => b.events), [['a'], ['Mb', 'Fff']]);
  }
  {
    const { batcher, batches } = setup({ maxBatchSize: 1000, holdWithNext: heldM });
    batcher.add('s1', 'Mb');
    batcher.flush();
    assert.deepEqual(batches.map((b) => b.events), [['Mb']], 'flush() seals everything');
  }
  {
    const { batcher, batches } = setup({ maxBatchSize: 1000, holdWithNext: heldM });
    batcher.add('d/1', 'Mb');
    batcher.add('d/2', 'x');
    assert.deepEqual(batches, [{ key: 'd/1', events: ['Mb'] }], 'a new session seals the old one whole');
  }
});

test('isMetaEvent recognises the JSON of rrweb Meta events as the recorder serializes them', () => {
  const cases: Array<[name: string, json: string, expected: boolean]> = [
    ['Meta', JSON.stringify({ type: 4, data: { href: 'https://shop.test/', width: 1280, height: 800 }, timestamp: 1 }), true],
    ['FullSnapshot', JSON.stringify({ type: 2, data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } }, timestamp: 1 }), false],
    ['Incremental with a nested type 4', JSON.stringify({ type: 3, data: { source: 2, type: 4, id: 7 }, timestamp: 1 }), false],
    ['Plugin', JSON.stringify({ type: 6, data: { plugin: 'rrweb/console@1', payload: { level: 'log' } }, timestamp: 1 }), false],
    ['type 40 is not 4', '{"type":40,"data":{},"timestamp":1}', false],
  ];
  for (const [name, json, expected] of cases) assert.equal(isMetaEvent(json), expected, name);
});

test('beacon packing keeps a held Meta with the event after it', () => {
  const cost = (e: string): number => e.length;
  const cases: Array<{ name: string; events: string[]; chunks: string[][]; tooLarge: string[] }> = [
    { name: 'both fit: one beacon', events: ['aa', 'Mb', 'Fff'], chunks: [['aa', 'Mb', 'Fff']], tooLarge: [] },
    { name: 'the pair does not fit the current beacon: it starts the next', events: ['aaaa', 'Mb', 'Fff'], chunks: [['aaaa'], ['Mb', 'Fff']], tooLarge: [] },
    {
      name: 'a snapshot too large for any beacon takes its Meta to the fetch path',
      events: ['aa', 'Mb', `F${'f'.repeat(20)}`, 'cc'],
      chunks: [['aa', 'cc']],
      tooLarge: ['Mb', `F${'f'.repeat(20)}`],
    },
    { name: 'a Meta at the very end travels as it is', events: ['aa', 'Mb'], chunks: [['aa', 'Mb']], tooLarge: [] },
  ];
  for (const { name, events, chunks, tooLarge } of cases) {
    // budget: 10 - 0 overhead; each event costs its length + 1
    assert.deepEqual(packForBeacon(events, cost, 0, 10, heldM), { chunks, tooLarge }, name);
  }
});

test('splitPoint halves a batch but never right after a held Meta', () => {
  const cases: Array<[name: string, events: string[], expected: number]> = [
    ['no Meta: the middle', ['a', 'b', 'c', 'd'], 2],
    ['odd length: rounds up', ['a', 'b', 'c'], 2],
    ['a Meta before the middle moves the cut before it', ['a', 'Mb', 'F', 'd'], 1],
    ['a Meta at the start moves the cut after its snapshot', ['Ma', 'F', 'c'], 2],
    ['a lone Meta+snapshot pair can only be cut between them', ['Ma', 'F'], 1],
  ];
  for (const [name, events, expected] of cases) assert.equal(splitPoint(events, heldM), expected, name);
});
