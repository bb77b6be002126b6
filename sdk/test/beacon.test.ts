import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Length } from '../src/env';
import type { StoredBatch } from '../src/store';
import { BEACON_LIMIT_BYTES, beaconsFor, type WireConfig } from '../src/wire';

const config: WireConfig = { apiKey: 'key-123', serverUrl: 'https://reel.test', sampleRate: 1, pageUrl: () => 'https://shop.test/' };

function replayBatch(events: string[]): StoredBatch {
  return { id: 'b1', kind: 'replay', replayId: 'dev-1/1700000000000', events, size: 0, createdAt: 0, leaseUntil: 0 };
}

function rrwebEvent(i: number, payloadChars: number, char = 'x'): string {
  return JSON.stringify({ type: 3, data: { source: 0, text: char.repeat(payloadChars), i }, timestamp: 1_700_000_000_000 + i });
}

test('replay beacons stay within 64 KB, keep order, and lose nothing', () => {
  const cases: Array<{ name: string; events: string[]; beacons: number; tooLarge: number }> = [
    { name: 'small batch, one beacon', events: [rrwebEvent(1, 100), rrwebEvent(2, 100)], beacons: 1, tooLarge: 0 },
    { name: 'just over 64 KB splits in two', events: Array.from({ length: 70 }, (_, i) => rrwebEvent(i, 1000)), beacons: 2, tooLarge: 0 },
    { name: 'multi-byte text is counted in bytes', events: Array.from({ length: 70 }, (_, i) => rrwebEvent(i, 500, 'é')), beacons: 2, tooLarge: 0 },
    { name: 'quotes are counted after escaping', events: Array.from({ length: 40 }, (_, i) => rrwebEvent(i, 1000, '"')), beacons: 3, tooLarge: 0 },
    { name: 'an event over 64 KB cannot travel by beacon', events: [rrwebEvent(1, 10), rrwebEvent(2, 70_000), rrwebEvent(3, 10)], beacons: 1, tooLarge: 1 },
  ];
  for (const { name, events, beacons, tooLarge } of cases) {
    const result = beaconsFor(config, replayBatch(events), 0);
    assert.equal(result.beacons.length, beacons, name);
    assert.equal(result.tooLarge.length, tooLarge, name);
    for (const beacon of result.beacons) {
      assert.ok(utf8Length(beacon.body) <= BEACON_LIMIT_BYTES, `${name}: ${utf8Length(beacon.body)} bytes`);
      const body = JSON.parse(beacon.body) as { version: number; events: string[] };
      assert.equal(body.version, 2, name);
      assert.deepEqual(body.events, beacon.events, name);
      assert.equal(beacon.type, 'application/json');
      assert.equal(beacon.url, 'https://reel.test/sessions/v2/track?device_id=dev-1&session_id=1700000000000&type=replay&api_key=key-123');
    }
    const sent = result.beacons.flatMap((b) => b.events);
    assert.deepEqual([...sent, ...result.tooLarge].sort(), [...events].sort(), name);
    assert.deepEqual(sent, events.filter((e) => !result.tooLarge.includes(e)), `${name}: order`);
  }
});

test('a Meta whose FullSnapshot is too large for a beacon stays with it for the fetch path', () => {
  const meta = JSON.stringify({ type: 4, data: { href: 'https://shop.test/', width: 1280, height: 800 }, timestamp: 2 });
  const snapshot = JSON.stringify({ type: 2, data: { node: { type: 0, id: 1, text: 'x'.repeat(70_000) }, initialOffset: { top: 0, left: 0 } }, timestamp: 2 });
  const events = [rrwebEvent(1, 10), meta, snapshot, rrwebEvent(3, 10)];
  const { beacons, tooLarge } = beaconsFor(config, replayBatch(events), 0);
  assert.deepEqual(tooLarge, [meta, snapshot]);
  assert.deepEqual(beacons.flatMap((b) => b.events), [events[0], events[3]]);
});

test('a beacon is filled close to the limit, not split early', () => {
  const events = Array.from({ length: 200 }, (_, i) => rrwebEvent(i, 1000));
  const { beacons } = beaconsFor(config, replayBatch(events), 0);
  for (const beacon of beacons.slice(0, -1)) assert.ok(utf8Length(beacon.body) > BEACON_LIMIT_BYTES - 1200);
});

test('analytics beacons are text/plain /2/httpapi bodies within 64 KB', () => {
  const events = Array.from({ length: 300 }, (_, i) => JSON.stringify({ event_type: 'e', insert_id: String(i), event_properties: { pad: 'p'.repeat(400) } }));
  const batch: StoredBatch = { id: 'a1', kind: 'analytics', replayId: '', events, size: 0, createdAt: 0, leaseUntil: 0 };
  const { beacons, tooLarge } = beaconsFor(config, batch, Date.UTC(2024, 0, 1));
  assert.equal(tooLarge.length, 0);
  assert.ok(beacons.length >= 2);
  let count = 0;
  for (const beacon of beacons) {
    assert.equal(beacon.url, 'https://reel.test/2/httpapi');
    assert.equal(beacon.type, 'text/plain');
    assert.ok(utf8Length(beacon.body) <= BEACON_LIMIT_BYTES);
    const body = JSON.parse(beacon.body) as { api_key: string; events: unknown[]; client_upload_time: string };
    assert.equal(body.api_key, 'key-123');
    assert.equal(body.client_upload_time, '2024-01-01T00:00:00.000Z');
    count += body.events.length;
  }
  assert.equal(count, 300);
});
