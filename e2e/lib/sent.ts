// What an SDK in a page sent: the bodies of its replay uploads (`/sessions/v2/track`, gzip or
// not, beacons included) decoded to rrweb events, and the answers to its analytics uploads. It
// tells what an SDK did apart from what the server kept.

import { gunzipSync } from 'node:zlib';
import type { Page, Request, Response } from 'playwright-core';
import type { RecordedEvent } from '../../testkit/api-types.ts';

export interface Sent {
  /** Every rrweb event of every replay upload so far. */
  replayEvents(): RecordedEvent[];
  /** Every `/2/httpapi` answer so far: its status and the events it carried. */
  analytics(): Array<{ status: number; events: SentEvent[] }>;
}

/** An analytics event as an SDK sent it (the fields the tests read). */
export interface SentEvent {
  event_type?: string;
  insert_id?: string;
  event_properties?: Record<string, unknown>;
}

export function watchSent(page: Page): Sent {
  const replay: RecordedEvent[] = [];
  const analytics: Array<{ status: number; events: SentEvent[] }> = [];
  page.on('request', (request: Request) => {
    if (new URL(request.url()).pathname !== '/sessions/v2/track') return;
    const body = decode(request.postDataBuffer());
    if (!body) return;
    try {
      const parsed = JSON.parse(body) as { events?: unknown[] };
      for (const event of parsed.events ?? []) {
        replay.push((typeof event === 'string' ? JSON.parse(event) : event) as RecordedEvent);
      }
    } catch {
      // Not the wire format: nothing an SDK of ours sends.
    }
  });
  page.on('response', (response: Response) => {
    if (new URL(response.url()).pathname !== '/2/httpapi') return;
    const body = decode(response.request().postDataBuffer());
    let events: SentEvent[] = [];
    try {
      events = (JSON.parse(body ?? '{}') as { events?: SentEvent[] }).events ?? [];
    } catch {
      // counted without its events
    }
    analytics.push({ status: response.status(), events });
  });
  return { replayEvents: () => [...replay], analytics: () => [...analytics] };
}

function decode(buffer: Buffer | null): string | undefined {
  if (!buffer || buffer.length === 0) return undefined;
  const gzip = buffer[0] === 0x1f && buffer[1] === 0x8b;
  return (gzip ? gunzipSync(buffer) : buffer).toString('utf8');
}

/** Console records among rrweb events (the console plugin's). */
export function consoleRecords(events: RecordedEvent[]): RecordedEvent[] {
  return events.filter((e) => e.type === 6 && (e.data as { plugin?: string }).plugin === 'rrweb/console@1');
}
