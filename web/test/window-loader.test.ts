// The player's window reads (window-loader.ts): only the read the player still wants reaches it.
// A seek the viewer replaced by another, or a read cancelled, must never show up on the stage
// late, and failing reads must stop prefetching until play is pressed.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { EventWindow } from '../src/player/api';
import { WindowLoader } from '../src/player/window-loader';

/** A fetch whose answers the test gives, one request at a time, in order. */
function fakeServer(): { answer(status: number, events?: unknown[]): void; requests(): string[] } {
  const waiting: Array<{ url: string; resolve(response: Response): void }> = [];
  const seen: string[] = [];
  globalThis.fetch = ((url: string, init?: RequestInit) => {
    seen.push(url);
    return new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
      waiting.push({ url, resolve });
    });
  }) as typeof fetch;
  return {
    answer(status, events = []) {
      const next = waiting.shift();
      assert.ok(next, 'no request is waiting for an answer');
      next.resolve(new Response(status === 200 ? JSON.stringify(events) : '{}', { status }));
    },
    requests: () => seen,
  };
}

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

const READ = { from: 1_000, to: 2_000, exact: false };
const EVENT = { type: 4, timestamp: 1_500, data: { href: 'https://shop.test/' } };

/** Lets every answer given so far reach the loader. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

test('a seek replaced by a newer one never reaches the player; the newer one does', async () => {
  const server = fakeServer();
  const loader = new WindowLoader({ id: 'replay-1' });
  const loaded: Array<[string, EventWindow]> = [];
  const failed: unknown[] = [];
  loader.loadForSeek(1_500, READ, (win) => loaded.push(['first', win]), (error) => failed.push(error));
  loader.loadForSeek(1_800, READ, (win) => loaded.push(['second', win]), (error) => failed.push(error));
  assert.equal(loader.pendingSeek?.target, 1_800);
  server.answer(200, [EVENT]); // the first request: aborted already, its answer is dropped
  server.answer(200, [EVENT]);
  await settle();
  assert.deepEqual(loaded.map(([which]) => which), ['second']);
  assert.deepEqual(failed, [], 'a replaced seek is not a failure');
  assert.equal(loader.pendingSeek, null);
  assert.match(server.requests()[0] ?? '', /^\/api\/v1\/replays\/replay-1\/events\?from=1000&to=2000$/);
});

test('cancelled reads are dropped: nothing arrives after cancelAll', async () => {
  const server = fakeServer();
  const loader = new WindowLoader({ id: 'replay-1' });
  const arrived: string[] = [];
  loader.loadForSeek(1_500, READ, () => arrived.push('seek'), () => arrived.push('seek failed'));
  loader.cancelAll();
  assert.equal(loader.pendingSeek, null);
  assert.ok(loader.canContinue());
  loader.loadContinuation({ ...READ, exact: true }, () => arrived.push('continuation'));
  assert.equal(loader.canContinue(), false, 'one continuation at a time');
  loader.cancelContinuation();
  server.answer(200, [EVENT]);
  server.answer(200, [EVENT]);
  await settle();
  assert.deepEqual(arrived, []);
});

test('failing reads are reported and, after three in a row, stop prefetching until play is pressed', async () => {
  const server = fakeServer();
  const loader = new WindowLoader({ id: 'replay-1' });
  const failures: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    loader.loadForSeek(1_500, READ, () => assert.fail('a failed read loaded'), (error) => failures.push(error));
    server.answer(503);
    await settle();
  }
  assert.equal(failures.length, 3);
  assert.equal(loader.canContinue(), false);
  loader.forgetFailures();
  assert.equal(loader.canContinue(), true);

  // A read that succeeds gives prefetching its chances back as well.
  for (let i = 0; i < 3; i++) {
    loader.loadContinuation(READ, () => assert.fail('a failed read loaded'));
    server.answer(500);
    await settle();
  }
  assert.equal(loader.canContinue(), false);
  let loaded = 0;
  loader.loadForSeek(1_500, READ, () => (loaded += 1), () => assert.fail('the read failed'));
  server.answer(200, [EVENT]);
  await settle();
  assert.equal(loaded, 1);
  assert.equal(loader.canContinue(), true);
});
