// (a) reel's own SDK on the demo shop: a visit is recorded with masking, console and network
// problems, and can be found and replayed in reel's UI.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { findReplay, getReplayEvents } from '../testkit/api-client.ts';
import type { RecordedEvent, Replay } from '../testkit/api-types.ts';
import { launchBrowser, watchPageProblems } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { parseSessionReplayId } from '../testkit/replay-id.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { assertMasked, unexpectedConsoleErrors } from './lib/assertions.ts';
import { EventType, hasEvent, pluginEvents } from './lib/rrweb.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { expectReplayRow, openPlayer, playUntilTypingShowsMasked, waitForReplayedText } from './lib/ui.ts';

const TYPED_NAME = 'Zelda Quintessa';
const TYPED_EMAIL = 'zelda.quintessa@example.test';
const CHECKOUT_PATH = '/demo/api/checkout';

describeWithSetUp(
  "reel's SDK on the demo shop",
  { timeout: 240_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const shopper = await launchBrowser();
    defer(() => shopper.close());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    return { reel, shopper, viewer };
  },
  (env) => {
    // Filled by the recording test, read by the replay test.
    let replay: Replay | undefined;
    let shopTexts: string[] = [];

    test('a shopping visit is stored masked, with its console errors and failed request', async () => {
      const { reel, shopper } = env();
      const { page } = shopper;
      const shopProblems = watchPageProblems(page);

      await page.goto(`${reel.baseUrl}/demo/`);
      const productLink = page.locator('[data-testid=product-link]').first();
      // Texts of the first page, to recognise it in the replay: the shop's headline and a product name.
      shopTexts = [await headingText(page), (await productLink.innerText()).split('\n')[0]!.trim()];
      const firstReplayId = await sessionReplayId(page);

      await clickAndWaitForNavigation(page, () => productLink.click());
      await page.locator('[data-testid=add-to-cart], button:has-text("Add to cart")').first().click();

      await page.goto(`${reel.baseUrl}/demo/checkout.html`);
      await page.locator('#name').pressSequentially(TYPED_NAME);
      await page.locator('#email').pressSequentially(TYPED_EMAIL);

      const [payResponse] = await Promise.all([
        page.waitForResponse((response) => new URL(response.url()).pathname === CHECKOUT_PATH),
        page.locator('#pay').click(),
      ]);
      assert.equal(payResponse.status(), 503, 'the demo checkout should fail with 503');

      // The failed request already logged a console error of its own: count only what #broken adds.
      const consoleErrorsBefore = shopProblems.consoleErrors.length;
      const pageErrorsBefore = shopProblems.pageErrors.length;
      await page.locator('#broken').click();
      await pollUntil(
        async () =>
          shopProblems.consoleErrors.length > consoleErrorsBefore && shopProblems.pageErrors.length > pageErrorsBefore
            ? true
            : undefined,
        { what: '#broken to log a console error and throw an uncaught error', timeoutMs: 10_000 },
      );

      const replayId = await sessionReplayId(page);
      assert.equal(replayId, firstReplayId, 'the session changed while moving between pages of the shop');
      const { deviceId, sessionId } = parseSessionReplayId(replayId);

      // Leaving the checkout page flushes what the SDK still holds.
      await page.goto(`${reel.baseUrl}/demo/`);

      replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), {
        what: `reel to list the replay of ${replayId}`,
        timeoutMs: 30_000,
      });
      assert.match(replay.first_url ?? '', /\/demo/, 'first_url should be the demo page the visit started on');

      let events: RecordedEvent[] = [];
      await pollUntil(
        async () => {
          events = await getReplayEvents(reel, replay!.id);
          return failedCheckouts(events).length > 0 && consoleErrors(events).length >= 2 ? true : undefined;
        },
        { what: 'the checkout failure and both errors to be stored', timeoutMs: 30_000 },
      ).catch(() => undefined);

      assert.ok(hasEvent(events, EventType.Meta), 'no Meta event stored');
      assert.ok(hasEvent(events, EventType.FullSnapshot), 'no FullSnapshot event stored');
      const stored = JSON.stringify(events);
      assertMasked(stored, TYPED_NAME);
      assertMasked(stored, TYPED_EMAIL);
      assert.ok(
        consoleErrors(events).length >= 2,
        `expected the console error and the uncaught error of #broken as rrweb/console@1 error events, got ${consoleErrors(events).length}`,
      );
      assert.ok(
        failedCheckouts(events).length > 0,
        `no rrweb/network@1 request to ${CHECKOUT_PATH} with status 503; network events: ` +
          JSON.stringify(pluginEvents(events, 'rrweb/network@1').map((e) => e.data.payload)).slice(0, 500),
      );
    });

    test('the visit is listed and replays in the UI, masked and sandboxed', async (t) => {
      if (!replay) {
        t.skip('the recording test did not produce a replay');
        return;
      }
      const { reel, viewer } = env();
      const { page } = viewer;
      const problems = watchPageProblems(page);
      await logInThroughUi(page, reel);
      await expectReplayRow(page, replay.id);

      const { iframe, frame } = await openPlayer(page, reel, replay.id);
      const sandbox = await iframe.getAttribute('sandbox');
      assert.notEqual(sandbox, null, 'the replay iframe has no sandbox attribute');
      assert.ok(!sandbox!.split(/\s+/).includes('allow-scripts'), `the replay iframe allows scripts: sandbox="${sandbox}"`);

      await waitForReplayedText(frame, shopTexts.filter((text) => text.length >= 3));

      // Play on until the checkout form is on screen with what was typed into it.
      await playUntilTypingShowsMasked(page, frame, 'the replay to reach the filled-in checkout form', 90_000);

      assert.deepEqual(problems.pageErrors, [], 'uncaught errors on the player page');
      assert.deepEqual(unexpectedConsoleErrors(problems), [], 'console errors on the player page');
    });
  },
);

/** `"<device_id>/<session_id>"` from reel's SDK, once it has started. */
async function sessionReplayId(page: Page): Promise<string> {
  const handle = await page.waitForFunction(() => {
    const id = (window as any).reel?.getSessionReplayId?.();
    return typeof id === 'string' && id.includes('/') ? id : undefined;
  });
  return (await handle.jsonValue()) as string;
}

async function headingText(page: Page): Promise<string> {
  const heading = page.locator('h1').first();
  return (await heading.count()) > 0 ? (await heading.innerText()).trim() : '';
}

async function clickAndWaitForNavigation(page: Page, click: () => Promise<void>): Promise<void> {
  const before = page.url();
  await Promise.all([page.waitForURL((url) => url.href !== before), click()]);
  await page.waitForLoadState('load');
}

function consoleErrors(events: RecordedEvent[]): RecordedEvent[] {
  return pluginEvents(events, 'rrweb/console@1').filter((e) => (e.data.payload as { level?: string } | undefined)?.level === 'error');
}

function failedCheckouts(events: RecordedEvent[]): unknown[] {
  return pluginEvents(events, 'rrweb/network@1').flatMap((e) =>
    ((e.data.payload as { requests?: Array<{ name?: string; status?: number }> } | undefined)?.requests ?? []).filter(
      (request) => request.status === 503 && pathOf(request.name) === CHECKOUT_PATH,
    ),
  );
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '', 'http://placeholder').pathname;
  } catch {
    return '';
  }
}
