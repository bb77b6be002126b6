// A project's Session Replay settings in a real browser: an admin turns console capture off on
// the settings page (which says it applies to future captures only); a new session on the demo
// shop records no console logs — reel's SDK does not even send them — while an older session
// still shows its own in the player; a viewer cannot open the settings page. Then both SDKs —
// reel's on the demo shop, Amplitude's on a site of another origin — obey the settings the
// remote configuration gives them: privacy level, blocked elements, console off, blocked pages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { findReplay, getReplayEvents, updateSettings } from '../testkit/api-client.ts';
import type { RecordedEvent } from '../testkit/api-types.ts';
import { launchBrowser, type Browser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel, TEST_ADMIN_PASSWORD, type Reel } from '../testkit/reel-server.ts';
import { parseSessionReplayId } from '../testkit/replay-id.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { bundleOfficialSdks, serveSite, SHOP_TITLE } from './lib/official-sdk.ts';
import { EventType, hasEvent } from './lib/rrweb.ts';
import { consoleRecords, watchSent } from './lib/sent.ts';
import { describeWithSetUp } from './lib/suite.ts';

const PROMO_ERROR = 'promo code service returned an invalid response';

/** Visits the demo shop's checkout, presses the promo button that logs an error, and leaves. */
async function visitWithConsoleError(reel: Reel, page: Page): Promise<{ deviceId: string; sessionId: string }> {
  await page.goto(`${reel.baseUrl}/demo/checkout.html`);
  const replayId = await page.waitForFunction(() => (window as unknown as { reel?: { getSessionReplayId(): string | null } }).reel?.getSessionReplayId());
  await page.locator('#broken').click();
  // Leaving flushes what the SDK holds; the next page's snapshot shows it did.
  await page.goto(`${reel.baseUrl}/demo/`);
  return parseSessionReplayId(String(await replayId.jsonValue()));
}

/** The stored events of a visit once its second page (the shop's front page) is stored. */
async function storedVisit(reel: Reel, visit: { deviceId: string; sessionId: string }): Promise<{ id: string; events: RecordedEvent[] }> {
  const replay = await pollUntil(() => findReplay(reel, visit.deviceId, visit.sessionId), { what: 'the visit to be listed' });
  const events = await pollUntil(
    async () => {
      const events = await getReplayEvents(reel, replay.id);
      const metas = events.filter((e) => e.type === EventType.Meta && String(e.data.href).endsWith('/demo/'));
      return metas.length > 0 ? events : undefined;
    },
    { what: 'the visit up to its second page to be stored' },
  );
  return { id: replay.id, events };
}

describeWithSetUp(
  'Session Replay settings',
  { timeout: 300_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const browsers: Browser[] = [];
    for (let i = 0; i < 4; i++) {
      const browser = await launchBrowser();
      defer(() => browser.close());
      browsers.push(browser);
    }
    const [before, admin, after, viewer] = browsers as [Browser, Browser, Browser, Browser];
    return { reel, before, admin, after, viewer };
  },
  (env) => {
    let older: { id: string; events: RecordedEvent[] } | undefined;

    test('a session before the change records its console logs', async () => {
      const { reel, before } = env();
      older = await storedVisit(reel, await visitWithConsoleError(reel, before.page));
      assert.ok(
        consoleRecords(older.events).some((e) => JSON.stringify(e.data).includes(PROMO_ERROR)),
        'the promo error was recorded',
      );
    });

    test('an admin turns console capture off on the settings page, which says it is for future captures', async () => {
      const { reel, admin } = env();
      const page = admin.page;
      await logInThroughUi(page, reel);
      await page.getByTestId('nav-settings').click();
      await page.waitForURL((url) => url.pathname === '/settings');
      assert.match(await page.getByTestId('future-only').innerText(), /future captures only/);
      const console = page.getByTestId('setting-console-logs');
      assert.equal(await console.isChecked(), true);
      await console.uncheck();
      await page.getByTestId('save-settings').click();
      await page.getByTestId('settings-status').filter({ hasText: 'Saved' }).waitFor();
      // The remote configuration both SDKs fetch says so at once.
      const config = (await (await fetch(`${reel.baseUrl}/config?api_key=${reel.apiKey}`)).json()) as {
        configs: { sessionReplay: { sr_logging_config: { console: { enabled: boolean } } } };
      };
      assert.equal(config.configs.sessionReplay.sr_logging_config.console.enabled, false);
    });

    test("a new session records no console logs: reel's SDK sends none", async () => {
      const { reel, after } = env();
      const sent = watchSent(after.page);
      const errors: string[] = [];
      after.page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const visit = await storedVisit(reel, await visitWithConsoleError(reel, after.page));
      assert.ok(errors.some((e) => e.includes(PROMO_ERROR)), 'the page did log the error');
      assert.ok(hasEvent(sent.replayEvents(), EventType.FullSnapshot), 'the SDK did record the visit');
      assert.deepEqual(consoleRecords(sent.replayEvents()), [], 'the SDK sent console records');
      assert.deepEqual(consoleRecords(visit.events), [], 'console records were stored');
    });

    test('the older session still shows its own console logs in the player', async () => {
      const { reel, admin } = env();
      const page = admin.page;
      assert.ok(older, 'the older session was recorded');
      await page.goto(`${reel.baseUrl}/replays/${encodeURIComponent(older.id)}?project=1`);
      await page.getByTestId('tab-console').click();
      await page.getByTestId('console-message').filter({ hasText: PROMO_ERROR }).first().waitFor();
    });

    test('a viewer cannot open the settings page', async () => {
      const { reel, viewer } = env();
      const page = viewer.page;
      await logInThroughUi(page, { baseUrl: reel.baseUrl, email: 'viewer@reel.local', password: TEST_ADMIN_PASSWORD });
      await page.getByTestId('nav-portfolio').waitFor();
      assert.equal(await page.getByTestId('nav-settings').count(), 0, 'viewers have no Settings link');
      await page.goto(`${reel.baseUrl}/settings`);
      const refusal = page.getByTestId('forbidden');
      await refusal.waitFor();
      assert.match(await refusal.innerText(), /only managers and admins/i);
      assert.equal(await page.getByTestId('save-settings').count(), 0, 'no form to change settings');
    });
  },
);

