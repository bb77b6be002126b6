// Driving reel's own UI in tests: the replay list and the player (signing in: testkit/ui-login.ts).

import assert from 'node:assert/strict';
import type { ElementHandle, Frame, Locator, Page } from 'playwright-core';
import { pollUntil } from '../../testkit/poll.ts';
import type { Reel } from '../../testkit/reel-server.ts';

/**
 * The replay list shows a row linking to the replay (the row is the link, or holds it), with or
 * without the replay's project in the link.
 */
export async function expectReplayRow(page: Page, replayId: string): Promise<void> {
  const href = `/replays/${encodeURIComponent(replayId)}`;
  const links = [`[href="${href}"]`, `[href^="${href}?"]`];
  const row = page.locator(links.flatMap((l) => [`[data-testid=replay-row]${l}`, `[data-testid=replay-row]:has(a${l})`]).join(', '));
  await row.first().waitFor({ state: 'visible' });
}

export interface OpenPlayer {
  iframe: ElementHandle<HTMLIFrameElement>;
  frame: Frame;
}

export async function openPlayer(page: Page, reel: Reel, replayId: string): Promise<OpenPlayer> {
  await page.goto(`${reel.baseUrl}/replays/${encodeURIComponent(replayId)}`);
  const handle = await page.waitForSelector('[data-testid=player] .replayer-wrapper iframe', { state: 'attached' });
  const iframe = handle as ElementHandle<HTMLIFrameElement>;
  const frame = await iframe.contentFrame();
  assert.ok(frame, 'the player iframe has no frame');
  return { iframe, frame };
}

/** Visible text of the replayed document; '' while it is being rebuilt. */
export async function replayedText(frame: Frame): Promise<string> {
  try {
    return await frame.evaluate(() => document.body?.innerText ?? '');
  } catch {
    return '';
  }
}

/** Waits until the replayed document shows one of `needles`; returns the one found. */
export function waitForReplayedText(frame: Frame, needles: string[], timeoutMs = 20_000): Promise<string> {
  return pollUntil(
    async () => {
      const text = await replayedText(frame);
      return needles.find((needle) => text.includes(needle));
    },
    { what: `the replayed page to show one of ${JSON.stringify(needles)}`, timeoutMs },
  );
}

/** Values of the text-like inputs of the replayed document (rrweb sets `.value`, not the attribute). */
async function replayedInputValues(frame: Frame): Promise<string[]> {
  try {
    return await frame.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea'))
        .filter((el) => !['checkbox', 'radio', 'submit', 'button', 'hidden'].includes(el.type))
        .map((el) => el.value)
        .filter((value) => value !== ''),
    );
  } catch {
    return [];
  }
}

/**
 * Plays the replay on until its page's inputs show what was typed (`what` names that moment),
 * and asserts that each shows asterisks only: the typing was masked.
 */
export async function playUntilTypingShowsMasked(page: Page, frame: Frame, what: string, timeoutMs: number): Promise<void> {
  await pressPlay(page);
  const values = await pollUntil(
    async () => {
      const filled = await replayedInputValues(frame);
      return filled.length > 0 ? filled : undefined;
    },
    { what, timeoutMs, intervalMs: 100 },
  );
  for (const value of values) {
    assert.match(value, /^[*\s]+$/, `an input of the replayed page shows ${JSON.stringify(value)}, not asterisks`);
  }
}

const PLAY_CONTROLS = ['[data-testid=play-toggle][aria-label^=Play i]', 'button[aria-label^=Play i]'];
const PAUSE_CONTROLS = ['[data-testid=play-toggle][aria-label^=Pause i]', 'button[aria-label^=Pause i]'];

/**
 * Starts playback with the player's play control. Only controls that say "play" are pressed, so
 * a player that started on its own (it shows a pause control) is left playing.
 */
async function pressPlay(page: Page): Promise<void> {
  const play = await firstVisible(page, PLAY_CONTROLS);
  if (play) {
    await play.click();
    return;
  }
  if (await firstVisible(page, PAUSE_CONTROLS)) return;
  throw new Error(`no play control found on the player page (looked for ${PLAY_CONTROLS.join(' | ')})`);
}

async function firstVisible(page: Page, selectors: string[]): Promise<Locator | undefined> {
  for (const selector of selectors) {
    const control = page.locator(selector).first();
    if ((await control.count()) > 0 && (await control.isVisible())) return control;
  }
  return undefined;
}
