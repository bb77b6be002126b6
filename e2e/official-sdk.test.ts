// (b) A site using the official Amplitude SDKs, pointed at reel by URLs only, gets recorded and replayed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findReplay, getReplayEvents } from '../testkit/api-client.ts';
import type { RecordedEvent } from '../testkit/api-types.ts';
import { launchBrowser, watchPageProblems } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { assertMasked, unexpectedConsoleErrors } from './lib/assertions.ts';
import { OTHER_PAGE_TITLE, serveSdkSite, SHOP_TITLE } from './lib/official-sdk.ts';
import { EventType, hasEvent, IncrementalSource } from './lib/rrweb.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { expectReplayRow, openPlayer, waitForReplayedText } from './lib/ui.ts';

const TYPED_NAME = 'Ottoline Brackwater';

describeWithSetUp(
  'official Amplitude SDKs against reel',
  { timeout: 180_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const site = await serveSdkSite(reel.baseUrl, reel.apiKey);
    defer(() => site.close());
    const recorder = await launchBrowser();
    defer(() => recorder.close());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    return { reel, site, recorder, viewer };
  },
  (env) => {
    test('a session is recorded, stored masked and replayable', async () => {
      const { reel, site, recorder, viewer } = env();
      const { page } = recorder;
      await page.goto(`${site.origin}/`);
      const ids = await page.waitForFunction(() => {
        const amplitude = (window as any).amplitude;
        const deviceId = amplitude?.getDeviceId?.();
        const sessionId = amplitude?.getSessionId?.();
        return deviceId && sessionId ? { deviceId: String(deviceId), sessionId: String(sessionId) } : undefined;
      });
      const { deviceId, sessionId } = (await ids.jsonValue()) as { deviceId: string; sessionId: string };

      await page.locator('#name').pressSequentially(TYPED_NAME);
      await page.locator('#swap').click();

      const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), {
        what:
          `reel to list the replay of device ${deviceId} session ${sessionId} ` +
          "(none means reel's /config answer lacked configs.sessionReplay, CORS failed, or /sessions/v2/track refused the upload)",
        timeoutMs: 30_000,
      });

      // Leaving the page makes the SDK send what is left with navigator.sendBeacon (api_key in the query).
      await page.locator('#other').click();
      await page.waitForURL((url) => url.pathname === '/other.html');

      let events: RecordedEvent[] = [];
      await pollUntil(
        async () => {
          events = await getReplayEvents(reel, replay.id);
          const typed = events.some((e) => e.type === EventType.IncrementalSnapshot && e.data.source === IncrementalSource.Input);
          return hasEvent(events, EventType.Meta) && hasEvent(events, EventType.FullSnapshot) && typed ? true : undefined;
        },
        { what: 'the recording (Meta, FullSnapshot, the typing) to be stored', timeoutMs: 30_000 },
      ).catch(() => undefined);

      assert.ok(hasEvent(events, EventType.Meta), 'no Meta event stored');
      assert.ok(hasEvent(events, EventType.FullSnapshot), 'no FullSnapshot event stored');
      assert.ok(
        events.some((e) => e.type === EventType.IncrementalSnapshot && e.data.source === IncrementalSource.Input),
        'the typing in #name was not stored',
      );
      assertMasked(JSON.stringify(events), TYPED_NAME);

      const viewerPage = viewer.page;
      const problems = watchPageProblems(viewerPage);
      await logInThroughUi(viewerPage, reel);
      await expectReplayRow(viewerPage, replay.id);
      const { iframe, frame } = await openPlayer(viewerPage, reel, replay.id);
      const sandbox = await iframe.getAttribute('sandbox');
      assert.notEqual(sandbox, null, 'the replay iframe has no sandbox attribute');
      assert.ok(!sandbox!.split(/\s+/).includes('allow-scripts'), `the replay iframe allows scripts: sandbox="${sandbox}"`);
      await waitForReplayedText(frame, [SHOP_TITLE, OTHER_PAGE_TITLE]);

      assert.deepEqual(problems.pageErrors, [], 'uncaught errors on the player page');
      assert.deepEqual(unexpectedConsoleErrors(problems), [], 'console errors on the player page');
    });
  },
);
