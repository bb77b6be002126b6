import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSampled, sampleBucket, SessionTracker } from '../src/session';
import { FakeClock, MemoryStorage } from './support';

const TIMEOUT = 30 * 60 * 1000;
const KEY = 'reel:session:test';

function tracker(storage: MemoryStorage, clock: FakeClock, ids: string[] = ['device-1', 'device-2']): SessionTracker {
  return new SessionTracker(storage, KEY, clock, TIMEOUT, () => ids.shift() ?? 'device-x');
}

test('session id is the start time, kept while active, renewed after the inactivity timeout', () => {
  // Each step: advance the clock, touch, expect (started, session id offset from t0).
  const cases: Array<{ name: string; steps: Array<[advanceMs: number, started: boolean, sessionOffset: number]> }> = [
    { name: 'first touch starts a session', steps: [[0, true, 0]] },
    { name: 'activity within the timeout keeps it', steps: [[0, true, 0], [TIMEOUT - 1, false, 0], [TIMEOUT - 1, false, 0]] },
    { name: 'exactly the timeout keeps it', steps: [[0, true, 0], [TIMEOUT, false, 0]] },
    { name: 'one ms past the timeout starts a new one', steps: [[0, true, 0], [TIMEOUT + 1, true, TIMEOUT + 1]] },
    {
      name: 'the timeout counts from the last activity, not the start',
      steps: [[0, true, 0], [20 * 60_000, false, 0], [20 * 60_000, false, 0], [TIMEOUT + 5, true, 40 * 60_000 + TIMEOUT + 5]],
    },
  ];
  for (const { name, steps } of cases) {
    const clock = new FakeClock();
    const t0 = clock.now();
    const sessions = tracker(new MemoryStorage(), clock);
    for (const [advance, started, offset] of steps) {
      clock.advance(advance);
      const touch = sessions.touch();
      assert.deepEqual({ started: touch.started, sessionId: touch.sessionId }, { started, sessionId: t0 + offset }, name);
      assert.equal(sessions.sessionId, t0 + offset, name);
    }
  }
});

test('device id and session survive a page load through storage', () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const first = tracker(storage, clock);
  const { sessionId } = first.touch();
  first.setUserId('user-7');

  clock.advance(5_000);
  const second = tracker(storage, clock, ['never-used']);
  assert.equal(second.deviceId, 'device-1');
  assert.deepEqual(second.touch(), { sessionId, started: false });
  assert.equal(second.userId, 'user-7');
});

test('a session kept alive by another tab is not restarted', () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const tabA = tracker(storage, clock);
  const { sessionId } = tabA.touch();
  const tabB = tracker(storage, clock);
  clock.advance(TIMEOUT - 1000);
  tabB.touch(); // B is active while A sits idle
  clock.advance(2000); // A's own last activity is now past the timeout
  assert.deepEqual(tabA.touch(), { sessionId, started: false });
});

test('unreadable storage yields a fresh device instead of an error', () => {
  for (const stored of ['not json', '{"sessionId":5}', 'null', '[]']) {
    const storage = new MemoryStorage();
    storage.setItem(KEY, stored);
    const sessions = tracker(storage, new FakeClock());
    assert.equal(sessions.deviceId, 'device-1', stored);
    assert.equal(sessions.touch().started, true, stored);
  }
});

test('sampling is a pure function of the session id', () => {
  const cases: Array<[rate: number, sessionId: number, expected: boolean]> = [
    [1, 1_700_000_000_000, true],
    [0, 1_700_000_000_000, false],
    [-1, 1_700_000_000_000, false],
    [Number.NaN, 1_700_000_000_000, false],
    [2, 1_700_000_000_000, true],
  ];
  for (const [rate, sessionId, expected] of cases) assert.equal(isSampled(sessionId, rate), expected, `rate ${rate}`);

  for (let id = 1_700_000_000_000; id < 1_700_000_000_050; id++) {
    assert.equal(isSampled(id, 0.3), isSampled(id, 0.3));
    const bucket = sampleBucket(id);
    assert.ok(bucket >= 0 && bucket < 1);
  }
});

test('consecutive session ids spread evenly over the sample', () => {
  const n = 20_000;
  for (const rate of [0.1, 0.5, 0.9]) {
    let recorded = 0;
    for (let i = 0; i < n; i++) if (isSampled(1_700_000_000_000 + i, rate)) recorded++;
    assert.ok(Math.abs(recorded / n - rate) < 0.02, `rate ${rate}: got ${recorded / n}`);
  }
});

test('two tabs that opened a session at the same moment converge on one', () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const tabA = tracker(storage, clock);
  const tabB = tracker(storage, clock);
  // Both tabs read the expired state before either wrote: A writes first, B's write lands last.
  const before = storage.getItem(KEY)!;
  tabA.touch();
  storage.setItem(KEY, before);
  clock.advance(1);
  const { sessionId } = tabB.touch();
  assert.notEqual(tabA.sessionId, sessionId);

  for (let i = 0; i < 3; i++) {
    clock.advance(1500);
    tabA.touch();
    tabB.touch();
  }
  assert.equal(tabA.sessionId, sessionId);
  assert.equal(tabB.sessionId, sessionId);
  assert.equal(JSON.parse(storage.getItem(KEY)!).sessionId, sessionId);
});

test('two tabs that created a device at the same moment converge on one', () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const tabA = tracker(storage, clock, ['device-a']);
  storage.removeItem(KEY); // B's constructor read storage before A's constructor wrote it
  const tabB = tracker(storage, clock, ['device-b']);
  tabB.touch();
  clock.advance(1);
  tabA.touch(); // A opens a session on its own device and overwrites B's
  for (let i = 0; i < 3; i++) {
    clock.advance(1500);
    tabA.touch();
    tabB.touch();
  }
  assert.equal(tabA.deviceId, tabB.deviceId);
  assert.equal(tabA.sessionId, tabB.sessionId);
});
