// Reading and driving reel's player (web/src/player/) in tests: the playhead, where a seek
// landed, the play state.

import type { Page } from 'playwright-core';
import { pollUntil } from '../../testkit/poll.ts';

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
  // The control says "paused" at once; the timeline shows where it stopped from the player's next
  // frame on. Before it, the timeline can still hold the last frame's playhead.
  await nextFrame(page);
  return position(page);
}

/** Resolves once the page has drawn another frame (the player's own frame callback comes first). */
async function nextFrame(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done(undefined))));
}
