// Uploading hand-built recordings the way an SDK in a browser does (testkit/ingest.ts sends them),
// and waiting until reel lists what was uploaded.

import { findReplay } from '../../testkit/api-client.ts';
import type { RecordedEvent, Replay } from '../../testkit/api-types.ts';
import { DESKTOP_CHROME_USER_AGENT } from '../../testkit/browser.ts';
import { track } from '../../testkit/ingest.ts';
import { pollUntil } from '../../testkit/poll.ts';
import type { Reel } from '../../testkit/reel-server.ts';
import { toJson } from './json.ts';

/** One session's events, sent the way Amplitude's replay SDK sends them. */
export interface Recording {
  deviceId: string;
  sessionId: number;
  events: RecordedEvent[];
}

/** Uploads events like an SDK in a browser would (its User-Agent included), unpacked JSON strings. */
export async function uploadEvents(
  reel: Reel,
  deviceId: string,
  sessionId: number,
  events: RecordedEvent[],
  userAgent = DESKTOP_CHROME_USER_AGENT,
): Promise<void> {
  await track(reel, { deviceId, sessionId, events: events.map(toJson), headers: { 'User-Agent': userAgent } });
}

/**
 * Uploads a recording through `POST /sessions/v2/track` with the project's public key (what
 * anyone on the internet can do), checks reel accepted every event, and waits until the query
 * API lists it.
 */
export async function uploadRecording(reel: Reel, recording: Recording): Promise<Replay> {
  const answer = await track(reel, { ...recording, events: recording.events.map(toJson) });
  if (answer.events_accepted !== recording.events.length) {
    throw new Error(`reel accepted ${answer.events_accepted} of ${recording.events.length} events: ${JSON.stringify(answer)}`);
  }
  const times = recording.events.map((event) => event.timestamp);
  const range = new URLSearchParams({
    limit: '100',
    start: new Date(Math.min(...times) - 60_000).toISOString(),
    end: new Date(Math.max(...times) + 60_000).toISOString(),
  });
  return pollUntil(() => findReplay(reel, recording.deviceId, recording.sessionId, range.toString()), {
    what: `reel to list the replay of ${recording.deviceId}`,
    timeoutMs: 10_000,
  });
}
