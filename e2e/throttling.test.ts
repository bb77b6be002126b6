// Throttling in a real browser, with each SDK: a burst of events over a project's limit gets
// 429s, the SDK's retries land once the burst is over, and nothing is lost or stored twice.
// reel's SDK retries after `Retry-After`; Amplitude's analytics SDK retries the events a 429
// lists 30 seconds later, all at once (the bucket's ten seconds take that wave in).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProject, findReplay, getActivity, getIngestion, updateSettings } from '../testkit/api-client.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { parseSessionReplayId } from '../testkit/replay-id.ts';
import { bundleOfficialSdks, serveSite } from './lib/official-sdk.ts';
import { watchSent } from './lib/sent.ts';
import { describeWithSetUp } from './lib/suite.ts';

describeWithSetUp(
  'throttling with both SDKs',
  { timeout: 300_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    // The demo shop (reel's SDK) sends to the first project; Amplitude's SDK to one of its own.
    await updateSettings(reel, 1, { events_per_second: 5 });
    const burst = await createProject(reel, 'Burst');
    await updateSettings(reel, burst.id, { events_per_second: 10 });
    const url = (path: string): string => JSON.stringify(reel.baseUrl + path);
    const site = await serveSite(
      await bundleOfficialSdks(),
      `amplitude.init(${JSON.stringify(burst.api_key)}, {
         serverUrl: ${url('/2/httpapi')}, remoteConfig: { serverUrl: ${url('/config')} },
         enableDiagnostics: false, autocapture: false, flushQueueSize: 10, flushIntervalMillis: 100 });`,
    );
    defer(() => site.close());
    const browser = await launchBrowser();
    defer(() => browser.close());
    return { reel, site, browser, burst };
  },
  (env) => {
    test("reel's SDK: a burst gets 429s and every event lands once", async () => {
      const { reel, browser } = env();
      const page = await browser.context.newPage();
      const sent = watchSent(page);
      await page.goto(`${reel.baseUrl}/demo/`);
      const replayId = String(await (await page.waitForFunction(() => (window as any).reel?.getSessionReplayId())).jsonValue());
      await page.evaluate(() => {
        const reel = (window as any).reel;
        for (let k = 0; k < 10; k++) {
          for (let i = 0; i < 10; i++) reel.track('Burst', { n: k * 10 + i });
          void reel.flush();
        }
      });
      const { deviceId, sessionId } = parseSessionReplayId(replayId);
      const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), { what: 'the visit to be listed', timeoutMs: 90_000 });
      const burst = await pollUntil(
        async () => {
          const { events } = await getActivity(reel, replay.id);
          const ns = events.filter((e) => e.event_type === 'Burst').map((e) => (e.event_properties as { n: number }).n);
          return ns.length >= 100 ? ns : undefined;
        },
        { what: 'every event of the burst to be stored', timeoutMs: 120_000 },
      );
      assert.deepEqual([...burst].sort((a, b) => a - b), [...Array(100).keys()], 'each event once');
      assert.ok(sent.analytics().some((a) => a.status === 429), 'the burst was throttled');
      await page.close();
    });

    test("Amplitude's SDK: a burst gets 429s in Amplitude's shape and every event lands once", async () => {
      const { reel, site, browser, burst } = env();
      const page = await browser.context.newPage();
      const sent = watchSent(page);
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => (window as any).amplitude?.getDeviceId?.());
      await page.evaluate(() => {
        for (let n = 0; n < 150; n++) (window as any).amplitude.track('Burst', { n });
      });
      const ids = (status?: number): Set<string> =>
        new Set(
          sent
            .analytics()
            .filter((a) => status === undefined || a.status === status)
            .flatMap((a) => a.events)
            .filter((e) => e.event_type === 'Burst')
            .map((e) => String(e.insert_id)),
        );
      await pollUntil(async () => (ids(200).size >= 150 ? true : undefined), {
        what: 'every event to be acknowledged (throttled ones are retried 30 s later)',
        timeoutMs: 150_000,
      });
      assert.ok(sent.analytics().some((a) => a.status === 429), 'the burst was throttled');
      assert.deepEqual(ids(200), ids(), 'every event sent was acknowledged in the end');
      const monitor = await getIngestion(reel, burst.id);
      const total = (outcome: string): number =>
        monitor.totals.filter((t) => t.outcome === outcome).reduce((sum, t) => sum + t.events, 0);
      assert.equal(total('accepted'), 150, 'the server took each event once');
      assert.ok(total('throttled') > 0, 'the monitor counted the throttled events');
      await page.close();
    });
  },
);
