import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, classify, parseRetryAfter, type Outcome, type UploadResponse } from '../src/retry';
import { memoryBatchStore, type StoredBatch } from '../src/store';
import { Uploader, type UploadRequest } from '../src/uploader';
import { FakeClock, settle } from './support';

function response(status: number, extra: Partial<UploadResponse> = {}): UploadResponse {
  return { status, body: '', retryAfter: null, skipped: null, ...extra };
}

test('each answer maps to one outcome', () => {
  const cases: Array<[name: string, res: UploadResponse, expected: Outcome, splitOnAny413?: boolean]> = [
    ['200', response(200), { kind: 'sent', backPressure: null }],
    ['204', response(204), { kind: 'sent', backPressure: null }],
    ['200 skipped 429 pauses', response(200, { skipped: '429' }), { kind: 'sent', backPressure: 'pause' }],
    ['200 skipped 4004 stops the session', response(200, { skipped: '4004' }), { kind: 'sent', backPressure: 'stop-session' }],
    ['200 skipped 4005 stops the session', response(200, { skipped: '4005' }), { kind: 'sent', backPressure: 'stop-session' }],
    ['200 skipped other value is ignored', response(200, { skipped: '1234' }), { kind: 'sent', backPressure: null }],
    ['network failure retries', response(0), { kind: 'retry', notBeforeMs: null }],
    ['408 retries', response(408), { kind: 'retry', notBeforeMs: null }],
    ['429 retries', response(429), { kind: 'retry', notBeforeMs: null }],
    ['429 honours Retry-After', response(429, { retryAfter: '7' }), { kind: 'retry', notBeforeMs: 7000 }],
    ['503 honours Retry-After', response(503, { retryAfter: '2' }), { kind: 'retry', notBeforeMs: 2000 }],
    ['502 ignores Retry-After', response(502, { retryAfter: '9' }), { kind: 'retry', notBeforeMs: null }],
    ['500 retries', response(500), { kind: 'retry', notBeforeMs: null }],
    ['413 payload exceeded halves', response(413, { body: '{"error":"Payload size exceeded"}' }), { kind: 'split' }],
    ['413 with other body drops', response(413, { body: 'too big' }), { kind: 'drop' }],
    ['413 on /2/httpapi always halves', response(413, { body: 'too big' }), { kind: 'split' }, true],
    ['400 drops', response(400), { kind: 'drop' }],
    ['401 drops', response(401), { kind: 'drop' }],
    ['404 drops', response(404), { kind: 'drop' }],
  ];
  for (const [name, res, expected, splitOnAny413] of cases) {
    assert.deepEqual(classify(res, { splitOnAny413 }), expected, name);
  }
});

test('Retry-After is read as seconds, capped, and ignored otherwise', () => {
  const cases: Array<[string | null, number | null]> = [
    [null, null],
    ['0', 0],
    ['1', 1000],
    [' 30 ', 30_000],
    ['1.5', 1500],
    ['86400', 600_000],
    ['Wed, 21 Oct 2015 07:28:00 GMT', null],
    ['-5', null],
  ];
  for (const [value, expected] of cases) assert.equal(parseRetryAfter(value), expected, String(value));
});

test('backoff doubles up to 30 s with jitter in the upper half', () => {
  const cases: Array<[attempt: number, random: number, expected: number]> = [
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0, 1000],
    [3, 1, 4000],
    [5, 0.5, 12_000],
    [6, 1, 30_000],
    [20, 1, 30_000],
    [20, 0, 15_000],
  ];
  for (const [attempt, random, expected] of cases) assert.equal(backoffMs(attempt, () => random), expected, `attempt ${attempt}`);
});

const T0 = new FakeClock().now();

function batch(id: string, events: string[]): StoredBatch {
  return { id, kind: 'replay', replayId: 'dev/1', events, size: events.join('').length, createdAt: T0, leaseUntil: 0 };
}

/** An uploader whose server answers from a script; records every request body. */
function harness(answers: UploadResponse[]) {
  const clock = new FakeClock();
  const store = memoryBatchStore(1_000_000);
  const sent: string[][] = [];
  const stopped: string[] = [];
  const uploader = new Uploader({
    clock,
    random: () => 1,
    store,
    send: async (req: UploadRequest) => {
      sent.push(JSON.parse(req.body) as string[]);
      return answers.shift() ?? response(200);
    },
    buildRequest: (b) => ({ url: 'u', headers: {}, body: JSON.stringify(b.events), gzip: false }),
    leaseMs: 60_000,
    maxAttempts: 5,
    pauseMs: 60_000,
    onStopSession: (id) => stopped.push(id),
  });
  const stored = async (): Promise<string[]> => (await store.claim(clock.now() + 3_600_000, 0)).map((b) => b.id);
  return { clock, uploader, sent, stopped, stored };
}

