// (e) Amplitude's standalone replay SDK, `@amplitude/session-replay-browser`, at each pinned
// version (lib/standalone-replay-sdk.ts): a session with typing on a site of another origin is
// stored, listed, and plays in the UI. 1.35.0 is here because it sends packed events inside a
// JSON string, which reel once refused with 400 "packed event is not valid zlib".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Request } from 'playwright-core';
import { findReplay, getReplayEvents } from '../testkit/api-client.ts';
import { launchBrowser, watchPageProblems } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { assertMasked, unexpectedConsoleErrors } from './lib/assertions.ts';
import { SHOP_TITLE, type SdkSite } from './lib/official-sdk.ts';
import { EventType, hasEvent, IncrementalSource } from './lib/rrweb.ts';
import { describeUpload, PACKAGE, serveStandaloneSite, STANDALONE_REPLAY_SDKS } from './lib/standalone-replay-sdk.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { expectReplayRow, openPlayer, playUntilTypingShowsMasked, waitForReplayedText } from './lib/ui.ts';

const TYPED_NAME = 'Peregrine Osgood';

describeWithSetUp(
  `${PACKAGE} (standalone) against reel`,
  { timeout: 300_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const sites = new Map<string, SdkSite>();
    for (const sdk of STANDALONE_REPLAY_SDKS) {
      const site = await serveStandaloneSite(sdk, reel.baseUrl, reel.apiKey);
      defer(() => site.close());
      sites.set(sdk.version, site);
    }
    const recorder = await launchBrowser();
    defer(() => recorder.close());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    return { reel, sites, recorder, viewer };
  },
  (env) => {
    for (const sdk of STANDALONE_REPLAY_SDKS) {
      test(`${sdk.version}: a session with typing is stored masked, listed, and plays in the UI`, async (t) => {
        const { reel, sites, recorder, viewer } = env();
        const site = sites.get(sdk.version)!;
        const page = await recorder.context.newPage();
        const viewerPage = await viewer.context.newPage();
        try {
          // What the SDK sent, to show that the upload form this version is known for was exercised.
          const uploads: string[] = [];
          page.on('request', (request: Request) => {
            if (request.url().startsWith(`${reel.baseUrl}/sessions/v2/track`) && request.method() === 'POST') {
              const body = request.postDataBuffer();
              uploads.push(body ? describeUpload(body) : 'no body');
            }
          });
          // reel's answers to them, named in the failure when the replay never shows up.
          const answers: string[] = [];
          page.on('response', (response) => {
            if (!response.url().startsWith(`${reel.baseUrl}/sessions/v2/track`) || response.request().method() !== 'POST') return;
            void response.text().then(
              (text) => answers.push(`${response.status()} ${text.slice(0, 200)}`),
              () => answers.push(`${response.status()}`),
            );
          });

          await page.goto(`${site.origin}/`);
          const started = await page.waitForFunction(() => {
            const w = window as any;
            return w.replayIds ?? (w.replayInitError ? { error: w.replayInitError } : undefined);
          });
          const ids = (await started.jsonValue()) as { deviceId: string; sessionId: number; error?: string };
          assert.equal(ids.error, undefined, `sessionReplay.init failed: ${ids.error}`);

          await page.locator('#name').pressSequentially(TYPED_NAME);
          await page.locator('#swap').click();

          // 1.35.0 sends a batch only when a new event comes after its send interval (it has no
          // timer, and sends nothing at page exit); 1.51.x sends from a worker on a timer. So the
          // pointer keeps moving, as a visitor's would, while we wait for reel to have it all.
          let moves = 0;
          const movePointer = (): Promise<void> => {
            moves += 1;
            return page.mouse.move(200 + (moves % 40) * 5, 300 + (moves % 2) * 5);
          };
          const replay = await pollUntil(
            async () => {
              await movePointer();
              return findReplay(reel, ids.deviceId, ids.sessionId);
            },
            {
              what:
                `reel to list the replay of device ${ids.deviceId} session ${ids.sessionId} ` +
                '(none means the /config answer lacked configs.sessionReplay, CORS failed, or /sessions/v2/track refused the upload)',
              timeoutMs: 45_000,
            },
          ).catch((error: Error) => {
            throw new Error(`${error.message}; reel answered the uploads: ${answers.length ? answers.join(' | ') : 'none arrived'}`);
          });
          // Typing arrives in pieces: wait until its last, full-length masked value is stored.
          const events = await pollUntil(
            async () => {
              await movePointer();
              const stored = await getReplayEvents(reel, replay.id);
              assert.ok(hasEvent(stored, EventType.Meta), 'no Meta event stored');
              assert.ok(hasEvent(stored, EventType.FullSnapshot), 'no FullSnapshot event stored');
              assert.ok(
                stored.some((e) => e.type === EventType.IncrementalSnapshot && e.data.source === IncrementalSource.Input),
                'the typing in #name was not stored',
              );
              assertMasked(JSON.stringify(stored), TYPED_NAME);
              return stored;
            },
            { what: 'the recording (Meta, FullSnapshot, the typing, masked) to be stored', timeoutMs: 45_000 },
          );
          const forms = [...new Set(uploads)];
          t.diagnostic(`${PACKAGE}@${sdk.version}: ${events.length} events stored, uploaded as: ${forms.join('; ')}`);
          if (sdk.sends) {
            assert.ok(
              forms.some((form) => form.includes(sdk.sends!)),
              `${sdk.version} is tested for uploads of the form "${sdk.sends}", but it sent: ${forms.join('; ')}`,
            );
          }

          const problems = watchPageProblems(viewerPage);
          await logInThroughUi(viewerPage, reel);
          await expectReplayRow(viewerPage, replay.id);
          const { iframe, frame } = await openPlayer(viewerPage, reel, replay.id);
          const sandbox = await iframe.getAttribute('sandbox');
          assert.ok(sandbox !== null && !sandbox.split(/\s+/).includes('allow-scripts'), `the replay iframe allows scripts: sandbox="${sandbox}"`);
          await waitForReplayedText(frame, [SHOP_TITLE]);

          // Play on until the form shows what was typed, masked.
          await playUntilTypingShowsMasked(viewerPage, frame, 'the replay to reach the typing in #name', 60_000);

          assert.deepEqual(problems.pageErrors, [], 'uncaught errors on the player page');
          assert.deepEqual(unexpectedConsoleErrors(problems), [], 'console errors on the player page');
        } finally {
          await page.close();
          await viewerPage.close();
        }
      });
    }
  },
);
