// Finding sessions in the UI: a search built from two filters lives in the URL, and another
// browser that signs in and opens that URL sees the same replays; full-text search finds a visit
// of the demo shop by text it showed, and not by text reel's SDK masked.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { searchReplays } from '../testkit/api-client.ts';
import type { SearchRequest } from '../testkit/api-types.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { sendAnalytics, track } from '../testkit/ingest.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel, type Reel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { NodeIds, fullSnapshot, meta } from './lib/recordings.ts';
import { describeWithSetUp } from './lib/suite.ts';

/** Uploads a one-page session as an SDK would, through a proxy that names its country. */
async function upload(reel: Reel, deviceId: string, sessionId: number, country: string): Promise<void> {
  const ids = new NodeIds();
  const { root } = ids.page([], [ids.element('h1', {}, ids.text(`Session of ${deviceId}`))]);
  const events = [meta(sessionId, 'https://shop.e2e.test/'), fullSnapshot(sessionId, root)];
  await track(reel, { deviceId, sessionId, events, headers: { 'CF-IPCountry': country } });
}

/** Sends one analytics event of the session, as Amplitude's SDK would. */
async function trackEvent(reel: Reel, deviceId: string, sessionId: number, eventType: string): Promise<void> {
  await sendAnalytics(reel, [
    { event_type: eventType, device_id: deviceId, session_id: sessionId, time: sessionId + 1_000, insert_id: `${deviceId}-${eventType}` },
  ]);
}

/** The devices of the replay rows the list shows once it has loaded. */
async function listedDevices(page: Page): Promise<string[]> {
  await page.locator('[data-testid=replay-row], [data-testid=no-matches], [data-testid=empty-state]').first().waitFor();
  const devices = await page.locator('[data-testid=replay-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device') ?? ''));
  return devices.sort();
}

async function addFilter(page: Page, field: string, fill: (editor: ReturnType<Page['locator']>) => Promise<void>): Promise<void> {
  const chips = await page.locator('[data-testid=filter-chip]').count();
  await page.locator('[data-testid=add-filter]').click();
  const editor = page.locator('[data-testid=filter-editor]');
  await editor.locator('[data-testid=filter-field]').selectOption(field);
  await fill(editor);
  await editor.locator('[data-testid=filter-apply]').click();
  await page.locator('[data-testid=filter-chip]').nth(chips).waitFor();
}

