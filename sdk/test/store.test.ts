import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evictionsFor,
  localStorageBatchStore,
  MAX_BATCH_AGE_MS,
  memoryBatchStore,
  takeHandoff,
  writeHandoff,
  type BatchMeta,
  type StoredBatch,
} from '../src/store';
import { MemoryStorage } from './support';

function meta(id: string, size: number, createdAt: number): BatchMeta {
  return { id, kind: 'replay', replayId: 'd/1', size, createdAt, leaseUntil: 0 };
}

function stored(id: string, createdAt: number, leaseUntil: number, size = 10): StoredBatch {
  return { ...meta(id, size, createdAt), leaseUntil, events: [id] };
}

test('storage stays bounded by dropping the oldest batches', () => {
  const existing = [meta('new', 40, 30), meta('old', 40, 10), meta('mid', 40, 20)];
  const cases: Array<[incoming: number, max: number, evicted: string[]]> = [
    [10, 200, []],
    [80, 200, []],
    [81, 200, ['old']],
    [120, 200, ['old']],
    [121, 200, ['old', 'mid']],
    [200, 200, ['old', 'mid', 'new']],
  ];
  for (const [incoming, max, evicted] of cases) assert.deepEqual(evictionsFor(existing, incoming, max), evicted, `incoming ${incoming}`);
});

test('a stored batch is claimed only once its lease ran out, and expired ones are dropped', async () => {
  const now = 1_700_000_000_000;
  const store = memoryBatchStore(1_000_000);
  await store.put(stored('leased', now - 1000, now + 5000));
  await store.put(stored('released', now - 2000, 0));
  await store.put(stored('lapsed', now - 3000, now - 1));
  await store.put(stored('ancient', now - MAX_BATCH_AGE_MS - 1, 0));

  const first = await store.claim(now, now + 60_000);
  assert.deepEqual(first.map((b) => b.id), ['lapsed', 'released'], 'oldest first');
  assert.deepEqual(first.map((b) => b.leaseUntil), [now + 60_000, now + 60_000]);
  assert.deepEqual(await store.claim(now, now + 60_000), [], 'claimed batches are leased to the claimer');
  const later = await store.claim(now + 61_000, 0);
  assert.deepEqual(later.map((b) => b.id).sort(), ['lapsed', 'leased', 'released']);
});

test('removing after a 2xx deletes for good; put replaces by id', async () => {
  const store = memoryBatchStore(1_000_000);
  await store.put(stored('a', 1_700_000_000_000, 0));
  await store.put({ ...stored('a', 1_700_000_000_000, 0), events: ['a2'] });
  await store.put(stored('b', 1_700_000_000_001, 0));
  await store.remove('b');
  const claimed = await store.claim(1_700_000_000_002, 0);
  assert.deepEqual(claimed.map((b) => b.events), [['a2']]);
});

test('the localStorage store keeps one key and its own size budget', async () => {
  const storage = new MemoryStorage();
  const store = localStorageBatchStore(storage as unknown as Storage, 'reel:queue:x', 25);
  const now = 1_700_000_000_000;
  await store.put(stored('a', now - 3, 0));
  await store.put(stored('b', now - 2, 0));
  await store.put(stored('c', now - 1, 0));
  await store.put(stored('too-big', now, 0, 26));
  assert.deepEqual([...storage.data.keys()], ['reel:queue:x']);
  assert.deepEqual((await store.claim(now, 0)).map((b) => b.id), ['b', 'c']);
  for (const b of await store.claim(now, 0)) await store.remove(b.id);
  await store.remove('b');
  await store.remove('c');
  assert.equal(storage.getItem('reel:queue:x'), null, 'an empty queue leaves no key behind');
});

test('a closing page hands its unsent batches to the next page, once, within a size budget', () => {
  const storage = new MemoryStorage();
  const key = 'reel:handoff:x';
  writeHandoff(storage, key, [stored('b', 2, 99, 10), stored('a', 1, 99, 10), stored('big', 3, 99, 50)], 40);
  writeHandoff(storage, key, [stored('c', 4, 99, 10), { ...stored('a', 1, 99, 10), events: ['a-rest'] }], 40);
  const taken = takeHandoff(storage, key);
  assert.deepEqual(taken.map((b) => [b.id, b.events[0], b.leaseUntil]), [['a', 'a-rest', 0], ['b', 'b', 0], ['c', 'c', 0]]);
  assert.deepEqual(takeHandoff(storage, key), [], 'taken only once');
  storage.setItem(key, '{"not":"a list"}');
  assert.deepEqual(takeHandoff(storage, key), []);
});
