// A 2-hour, 58 MB session (testkit/long-session.ts, uploaded in SDK-sized batches) in the
// player: opening its last minute transfers under 10 % of the bytes that transferring the
// whole recording takes (same server, same compression as the browser asks for), and the tab's
// JS heap stays under HEAP_BOUND_BYTES while it plays through many windows at 16×, seeks far
// away and back.
//
// HEAP_BOUND_BYTES: V8's used heap of the player's tab (`Runtime.getHeapUsage`, the replay
// iframe included: same origin, same heap), sampled every 250 ms. The player holds about 12
// minutes of this recording at most (a minute behind the playhead back to a keyframe, up to
// five minutes between keyframes, the lead and one window ahead: ~6 MB of JSON); measured
// peaks are 50–60 MB. A player that held the whole recording needs several hundred MB
// (`npm run bench:player` measures both).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CDPSession } from 'playwright-core';
import { launchBrowser } from '../testkit/browser.ts';
import { sdkBatches, uploadBatches } from '../testkit/ingest.ts';
import { longSession } from '../testkit/long-session.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { sampleHeap, watchRequests } from '../testkit/tab-watch.ts';
import { encodeReplayId } from '../testkit/replay-id.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { landedAt, position, waitUntilReady } from './lib/player.ts';
import { describeWithSetUp } from './lib/suite.ts';

export const HEAP_BOUND_BYTES = 128 * 1024 * 1024;
const MIN = 60_000;

