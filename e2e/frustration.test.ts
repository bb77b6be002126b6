// (f) Frustration found on the server: a shopper rage-clicks the demo shop's broken "Apply"
// button (each click logs an error and throws) and clicks a link that does nothing. reel's
// processing stage reads the recording and the API shows the counts and derived events naming
// the right elements.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findReplay, getActivity } from '../testkit/api-client.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { parseSessionReplayId } from '../testkit/replay-id.ts';
import { describeWithSetUp } from './lib/suite.ts';

describeWithSetUp(
  'frustration signals from a demo-shop visit',
  { timeout: 180_000 },
  async (defer) => {
    // Facts settle to the end once a session has been idle this long.
    const reel = await startReel({ REEL_PROCESSING_DELAY_MS: '0', REEL_COMPACTION_IDLE_SECONDS: '3' });
    defer(() => reel.stop());
    const shopper = await launchBrowser();
    defer(() => shopper.close());
    return { reel, shopper };
  },
  (env) => {
    test('rage clicks on a broken button and a dead link are counted and named', async () => {
      const { reel, shopper } = env();
      const { page } = shopper;
      page.on('pageerror', () => {}); // the broken button throws on purpose
      await page.goto(`${reel.baseUrl}/demo/checkout.html`);
      const apply = page.locator('#broken');
      for (let i = 0; i < 4; i++) await apply.click({ delay: 20 });
      // Scroll to the footer first, as a person would, then click: a scroll right after a click
      // would count as the page responding.
      const shipping = page.locator('#shipping-info');
      await shipping.scrollIntoViewIfNeeded();
      await page.waitForTimeout(500); // reading the footer: recorded time, not a readiness wait
      await shipping.click();
      const replayId = await page.evaluate(() => (window as unknown as { reel: { getSessionReplayId(): string } }).reel.getSessionReplayId());
      // Mouse movement after the dead click: data that shows the page did nothing for 3 s.
      for (let i = 0; i < 8; i++) {
        await page.mouse.move(100 + i * 20, 300);
        await page.waitForTimeout(500); // a person looking at the page; recorded idle time, not a readiness wait
      }
      await page.evaluate(() => (window as unknown as { reel: { flush(): Promise<void> } }).reel.flush());
      const { deviceId, sessionId } = parseSessionReplayId(replayId);

      const replay = await pollUntil(
        async () => {
          const found = await findReplay(reel, deviceId, sessionId, 'limit=100');
          return found && !found.processing_pending ? found : undefined;
        },
        { what: 'the visit to be listed and processed', timeoutMs: 60_000 },
      );
      const { events } = await getActivity(reel, replay.id);
      const names = (type: string): string[] => events.filter((e) => e.event_type === type).map((e) => e.display_name);
      const derived = events.filter((e) => e.derived).map((e) => `${e.event_type}: ${e.display_name}`);
      assert.ok(replay.rage_click_count >= 1, `rage clicks: ${JSON.stringify(replay)} ${JSON.stringify(derived)}`);
      assert.ok(replay.dead_click_count >= 2, `dead clicks (the unresponsive button, the link): ${JSON.stringify(derived)}`);
      assert.ok(replay.error_click_count >= 1, `error clicks: ${JSON.stringify(replay)}`);
      assert.ok(replay.runtime_error_count >= 4, `runtime errors: ${JSON.stringify(replay)}`);
      assert.ok(replay.click_count >= 5, `clicks: ${JSON.stringify(replay)}`);

      assert.deepEqual(names('[reel] Rage Click'), ["Rage clicked 'Apply' button"]);
      const dead = names('[reel] Dead Click');
      assert.ok(dead.includes("Dead click on 'Shipping & returns' link"), `dead clicks: ${JSON.stringify(dead)}`);
      assert.ok(dead.includes("Dead click on 'Apply' button"), `dead clicks: ${JSON.stringify(dead)}`);
      const rage = events.find((e) => e.event_type === '[reel] Rage Click')!;
      assert.equal(rage.derived, true);
      assert.equal(rage.event_properties['[reel] Element ID'], 'broken');
      assert.equal(rage.event_properties['[reel] Element Tag'], 'button');
      assert.ok(names('[reel] Error Click').length >= 1, 'an error click');
    });
  },
);
