// The check of `scripts/scale-demo.sh --check` (`make scale-demo-check`): a visit to the demo
// shop recorded into node A — a recorded demo visit (crates/reel/demo-recordings) moved to now,
// uploaded to A as reel's SDK sends it (`/sessions/v2/track` in SDK-sized gzip'd batches, its
// analytics through `/2/httpapi`) under a device and user of its own — then what node B, on the
// same PostgreSQL, ClickHouse and bucket, answers of it:
//
//   events-on-b         B's User Look-Up of the visit's user has the events A has
//   replay-listed-on-b  B's replay list has the visit
//   replay-plays-on-b   B answers the visit's recorded events, as many as A does
//
// Each is reported as holding or not; the run fails when one named in REEL_DEMO_REQUIRED fails
// (scale-demo.sh's REQUIRED_ON_B), or when node A itself does not have the visit.
//
// Environment (set by scale-demo.sh): NODE_A_URL, NODE_B_URL, REEL_DEMO_API_KEY,
// REEL_DEMO_ADMIN_TOKEN, REEL_DEMO_REQUIRED (space-separated check names).

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { findReplay, getJson, getReplayEvents, type AdminApi } from '../testkit/api-client.ts';
import type { UserProfile } from '../testkit/api-types.ts';
import { sdkBatches, sendAnalytics, uploadBatches, type IngestServer } from '../testkit/ingest.ts';
import { pollUntil } from '../testkit/poll.ts';
import { encodeReplayId } from '../testkit/replay-id.ts';

const CHECKS = ['events-on-b', 'replay-listed-on-b', 'replay-plays-on-b'] as const;
type Check = (typeof CHECKS)[number];

/** How long a required check may take to hold (ClickHouse's feed hands events on within seconds). */
const REQUIRED_WITHIN_MS = 60_000;
/** How long a check not required yet is given, after A has the visit and B its events. */
const NOT_REQUIRED_WITHIN_MS = 10_000;