describeWithSetUp(
  'a 2-hour recording in the player',
  { timeout: 900_000 },
  async (defer) => {
    const long = longSession();
    assert.ok(long.endMs - long.startMs >= 119 * MIN, `the session spans ${(long.endMs - long.startMs) / MIN} minutes`);
    assert.ok(long.rawBytes >= 50e6, `the session holds ${(long.rawBytes / 1e6).toFixed(1)} MB of JSON`);
    const reel = await startReel();
    defer(() => reel.stop());
    const deviceId = 'long-session';
    await uploadBatches(reel, deviceId, long.startMs, sdkBatches(long.events));
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    await logInThroughUi(viewer.page, reel);
    const cdp = await viewer.context.newCDPSession(viewer.page);
    defer(() => cdp.detach().catch(() => undefined));
    await cdp.send('Network.enable');
    return { reel, viewer, cdp, long, id: encodeReplayId(deviceId, long.startMs) };
  },
  (env) => {
    test('opening its last minute transfers under 10 % of the bytes of the whole recording', async (t) => {
      const { reel, viewer, cdp, long, id } = env();
      const { page } = viewer;
      const traffic = watchApiTraffic(cdp, [`/api/v1/replays/${id}`, '/api/v1/me']);
      const total = long.endMs - long.startMs;
      const target = total - MIN;
      await page.goto(`${reel.baseUrl}/replays/${id}?t=${target}`);
      await waitUntilReady(page, 120_000);
      assert.equal(await landedAt(page), target);
      // Everything the player asked for while opening: manifest, windows (and the one after,
      // to the end), activity, the timeline of the whole session.
      await pollUntil(async () => (traffic.settled(['/manifest', '/events?', '/activity', '/timeline']) ? true : undefined), {
        what: 'the player’s API requests to finish',
        timeoutMs: 300_000,
        intervalMs: 250,
      });
      const opened = traffic.bytes();
      t.diagnostic(`opening the last minute: ${traffic.describe()}`);

      const whole = watchApiTraffic(cdp, [`/api/v1/replays/${id}/events`]);
      const decoded = await page.evaluate(async (path) => {
        const response = await fetch(path, { headers: { 'X-Reel-Request': '1' } });
        return (await response.arrayBuffer()).byteLength;
      }, `/api/v1/replays/${id}/events`);
      await pollUntil(async () => (whole.settled(['/events']) ? true : undefined), { what: 'the whole recording to arrive', timeoutMs: 300_000 });
      const all = whole.bytes();
      t.diagnostic(`the whole recording: ${whole.describe()} (${(decoded / 1e6).toFixed(1)} MB decoded)`);
      assert.ok(decoded >= long.rawBytes, `the whole recording decoded to ${decoded} bytes`);
      const share = opened / all;
      t.diagnostic(`opening the last minute took ${(share * 100).toFixed(1)} % of the bytes of the whole recording`);
      assert.ok(share < 0.1, `opening the last minute transferred ${opened} bytes, ${(share * 100).toFixed(1)} % of the ${all} of the whole recording`);
    });

    test(`the heap stays under ${HEAP_BOUND_BYTES / 1024 / 1024} MB while it plays through windows at 16×, seeks far and drops what it left`, async (t) => {
      const { reel, viewer, cdp, id } = env();
      const { page } = viewer;
      const from = 30 * MIN;
      await page.goto(`${reel.baseUrl}/replays/${id}?t=${from}&speed=16`);
      await waitUntilReady(page, 120_000);
      const heap = sampleHeap(cdp, 250);
      try {
        // Eight minutes of recording: several windows continued, keyframes passed.
        await pollUntil(async () => ((await position(page)) >= from + 8 * MIN ? true : undefined), {
          what: 'eight minutes of the recording to play',
          timeoutMs: 120_000,
          intervalMs: 250,
        });
        const heldStart = Number(await page.getByTestId('player-shell').getAttribute('data-held-start'));
        assert.ok(heldStart > from, `nothing behind the playhead was dropped: the player still holds from ${heldStart} ms`);
        // The activity item current at the playhead is highlighted and scrolled into view.
        const visible = await page.evaluate(() => {
          const list = document.querySelector('[data-testid=activity-list]')!;
          const current = list.querySelector('.current');
          if (!current) return 'no current item';
          const a = list.getBoundingClientRect();
          const b = current.getBoundingClientRect();
          return b.top >= a.top - 1 && b.bottom <= a.bottom + 1 ? 'visible' : `out of view (${b.top} not in ${a.top}..${a.bottom})`;
        });
        assert.equal(visible, 'visible');

        // Far away and back: a loading state, then only what that moment needs.
        const timeline = page.getByTestId('timeline');
        await timeline.focus();
        await timeline.press('Home');
        await pollUntil(async () => ((await landedAt(page)) === 0 ? true : undefined), { what: 'a landing at the start', timeoutMs: 60_000, intervalMs: 50 });
        await waitUntilReady(page, 60_000);
        const heldEnd = Number(await page.getByTestId('player-shell').getAttribute('data-held-end'));
        assert.ok(heldEnd < 15 * MIN, `after seeking to the start the player holds up to ${heldEnd} ms`);
      } finally {
        await heap.stop();
      }
      t.diagnostic(`JS heap: peak ${(heap.peak() / 1e6).toFixed(1)} MB over ${heap.samples()} samples (bound ${HEAP_BOUND_BYTES / 1024 / 1024} MB)`);
      assert.ok(heap.samples() > 10, 'too few heap samples');
      assert.ok(heap.peak() < HEAP_BOUND_BYTES, `the JS heap reached ${(heap.peak() / 1e6).toFixed(1)} MB`);
    });
  },
);

interface Traffic {
  bytes(): number;
  settled(kinds: string[]): boolean;
  describe(): string;
}

/** Bytes on the wire of requests to paths starting with one of `prefixes`, from now on. */
function watchApiTraffic(cdp: CDPSession, prefixes: string[]): Traffic {
  const list = watchRequests(cdp, prefixes);
  return {
    bytes: () => list().reduce((sum, r) => sum + r.bytes, 0),
    settled: (kinds) => kinds.every((kind) => list().some((r) => r.url.includes(kind))) && list().every((r) => r.done),
    describe: () =>
      `${list().reduce((sum, r) => sum + r.bytes, 0)} bytes in ${list().length} requests: ` +
      list()
        .map((r) => `${new URL(r.url).pathname.split('/').pop()}${new URL(r.url).search} ${r.bytes}`)
        .join(', '),
  };
}