describeWithSetUp(
  "both SDKs obey the project's settings",
  { timeout: 300_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const bundle = await bundleOfficialSdks();
    // Amplitude's SDK with its replay plugin, as in official-sdk.test.ts, and a console message
    // once the page is up.
    const url = (path: string): string => JSON.stringify(reel.baseUrl + path);
    const site = await serveSite(
      bundle,
      `amplitude.init(${JSON.stringify(reel.apiKey)}, {
         serverUrl: ${url('/2/httpapi')}, remoteConfig: { serverUrl: ${url('/config')} },
         enableDiagnostics: false, autocapture: true });
       amplitude.add(sessionReplayPlugin({ sampleRate: 1,
         trackServerUrl: ${url('/sessions/v2/track')}, configServerUrl: ${url('/config')} }));
       setTimeout(() => console.log('amplitude console probe'), 1500);`,
    );
    defer(() => site.close());
    await updateSettings(reel, 1, {
      console_logs: false,
      privacy_level: 'conservative',
      block_selector: '#swap, #products',
      blocked_urls: [`${site.origin}/other.html`, `${reel.baseUrl}/demo/checkout.html*`],
    });
    const amplitude = await launchBrowser();
    defer(() => amplitude.close());
    const shopper = await launchBrowser();
    defer(() => shopper.close());
    return { reel, site, amplitude, shopper };
  },
  (env) => {
    test("Amplitude's SDK: all text masked, a blocked element left out, no console, nothing of a blocked page", async () => {
      const { reel, site, amplitude } = env();
      const page = amplitude.page;
      const sent = watchSent(page);
      const probe = page.waitForEvent('console', (m) => m.text().includes('amplitude console probe'));
      await page.goto(`${site.origin}/`);
      const ids = await page.waitForFunction(() => {
        const a = (window as any).amplitude;
        return a?.getDeviceId?.() && a?.getSessionId?.() ? { deviceId: String(a.getDeviceId()), sessionId: String(a.getSessionId()) } : undefined;
      });
      const { deviceId, sessionId } = (await ids.jsonValue()) as { deviceId: string; sessionId: string };
      await probe;
      await page.locator('#other').click();
      await page.waitForURL((u) => u.pathname === '/other.html');
      const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), { what: "the Amplitude SDK's session to be listed" });
      const events = await pollUntil(
        async () => {
          const events = await getReplayEvents(reel, replay.id);
          return hasEvent(events, EventType.FullSnapshot) ? events : undefined;
        },
        { what: 'its snapshot to be stored' },
      );
      const stored = JSON.stringify(events);
      assert.ok(!stored.includes(SHOP_TITLE), 'the page text is masked (conservative)');
      // rrweb keeps a blocked element as an empty box of its size, without its attributes.
      assert.ok(stored.includes('rr_width') && !stored.includes('"id":"swap"'), 'the blocked button is left out');
      assert.ok(
        !events.some((e) => e.type === EventType.Meta && String(e.data.href).includes('/other.html')),
        'nothing of the blocked page is stored',
      );
      assert.deepEqual(consoleRecords(events), [], 'no console records stored');
      const sentText = JSON.stringify(sent.replayEvents());
      if (sent.replayEvents().length > 0) {
        // When the SDK's uploads are visible to the page (they may go from a worker), they show
        // it obeyed, not only that reel dropped.
        assert.ok(!sentText.includes('amplitude console probe'), "Amplitude's SDK sent a console record");
        assert.ok(!sentText.includes(SHOP_TITLE), "Amplitude's SDK sent unmasked text");
      }
    });

    test("reel's SDK: all text masked, a blocked element left out, no console, nothing of a blocked page", async () => {
      const { reel, shopper } = env();
      const page = shopper.page;
      const sent = watchSent(page);
      const upload = (): Promise<unknown> => page.waitForRequest((r) => new URL(r.url()).pathname === '/sessions/v2/track');
      let uploaded = upload();
      await page.goto(`${reel.baseUrl}/demo/`);
      const headline = (await page.locator('h1').first().innerText()).trim();
      const replayId = String(await (await page.waitForFunction(() => (window as any).reel?.getSessionReplayId())).jsonValue());
      await uploaded;
      // The checkout page is blocked: nothing of it is sent.
      await page.goto(`${reel.baseUrl}/demo/checkout.html`);
      await page.locator('#broken').click();
      uploaded = upload();
      await page.goto(`${reel.baseUrl}/demo/product.html?id=tent`);
      await uploaded;
      const { deviceId, sessionId } = parseSessionReplayId(replayId);
      const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), { what: "reel's SDK's session to be listed" });
      const events = await pollUntil(
        async () => {
          const events = await getReplayEvents(reel, replay.id);
          return events.some((e) => e.type === EventType.Meta && String(e.data.href).includes('product.html')) ? events : undefined;
        },
        { what: 'the visit up to the product page to be stored' },
      );
      const sentEvents = sent.replayEvents();
      for (const [what, list] of [['sent', sentEvents], ['stored', events]] as const) {
        const text = JSON.stringify(list);
        assert.ok(!text.includes(headline), `${what}: the headline is masked (conservative)`);
        assert.ok(!list.some((e) => e.type === EventType.Meta && String(e.data.href).includes('checkout.html')), `${what}: a Meta of the blocked page`);
        assert.deepEqual(consoleRecords(list), [], `${what}: console records`);
        assert.ok(text.includes('rr_width') && !text.includes('"id":"product-grid"'), `${what}: the blocked section is left out`);
      }
    });

    test('with a sample rate of 0 neither SDK records, while analytics go on', async () => {
      const { reel, site } = env();
      await updateSettings(reel, 1, { sample_rate: 0 });
      const reelIds = (): unknown => {
        const id = (window as any).reel?.getSessionReplayId();
        return id ? { deviceId: id.split('/')[0], sessionId: id.split('/')[1] } : undefined;
      };
      const amplitudeIds = (): unknown => {
        const a = (window as any).amplitude;
        return a?.getDeviceId?.() && a?.getSessionId?.() ? { deviceId: String(a.getDeviceId()), sessionId: String(a.getSessionId()) } : undefined;
      };
      for (const [name, start, next, ids] of [
        ['reel', `${reel.baseUrl}/demo/`, `${reel.baseUrl}/demo/product.html?id=tent`, reelIds],
        ['amplitude', `${site.origin}/`, `${site.origin}/other.html`, amplitudeIds],
      ] as const) {
        const browser = await launchBrowser();
        try {
          const page = browser.page;
          const sent = watchSent(page);
          const analytics = (): Promise<unknown> => page.waitForResponse((r) => new URL(r.url()).pathname === '/2/httpapi');
          let answered = analytics();
          await page.goto(start);
          const { deviceId, sessionId } = (await (await page.waitForFunction(ids)).jsonValue()) as { deviceId: string; sessionId: string };
          await answered;
          // reel's SDK sends what it holds now (a recording would go with it); Amplitude's sends
          // it when the page goes: the next page's analytics come after that.
          await page.evaluate(() => (window as any).reel?.flush());
          answered = analytics();
          await page.goto(next);
          await answered;
          assert.equal(await findReplay(reel, deviceId, sessionId), undefined, `${name}: the session was recorded`);
          assert.deepEqual(sent.replayEvents(), [], `${name}: replay events were sent`);
        } finally {
          await browser.close();
        }
      }
    });

    test("reel's SDK holds a session's recording until the session is as old as the minimum", async () => {
      const { reel } = env();
      await updateSettings(reel, 1, { sample_rate: 1, min_session_ms: 8000 });
      const browser = await launchBrowser();
      try {
        const page = browser.page;
        const sent = watchSent(page);
        await page.goto(`${reel.baseUrl}/demo/`);
        const replayId = String(await (await page.waitForFunction(() => (window as any).reel?.getSessionReplayId())).jsonValue());
        const started = Number(replayId.split('/')[1]);
        await page.evaluate(() => (window as any).reel.flush());
        assert.ok(Date.now() - started < 8000, 'the flush came before the minimum');
        assert.deepEqual(sent.replayEvents(), [], 'nothing of the recording went before the minimum');
        await pollUntil(async () => (hasEvent(sent.replayEvents(), EventType.FullSnapshot) ? true : undefined), {
          what: 'the recording to be sent once the session is old enough',
          timeoutMs: 20_000,
        });
        assert.ok(Date.now() - started >= 8000, 'the recording went before the minimum');
      } finally {
        await browser.close();
      }
    });
  },
);