describeWithSetUp(
  'searching replays in the UI',
  { timeout: 240_000 },
  async (defer) => {
    const reel = await startReel({
      // The test's uploads name their country like a proxy in front of reel would.
      REEL_TRUSTED_PROXIES: '127.0.0.1',
      REEL_COUNTRY_HEADER: 'CF-IPCountry',
      REEL_PROCESSING_DELAY_MS: '0',
      REEL_COMPACTION_IDLE_SECONDS: '2',
    });
    defer(() => reel.stop());
    const member = await launchBrowser();
    defer(() => member.close());
    const colleague = await launchBrowser();
    defer(() => colleague.close());
    return { reel, member, colleague };
  },
  (env) => {
    test('a two-filter search built in the UI opens with the same results from its URL in another browser', async () => {
      const { reel, member, colleague } = env();
      const start = Date.now() - 3_600_000;
      const sessions: Array<[string, string, string | null]> = [
        ['e2e-buyer-de', 'DE', 'Purchase'],
        ['e2e-browser-de', 'DE', null],
        ['e2e-buyer-fr', 'FR', 'Purchase'],
        ['e2e-signup-de', 'DE', 'Signup'],
      ];
      for (const [i, [device, country, event]] of sessions.entries()) {
        await upload(reel, device, start + i * 60_000, country);
        if (event) await trackEvent(reel, device, start + i * 60_000, event);
      }
      const wanted: SearchRequest = {
        filters: [
          { field: 'country', op: 'is', values: ['DE'] },
          { field: 'event', name: 'Purchase' },
        ],
      };
      // The API finds exactly the German buyer (the demo's own sessions bought nothing).
      const api = await pollUntil(
        async () => {
          const page = await searchReplays(reel, wanted);
          return page.replays.length > 0 ? page : undefined;
        },
        { what: 'the uploads to be searchable' },
      );
      assert.deepEqual(api.replays.map((r) => r.device_id), ['e2e-buyer-de']);

      const page = member.page;
      await logInThroughUi(page, reel);
      await page.goto(`${reel.baseUrl}/replays`);
      const everything = await listedDevices(page);
      assert.ok(everything.includes('e2e-browser-de') && everything.length > 4, `unfiltered: ${everything}`);
      await addFilter(page, 'country', async (editor) => {
        await editor.locator('[data-testid=filter-op]').selectOption('is');
        await editor.locator('[data-testid=filter-value]').fill('DE');
      });
      await addFilter(page, 'event', async (editor) => {
        await editor.locator('[data-testid=filter-event]').fill('Purchase');
      });
      const found = await pollUntil(
        async () => {
          const devices = await listedDevices(page);
          return devices.length === 1 ? devices : undefined;
        },
        { what: 'the list to show the search results', timeoutMs: 10_000 },
      );
      assert.deepEqual(found, ['e2e-buyer-de']);
      const chips = await page.locator('[data-testid=filter-chip]').allInnerTexts();
      assert.deepEqual(chips, ['Country is DE', 'Performed Purchase']);
      const shared = page.url();
      assert.match(decodeURIComponent(shared), /f=\{"field":"country"/, 'the search is in the URL');

      // A colleague's browser: its own profile, signs in, opens the copied URL.
      await logInThroughUi(colleague.page, reel);
      await colleague.page.goto(shared);
      assert.deepEqual(await listedDevices(colleague.page), ['e2e-buyer-de']);
      assert.deepEqual(await colleague.page.locator('[data-testid=filter-chip]').allInnerTexts(), chips);
    });

    test('full-text search finds a visit by what it showed, never by what was masked', async () => {
      const { reel, member } = env();
      const shopper = await launchBrowser();
      try {
        const shop = shopper.page;
        await shop.goto(`${reel.baseUrl}/demo/checkout.html`);
        // The saved address is masked by the SDK (class reel-mask): its text never leaves the browser.
        assert.match(await shop.locator('#saved-address').innerText(), /Harbour Lane/);
        await shop.locator('#pay').click();
        await shop.locator('#pay-error').filter({ hasText: 'card was not charged' }).waitFor();
        const replayId = (await (await shop.waitForFunction(() => {
          const id = (window as any).reel?.getSessionReplayId?.();
          return typeof id === 'string' && id.includes('/') ? id : undefined;
        })).jsonValue()) as string;
        const deviceId = replayId.slice(0, replayId.lastIndexOf('/'));
        // Leaving the page sends what the SDK holds.
        await shop.goto(`${reel.baseUrl}/demo/`);

        const byText = { q: 'card was not charged' };
        await pollUntil(
          async () => ((await searchReplays(reel, byText)).replays.some((r) => r.device_id === deviceId) ? true : undefined),
          { what: 'the visit to be found by the text it showed', timeoutMs: 60_000 },
        );
        assert.equal(
          (await searchReplays(reel, { q: 'Harbour Lane' })).replays.length,
          0,
          'masked text is never stored, so never found',
        );

        // The seeded demo visits saw the same failure (they are recordings of this shop): the UI
        // lists what the API finds, this visit among them.
        const found = (await searchReplays(reel, byText)).replays.map((r) => r.device_id).sort();
        assert.ok(found.includes(deviceId));
        const page = member.page;
        await page.goto(`${reel.baseUrl}/replays`);
        await page.locator('[data-testid=search-text]').fill('card was not charged');
        await page.locator('[data-testid=search-submit]').click();
        await page.waitForURL((url) => url.searchParams.get('q') === 'card was not charged');
        assert.deepEqual(await listedDevices(page), found);
        await page.locator('[data-testid=search-text]').fill('Harbour Lane');
        await page.locator('[data-testid=search-submit]').click();
        await page.waitForURL((url) => url.searchParams.get('q') === 'Harbour Lane');
        await page.locator('[data-testid=no-matches]').waitFor();
        assert.deepEqual(await listedDevices(page), []);
      } finally {
        await shopper.close();
      }
    });

    test('the home page lists the past week with Play, and See all opens that range', async () => {
      const { reel, member } = env();
      const page = member.page;
      await page.goto(`${reel.baseUrl}/`);
      const rows = page.locator('[data-testid=widget-row]');
      await rows.first().waitFor();
      assert.ok((await rows.count()) >= 4, 'the uploads and the demo sessions of the past week');
      const play = rows.first().locator('[data-testid=widget-play]');
      assert.match((await play.getAttribute('href')) ?? '', /^\/replays\/[A-Za-z0-9_-]+\?project=\d+$/);
      await page.locator('[data-testid=see-all]').click();
      await page.waitForURL((url) => url.pathname === '/replays' && url.searchParams.get('range') === '7d');
      assert.equal(await page.locator('[data-testid=range-7d]').getAttribute('aria-pressed'), 'true');
    });
  },
);
