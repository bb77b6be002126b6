// The replay-id codec against the cases the server's codec is tested with too
// (testdata/replay-ids.json): a link or lookup built here names the replay reel stored.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeReplayId, encodeReplayId, parseSessionReplayId } from './replay-id.ts';

interface Case {
  device_id: string;
  session_id: string;
  replay_id: string;
}

const { cases } = JSON.parse(readFileSync(new URL('../testdata/replay-ids.json', import.meta.url), 'utf8')) as { cases: Case[] };

test('the shared fixture has cases, among them session ids beyond safe integers', () => {
  assert.ok(cases.length >= 5);
  assert.ok(cases.some((c) => !Number.isSafeInteger(Number(c.session_id))));
});

test('every fixture session encodes to its replay id, and the id decodes back to the session', () => {
  for (const { device_id, session_id, replay_id } of cases) {
    assert.equal(encodeReplayId(device_id, session_id), replay_id, `${device_id}/${session_id}`);
    assert.deepEqual(decodeReplayId(replay_id), { deviceId: device_id, sessionId: session_id }, replay_id);
  }
});

test('a number or bigint session id gives the same replay id as its digits', () => {
  assert.equal(encodeReplayId('device-abc123', 1767225600000), encodeReplayId('device-abc123', '1767225600000'));
  assert.equal(encodeReplayId('-', 9223372036854775807n), 'LS85MjIzMzcyMDM2ODU0Nzc1ODA3');
  assert.throws(() => encodeReplayId('d', 9007199254740993), /not a safe integer/);
  assert.throws(() => encodeReplayId('d', 'soon'), /not a session id/);
});

test('what reel never makes is refused, not misread', () => {
  // Padding, a stray character, stray bits after the last byte (`YWIvMQ` is "ab/1"), bytes that
  // are not UTF-8 (0xff), no session id, no slash at all.
  for (const bad of ['ZC8x=', 'ZC8x!', 'YWIvMR', '_y8x', 'ZC8', 'ZGV2aWNl', '']) {
    assert.throws(() => decodeReplayId(bad), /not a (replay|session replay) id/, JSON.stringify(bad));
  }
});

test("an SDK's session replay id splits at its last slash", () => {
  assert.deepEqual(parseSessionReplayId('a/b/c/42'), { deviceId: 'a/b/c', sessionId: '42' });
  for (const bad of ['/42', 'device/', 'device', 'device/4x2']) {
    assert.throws(() => parseSessionReplayId(bad), /not a session replay id/, bad);
  }
});