/** Queues two batches and lets the first use up its five attempts, each backoff waited out. */
async function exhaustFirstOfTwoBatches(h: ReturnType<typeof harness>): Promise<void> {
  h.uploader.enqueue(batch('b1', ['e1']));
  h.uploader.enqueue(batch('b2', ['e2']));
  await settle();
  for (let attempt = 1; attempt < 5; attempt++) {
    h.clock.advance(h.clock.pendingTimers[0]!);
    await settle();
  }
}

test('a batch is deleted from storage only after a 2xx', async () => {
  const h = harness([response(500)]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  assert.deepEqual(h.sent, [['e1']]);
  assert.deepEqual(await h.stored(), ['b1'], 'kept after the 500');
  const h2 = harness([response(200)]);
  h2.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  assert.deepEqual(await h2.stored(), []);
});

test('retries back off exponentially and give up after the last attempt, leaving the batch stored', async () => {
  const h = harness([response(503), response(0), response(500), response(502), response(500)]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  const delays: number[] = [];
  for (let attempt = 1; attempt < 5; attempt++) {
    delays.push(h.clock.pendingTimers[0]!);
    h.clock.advance(h.clock.pendingTimers[0]!);
    await settle();
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  assert.equal(h.sent.length, 5);
  assert.deepEqual(h.clock.pendingTimers, [], 'no sixth attempt on this page');
  assert.equal(h.uploader.has('b1'), false);
  assert.deepEqual(await h.stored(), ['b1'], 'left for a later page');
});

test('Retry-After on 429 delays the retry beyond the backoff', async () => {
  const h = harness([response(429, { retryAfter: '20' })]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  assert.deepEqual(h.clock.pendingTimers, [20_000]);
  h.clock.advance(19_999);
  await settle();
  assert.equal(h.sent.length, 1);
  h.clock.advance(1);
  await settle();
  assert.equal(h.sent.length, 2);
});

test('413 "payload exceeded" halves the batch until it fits; other 413s drop it', async () => {
  const exceeded = response(413, { body: 'Payload size exceeded' });
  const h = harness([exceeded, exceeded]);
  h.uploader.enqueue(batch('b1', ['e1', 'e2', 'e3', 'e4']));
  await settle();
  assert.deepEqual(h.sent, [['e1', 'e2', 'e3', 'e4'], ['e1', 'e2'], ['e1'], ['e2'], ['e3', 'e4']]);
  assert.deepEqual(await h.stored(), []);

  const single = harness([exceeded]);
  single.uploader.enqueue(batch('b1', ['huge']));
  await settle();
  assert.deepEqual(single.sent, [['huge']]);
  assert.deepEqual(await single.stored(), [], 'a single event that is too large is dropped');

  const other = harness([response(413, { body: 'nope' })]);
  other.uploader.enqueue(batch('b1', ['e1', 'e2']));
  await settle();
  assert.deepEqual(other.sent, [['e1', 'e2']]);
  assert.deepEqual(await other.stored(), []);
});

test('halving a replay batch keeps a Meta with the FullSnapshot after it', async () => {
  const meta = JSON.stringify({ type: 4, data: { href: 'https://shop.test/', width: 1280, height: 800 }, timestamp: 2 });
  const snapshot = JSON.stringify({ type: 2, data: { node: { type: 0, id: 1, childNodes: [] }, initialOffset: { top: 0, left: 0 } }, timestamp: 2 });
  const h = harness([response(413, { body: 'Payload size exceeded' })]);
  h.uploader.enqueue(batch('b1', ['e1', meta, snapshot, 'e4']));
  await settle();
  assert.deepEqual(h.sent, [['e1', meta, snapshot, 'e4'], ['e1'], [meta, snapshot, 'e4']]);
});

test('other 4xx drop the batch without retrying', async () => {
  for (const status of [400, 401, 403, 404, 422]) {
    const h = harness([response(status)]);
    h.uploader.enqueue(batch('b1', ['e1']));
    h.uploader.enqueue(batch('b2', ['e2']));
    await settle();
    assert.deepEqual(h.sent, [['e1'], ['e2']], String(status));
    assert.deepEqual(await h.stored(), [], String(status));
  }
});

test('"X-Session-Replay-Event-Skipped: 429" pauses sending for 60 s', async () => {
  const h = harness([response(200, { skipped: '429' })]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  h.uploader.enqueue(batch('b2', ['e2']));
  await settle();
  assert.equal(h.uploader.paused, true);
  assert.deepEqual(h.sent, [['e1']]);
  h.clock.advance(59_999);
  await settle();
  assert.deepEqual(h.sent, [['e1']]);
  h.clock.advance(1);
  await settle();
  assert.deepEqual(h.sent, [['e1'], ['e2']]);
});

test('"X-Session-Replay-Event-Skipped: 4004" stops the session', async () => {
  const h = harness([response(200, { skipped: '4004' })]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  assert.deepEqual(h.stopped, ['dev/1']);
});

test('flush skips the backoff wait and resolves once every batch was tried', async () => {
  const h = harness([response(500)]);
  h.uploader.enqueue(batch('b1', ['e1']));
  await settle();
  assert.equal(h.sent.length, 1);
  await h.uploader.flush();
  assert.equal(h.sent.length, 2);
  assert.equal(h.uploader.has('b1'), false);
});

test('batches go one at a time, oldest first', async () => {
  const h = harness([]);
  h.uploader.adopt([
    { ...batch('late', ['l']), createdAt: T0 + 20 },
    { ...batch('early', ['e']), createdAt: T0 + 10 },
  ]);
  h.uploader.enqueue({ ...batch('new', ['n']), createdAt: T0 + 30 });
  await h.uploader.flush();
  assert.deepEqual(h.sent, [['e'], ['l'], ['n']]);
});

test('a batch given up on does not let the next one skip the backoff', async () => {
  const failing = Array.from({ length: 20 }, () => response(503));
  const h = harness(failing);
  await exhaustFirstOfTwoBatches(h);
  assert.deepEqual(h.sent, [['e1'], ['e1'], ['e1'], ['e1'], ['e1']], 'b1 got its five attempts');
  assert.deepEqual(h.clock.pendingTimers, [16_000], 'b2 waits for the next backoff step');
  h.clock.advance(15_999);
  await settle();
  assert.equal(h.sent.length, 5);
  h.clock.advance(1);
  await settle();
  assert.deepEqual(h.sent[5], ['e2']);
  assert.deepEqual(h.clock.pendingTimers, [30_000], 'and the backoff keeps growing across batches');
});

test('Retry-After is honoured even when it arrives on a batch\'s last attempt', async () => {
  const h = harness([response(500), response(500), response(500), response(500), response(429, { retryAfter: '300' })]);
  await exhaustFirstOfTwoBatches(h);
  assert.equal(h.sent.length, 5);
  h.clock.advance(299_999);
  await settle();
  assert.equal(h.sent.length, 5, 'nothing before the 300 s the server asked for');
  h.clock.advance(1);
  await settle();
  assert.deepEqual(h.sent[5], ['e2']);
});

test('batches held in memory stay bounded while the server is down; storage keeps the rest', async () => {
  const clock = new FakeClock();
  const store = memoryBatchStore(1_000_000);
  const uploader = new Uploader({
    clock,
    random: () => 1,
    store,
    send: () => new Promise<UploadResponse>(() => {}), // the first request never answers
    buildRequest: (b) => ({ url: 'u', headers: {}, body: JSON.stringify(b.events), gzip: false }),
    leaseMs: 60_000,
    maxAttempts: 5,
    pauseMs: 60_000,
    maxQueuedSize: 100,
  });
  for (let i = 0; i < 50; i++) uploader.enqueue({ ...batch(`b${i}`, ['x'.repeat(10)]), createdAt: T0 + i });
  await settle();
  const held = Array.from({ length: 50 }, (_, i) => `b${i}`).filter((id) => uploader.has(id));
  assert.deepEqual(held, ['b0', 'b41', 'b42', 'b43', 'b44', 'b45', 'b46', 'b47', 'b48', 'b49'], 'the one in flight plus the newest');
  assert.equal((await store.claim(clock.now() + 3_600_000, 0)).length, 50, 'nothing was deleted from storage');
});
