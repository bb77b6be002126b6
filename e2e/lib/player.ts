// Driving and reading reel's player (web/src/player/) in tests.

import type { Page } from 'playwright-core';
import type { RrwebEvent } from './api.ts';
import { toJson } from './json.ts';
import { pollUntil } from './poll.ts';
import type { Reel } from './reel.ts';

/** A desktop Chrome, as reel parses it: Chrome on macOS, a desktop. */
export const DESKTOP_CHROME_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The replay id reel files a session under: base64url of `<device_id>/<session_id>`. */
export function replayIdOf(deviceId: string, sessionId: number): string {
  return Buffer.from(`${deviceId}/${sessionId}`).toString('base64url');
}

/** Uploads events like an SDK in a browser would (its User-Agent included), unpacked JSON strings. */
export async function uploadEvents(reel: Reel, deviceId: string, sessionId: number, events: RrwebEvent[], userAgent = DESKTOP_CHROME_UA): Promise<void> {
  const query = new URLSearchParams({ device_id: deviceId, session_id: String(sessionId), type: 'replay' });
  const response = await fetch(`${reel.baseUrl}/sessions/v2/track?${query}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${reel.apiKey}`, 'Content-Type': 'application/json', 'User-Agent': userAgent },
    body: JSON.stringify({ version: 1, events: events.map(toJson) }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`the upload answered ${response.status}: ${text.slice(0, 300)}`);
}

/** Sends analytics events of a session through `/2/httpapi`, as Amplitude's SDKs do. */
export async function sendAnalytics(reel: Reel, events: Array<Record<string, unknown>>): Promise<void> {
  const response = await fetch(`${reel.baseUrl}/2/httpapi`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: reel.apiKey, events }),
  });
  if (response.status !== 200) throw new Error(`/2/httpapi answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
}

/** The playhead in ms from the start (the timeline's value). */
export async function position(page: Page): Promise<number> {
  return Number(await page.getByTestId('timeline').inputValue());
}

/** Where the player's last seek landed, in ms from the start. */
export async function landedAt(page: Page): Promise<number> {
  return Number(await page.getByTestId('player-shell').getAttribute('data-shown'));
}

export async function playState(page: Page): Promise<string | null> {
  return page.getByTestId('play-toggle').getAttribute('data-state');
}

/** Waits until the player holds what it needs and shows a frame (not loading). */
export async function waitUntilReady(page: Page, timeoutMs = 30_000): Promise<void> {
  await pollUntil(
    async () => ((await page.getByTestId('player-shell').getAttribute('data-state')) === 'ready' ? true : undefined),
    { what: 'the player to be ready (data-state=ready)', timeoutMs, intervalMs: 50 },
  );
}

/** Waits until the playhead passes `offset` (ms from the start) while playing. */
export async function waitUntilPast(page: Page, offset: number, timeoutMs = 15_000): Promise<number> {
  return pollUntil(
    async () => {
      const at = await position(page);
      return at >= offset && (await playState(page)) === 'playing' ? at : undefined;
    },
    { what: `the playhead to play past ${offset} ms`, timeoutMs, intervalMs: 50 },
  );
}

/** Pauses with the play control (if playing) and returns where it stopped. */
export async function pause(page: Page): Promise<number> {
  if ((await playState(page)) === 'playing') await page.getByTestId('play-toggle').click();
  await pollUntil(async () => ((await playState(page)) === 'paused' ? true : undefined), { what: 'the player to pause', timeoutMs: 5_000, intervalMs: 50 });
  return position(page);
}