interface DemoRecording {
  recorded_origin: string;
  user_agent: string;
  events: Array<{ type: number; timestamp: number }>;
  analytics: Array<{ event_type: string; time_ms: number; event_properties?: Record<string, unknown> | null }>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/scale-demo.sh --check`);
  return value;
}

const nodeA = env('NODE_A_URL');
const nodeB = env('NODE_B_URL');
const apiKey = env('REEL_DEMO_API_KEY');
const adminToken = env('REEL_DEMO_ADMIN_TOKEN');
const required = new Set((process.env.REEL_DEMO_REQUIRED ?? '').split(/\s+/).filter(Boolean));
for (const name of required) {
  if (!(CHECKS as readonly string[]).includes(name)) throw new Error(`REEL_DEMO_REQUIRED names an unknown check ${name}`);
}

const ingestA: IngestServer = { baseUrl: nodeA, apiKey };
const apiA: AdminApi = { baseUrl: nodeA, adminToken };
const apiB: AdminApi = { baseUrl: nodeB, adminToken };

/** The checkout visit, moved to end a minute ago and onto node A, as its own device and user. */
function visit(): { deviceId: string; sessionId: number; userId: string; events: string[]; analytics: Array<Record<string, unknown>> } {
  const path = new URL('../crates/reel/demo-recordings/checkout.json.gz', import.meta.url);
  const recording = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as DemoRecording;
  const times = recording.events.map((e) => e.timestamp);
  const recordedStart = Math.min(...times);
  const sessionId = Date.now() - (Math.max(...times) - recordedStart) - 60_000;
  const shift = sessionId - recordedStart;
  const origin = recording.recorded_origin.replace(/\/+$/, '');
  const deviceId = `scale-demo-check-${sessionId}`;
  const userId = `scale-check-${sessionId}@example.com`;
  const moveText = (text: string): string => text.split(origin).join(nodeA);
  const events = recording.events.map((event) => moveText(JSON.stringify({ ...event, timestamp: event.timestamp + shift })));
  const analytics = recording.analytics.map((event, i) => ({
    event_type: event.event_type,
    time: event.time_ms + shift,
    device_id: deviceId,
    user_id: userId,
    session_id: sessionId,
    insert_id: `${deviceId}-${i}`,
    event_properties: {
      ...(JSON.parse(moveText(JSON.stringify(event.event_properties ?? {}))) as Record<string, unknown>),
      '[Amplitude] Session Replay ID': `${deviceId}/${sessionId}`,
    },
  }));
  return { deviceId, sessionId, userId, events, analytics };
}

async function lookUp(api: AdminApi, userId: string): Promise<UserProfile> {
  return getJson<UserProfile>(api, `/api/v1/users/${encodeURIComponent(userId)}`);
}

/** The first value `check` gives within `timeoutMs`, or undefined when none came. */
async function within<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await pollUntil(check, { what, timeoutMs, intervalMs: 500 });
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const v = visit();
  const replayId = encodeReplayId(v.deviceId, v.sessionId);
  console.log(`check: uploading a demo-shop visit to node A (${nodeA}): device ${v.deviceId}, user ${v.userId}, ${v.events.length} rrweb events, ${v.analytics.length} analytics events`);
  await uploadBatches(ingestA, v.deviceId, v.sessionId, sdkBatches(v.events));
  await sendAnalytics(ingestA, v.analytics);

  // Node A has the visit: listed, playable, its user's events counted.
  const onA = await pollUntil(
    async () => {
      const replay = await findReplay(apiA, v.deviceId, v.sessionId);
      if (!replay) return undefined;
      const events = await getReplayEvents(apiA, replayId);
      const profile = await lookUp(apiA, v.userId);
      return profile.user.event_count >= v.analytics.length ? { replay, events: events.length, profile } : undefined;
    },
    { what: `node A to list, play and look up the visit ${replayId}`, timeoutMs: REQUIRED_WITHIN_MS },
  );
  console.log(`check: node A has it: replay ${replayId} listed with ${onA.events} events, user ${v.userId} with ${onA.profile.user.event_count} events`);

  const wait = (check: Check): number => (required.has(check) ? REQUIRED_WITHIN_MS : NOT_REQUIRED_WITHIN_MS);
  const results = new Map<Check, string | undefined>();
  const eventsOnB = await within('B to look up the user as A does', wait('events-on-b'), async () => {
    const profile = await lookUp(apiB, v.userId);
    const a = (await lookUp(apiA, v.userId)).user.event_count;
    return profile.user.event_count === a ? `B's User Look-Up has the user's ${a} events` : undefined;
  });
  results.set('events-on-b', eventsOnB);
  results.set(
    'replay-listed-on-b',
    await within("the visit in B's replay list", wait('replay-listed-on-b'), async () =>
      (await findReplay(apiB, v.deviceId, v.sessionId)) ? `B lists replay ${replayId}` : undefined,
    ),
  );
  results.set(
    'replay-plays-on-b',
    await within("the visit's events from B", wait('replay-plays-on-b'), async () => {
      const events = await getReplayEvents(apiB, replayId);
      return events.length === onA.events ? `B answers the replay's ${events.length} events` : undefined;
    }),
  );

  let failed = 0;
  console.log('\ncheck: what node B sees of the visit node A recorded');
  for (const check of CHECKS) {
    const held = results.get(check);
    const need = required.has(check);
    const verdict = held !== undefined ? 'holds' : need ? 'FAILS' : 'does not hold (not required yet)';
    if (held === undefined && need) failed += 1;
    const note = held !== undefined && !need ? ' (holds already: add it to REQUIRED_ON_B in scripts/scale-demo.sh)' : '';
    console.log(`  ${check.padEnd(19)} ${verdict}${held !== undefined ? `: ${held}` : ''}${note}`);
  }
  console.log(failed === 0 ? 'check: passed' : `check: ${failed} required check(s) failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`check: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
