// Sessions still recording: the replay list shows new sessions at the top by itself (no reload,
// the viewer keeps their scroll position and focus), and the player of a live session shows
// "Live" and follows new data as it arrives.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedEvent } from '../testkit/api-types.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { encodeReplayId } from '../testkit/replay-id.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { position, waitUntilReady } from './lib/player.ts';
import { append, fullSnapshot, meta, mouseMove, NodeIds } from './lib/recordings.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { waitForReplayedText } from './lib/ui.ts';
import { uploadEvents } from './lib/uploads.ts';

describeWithSetUp(
  'sessions still recording',
  { timeout: 240_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    await logInThroughUi(viewer.page, reel);
    return { reel, viewer };
  },
  (env) => {
    test('the replay list shows a new session at the top by itself, keeping scroll position and focus', async () => {
      const { reel, viewer } = env();
      const { page } = viewer;
      // Short enough that the list scrolls.
      await page.setViewportSize({ width: 1280, height: 420 });
      await page.goto(`${reel.baseUrl}/replays`);
      await page.locator('.replay-item').first().waitFor();
      const before = await page.locator('.replay-item').count();
      assert.ok(before >= 2, `the demo sessions are listed (${before})`);
      // Scrolled to the bottom, the last row focused; a mark that a reload would lose.
      const last = page.locator('.replay-item').last();
      await page.evaluate(() => {
        (window as unknown as { stillHere: boolean }).stillHere = true;
        window.scrollTo(0, document.documentElement.scrollHeight);
      });
      await last.locator('a.replay-row').focus();
      const scrolled = await page.evaluate(() => window.scrollY);
      assert.ok(scrolled > 0, 'the list does not scroll: the test cannot tell whether the place is kept');
      const topBefore = (await last.boundingBox())!.y;

      const ids = new NodeIds();
      const t0 = Date.now() - 5_000;
      const built = ids.page([], [ids.element('p', {}, ids.text('A brand new visit'))]);
      await uploadEvents(reel, 'live-list-new', t0, [meta(t0, 'https://shop.test/new'), fullSnapshot(t0 + 1, built.root), mouseMove(t0 + 1_000, 5, 5, built.body.id)]);
      const id = encodeReplayId('live-list-new', t0);

      await pollUntil(async () => ((await page.locator('.replay-item').first().getAttribute('data-key')) === id ? true : undefined), {
        what: 'the new session at the top of the list',
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      assert.equal(await page.locator('.replay-item').count(), before + 1);
      assert.equal(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'the page was reloaded');
      const focused = await page.evaluate(() => document.activeElement?.closest('.replay-item')?.getAttribute('data-key'));
      assert.equal(focused, await last.getAttribute('data-key'), 'focus moved');
      const topAfter = (await last.boundingBox())!.y;
      assert.ok(Math.abs(topAfter - topBefore) <= 2, `the row the viewer looked at moved from y=${topBefore} to y=${topAfter}`);
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    test('a session still recording shows Live, and the player follows new data as it arrives', async () => {
      const { reel, viewer } = env();
      const { page } = viewer;
      const ids = new NodeIds();
      const t0 = Date.now() - 20_000;
      const built = ids.page([], [ids.element('p', {}, ids.text('Live part one'))]);
      const first: RecordedEvent[] = [meta(t0, 'https://shop.test/live'), fullSnapshot(t0 + 1, built.root)];
      for (let at = 1_000; at <= 15_000; at += 1_000) first.push(mouseMove(t0 + at, at / 100, 20, built.body.id));
      await uploadEvents(reel, 'live-follow', t0, first);
      const id = encodeReplayId('live-follow', t0);

      await page.goto(`${reel.baseUrl}/replays/${id}?skip=0&speed=4`);
      await waitUntilReady(page);
      await page.getByTestId('header-live-badge').waitFor({ state: 'visible' });
      await page.getByTestId('live-badge').waitFor({ state: 'visible' });
      const frame = await (await page.waitForSelector('[data-testid=player] iframe', { state: 'attached' })).contentFrame();
      assert.ok(frame);
      await waitForReplayedText(frame, ['Live part one']);
      // Plays to the live edge and waits there.
      await pollUntil(async () => ((await position(page)) >= 14_500 ? true : undefined), { what: 'the player to reach the live edge', timeoutMs: 15_000 });
      const totalBefore = Number(await page.getByTestId('timeline').getAttribute('max'));

      // More data arrives while the viewer watches.
      const t1 = Date.now();
      // rrweb lists each added node on its own (a mutation does not build children).
      const paragraph = ids.element('p', {});
      const text = ids.text('Live part two');
      await uploadEvents(reel, 'live-follow', t0, [
        append(t1, built.body.id, paragraph),
        append(t1, paragraph.id, text),
        mouseMove(t1 + 500, 60, 60, built.body.id),
      ]);
      await waitForReplayedText(frame, ['Live part two'], 30_000);
      const totalAfter = Number(await page.getByTestId('timeline').getAttribute('max'));
      assert.ok(totalAfter >= totalBefore + (t1 - t0 - 15_000), `the timeline did not grow: ${totalBefore} → ${totalAfter}`);
      assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
    });
  },
);
