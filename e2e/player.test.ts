// The player's features in a real browser: seeking from the activity, console and network
// panels and from timeline markers lands a little before the moment and plays; ±10 s; speed;
// skip inactivity across a long idle stretch; copy-link round trip; the page URL, device and
// wall-clock time; feedback stored and listed for admins; the player in a modal from the list.
//
// The recording is built by hand (6 minutes): a checkout page whose status text changes every
// second, a click on "Pay now" at 15 s, console records at 5, 30 and 32 s, a failed request at
// 40 s, five minutes without user activity (44 s – 345 s, the page still changes), then a
// second page. A custom analytics event at 20 s comes through /2/httpapi.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getActivity, getMe, getReplay, listFeedback, updateProject } from '../testkit/api-client.ts';
import type { RecordedEvent } from '../testkit/api-types.ts';
import { launchBrowser, watchPageProblems } from '../testkit/browser.ts';
import { sendAnalytics } from '../testkit/ingest.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel } from '../testkit/reel-server.ts';
import { encodeReplayId } from '../testkit/replay-id.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { unexpectedConsoleErrors } from './lib/assertions.ts';
import { landedAt, pause, playState, position, waitUntilPast, waitUntilReady } from './lib/player.ts';
import { fullSnapshot, meta, mouseMove, NodeIds } from './lib/recordings.ts';
import { EventType } from './lib/rrweb.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { waitForReplayedText } from './lib/ui.ts';
import { uploadEvents } from './lib/uploads.ts';

const S = 1_000;
const CLICK_AT = 15 * S;
const COUPON_AT = 20 * S;
const WARN_AT = 30 * S;
const ERROR_AT = 32 * S;
const REQUEST_AT = 40 * S;
const IDLE_FROM = 44 * S;
const IDLE_UNTIL = 345 * S;
const SECOND_PAGE_AT = 350 * S;
const END = 360 * S;
const LEAD = 2 * S;

interface Built {
  events: RecordedEvent[];
  t0: number;
}

function buildRecording(t0: number): Built {
  const ids = new NodeIds();
  const status = ids.text('Second 0');
  const button = ids.element('button', { id: 'pay' }, ids.text('Pay now'));
  const page = ids.page([ids.element('title', {}, ids.text('Checkout'))], [
    ids.element('h1', {}, ids.text('Checkout')),
    ids.element('p', { id: 'status' }, status),
    button,
  ]);
  const events: RecordedEvent[] = [meta(t0, 'https://shop.test/checkout'), fullSnapshot(t0 + 1, page.root)];
  const text = (at: number, value: string): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: t0 + at,
    data: { source: 0, texts: [{ id: status.id, value }], attributes: [], removes: [], adds: [] },
  });
  const console = (at: number, level: string, message: string, trace: string[] = []): RecordedEvent => ({
    type: EventType.Plugin,
    timestamp: t0 + at,
    data: { plugin: 'rrweb/console@1', payload: { level, trace, payload: [JSON.stringify(message)] } },
  });
  for (let s = 1; s <= 44; s++) {
    events.push(text(s * S, `Second ${s}`), mouseMove(t0 + s * S + 500, 100 + s * 5, 200, page.body.id));
  }
  const mouse = (type: number): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: t0 + CLICK_AT,
    data: { source: 2, type, id: button.id, x: 120, y: 240 },
  });
  events.push(mouse(1), mouse(0), mouse(2));
  events.push(console(5 * S, 'log', 'checkout loaded'));
  events.push(console(WARN_AT, 'warn', 'Slow response from /api/pay', ['checkout.js:10:5', 'checkout.js:2:1']));
  events.push(console(ERROR_AT, 'error', 'Uncaught TypeError: total is undefined', ['checkout.js:44:9']));
  events.push({
    type: EventType.Plugin,
    timestamp: t0 + REQUEST_AT,
    data: {
      plugin: 'rrweb/network@1',
      payload: { requests: [{ name: 'https://shop.test/api/pay?token=s3cr3t&step=2', method: 'POST', status: 503, startTime: t0 + REQUEST_AT - 180, endTime: t0 + REQUEST_AT, duration: 180, initiatorType: 'fetch' }] },
    },
  });
  // No user activity for five minutes; the page keeps changing (not activity).
  for (let at = 50 * S; at < IDLE_UNTIL; at += 10 * S) events.push(text(at, `Waiting ${at / S}`));
  events.push(text(IDLE_UNTIL, 'After the long pause'), mouseMove(t0 + IDLE_UNTIL, 300, 300, page.body.id));
  const thanks = new NodeIds();
  const second = thanks.page([], [thanks.element('h1', {}, thanks.text('Thank you for your order'))]);
  events.push(meta(t0 + SECOND_PAGE_AT, 'https://shop.test/thanks'), fullSnapshot(t0 + SECOND_PAGE_AT, second.root));
  for (let at = SECOND_PAGE_AT + S; at <= END; at += S) events.push(mouseMove(t0 + at, 10 + at / S, 50, second.body.id));
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, t0 };
}

describeWithSetUp(
  'the player',
  { timeout: 420_000 },
  async (defer) => {
    const reel = await startReel({ REEL_PROCESSING_DELAY_MS: '0' });
    defer(() => reel.stop());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    await viewer.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: reel.baseUrl });
    const { events, t0 } = buildRecording(Date.now() - 30 * 60_000);
    const deviceId = 'player-e2e';
    await uploadEvents(reel, deviceId, t0, events);
    await sendAnalytics(reel, [
      { event_type: 'Coupon Applied', device_id: deviceId, session_id: t0, time: t0 + COUPON_AT, insert_id: 'coupon-1', event_properties: { code: 'WINTER' } },
    ]);
    const id = encodeReplayId(deviceId, t0);
    // Wait for what the processing stage derives: the click with its readable name, the facts.
    await pollUntil(
      async () => {
        const { events: activity } = await getActivity(reel, id);
        const replay = await getReplay(reel, id);
        return activity.some((e) => e.display_name === "Clicked 'Pay now' button") && replay.viewport && replay.browser ? true : undefined;
      },
      { what: 'the derived click and the session facts', timeoutMs: 60_000 },
    );
    const problems = watchPageProblems(viewer.page);
    await logInThroughUi(viewer.page, reel);
    return { reel, viewer, id, t0, problems };
  },
  (env) => {
    const open = async (query = ''): Promise<void> => {
      const { reel, viewer, id } = env();
      await viewer.page.goto(`${reel.baseUrl}/replays/${id}${query}`);
      await waitUntilReady(viewer.page);
    };

    test('clicking an activity item lands 2 s before it and plays; labels are readable, raw names and properties on expand', async () => {
      const { page } = env().viewer;
      await open();
      const item = page.locator('[data-testid=activity-item]', { hasText: "Clicked 'Pay now' button" });
      await item.waitFor();
      await item.locator('.item-main').click();
      await pollUntil(async () => ((await landedAt(page)) === CLICK_AT - LEAD ? true : undefined), { what: `a landing at ${CLICK_AT - LEAD} ms`, timeoutMs: 5_000, intervalMs: 50 });
      assert.equal(await playState(page), 'playing');
      await waitUntilPast(page, CLICK_AT);
      // The item is the current one once the playhead passed it.
      await pollUntil(async () => ((await item.getAttribute('class'))?.includes('current') ? true : undefined), { what: 'the clicked item to be highlighted', timeoutMs: 5_000 });

      await item.getByTestId('activity-expand').click();
      const details = item.getByTestId('activity-details');
      assert.match(await details.innerText(), /\[reel\] Element Clicked/);
      assert.match(await details.innerText(), /\[reel\] Element Tag\s+button/);

      // Filters: by text (labels, names, properties) and by kind.
      await page.getByTestId('activity-filter').fill('winter');
      await pollUntil(async () => ((await page.getByTestId('activity-item').count()) === 1 ? true : undefined), { what: 'one item matching "winter"', timeoutMs: 5_000 });
      // Rows render lazily (content-visibility: auto): a row just listed has no text on screen
      // until the browser has laid it out.
      await pollUntil(async () => ((await page.getByTestId('activity-label').first().innerText()) === 'Coupon Applied' ? true : undefined), {
        what: 'the one item to read "Coupon Applied"',
        timeoutMs: 5_000,
      });
      await page.getByTestId('activity-filter').fill('');
      await page.getByTestId('activity-kind-click').click();
      const labels = await page.getByTestId('activity-label').allInnerTexts();
      assert.ok(labels.length > 0 && !labels.some((l) => l.startsWith('Clicked')), `clicks still listed: ${labels}`);
      await page.getByTestId('activity-kind-click').click();
    });

    test('a console line: every level, level and text filters, stack traces expand, clicking lands before it and plays', async () => {
      const { page } = env().viewer;
      await open();
      await page.getByTestId('tab-console').click();
      const items = page.getByTestId('console-item');
      await items.first().waitFor();
      assert.equal(await page.getByTestId('count-console').innerText(), '3');
      assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-level'))), ['log', 'warn', 'error']);
      await page.getByTestId('console-level-info').click();
      assert.equal(await items.count(), 2);
      await page.getByTestId('console-level-info').click();
      await page.getByTestId('console-filter').fill('checkout.js:10');
      assert.equal(await items.count(), 1);
      const warn = items.first();
      await warn.getByTestId('console-expand').click();
      assert.deepEqual(await warn.getByTestId('console-trace').locator('li').allInnerTexts(), ['checkout.js:10:5', 'checkout.js:2:1']);
      await warn.locator('.item-main').click();
      await pollUntil(async () => ((await landedAt(page)) === WARN_AT - LEAD ? true : undefined), { what: `a landing at ${WARN_AT - LEAD} ms`, timeoutMs: 5_000, intervalMs: 50 });
      await waitUntilPast(page, WARN_AT);
      await page.getByTestId('console-filter').fill('');
    });

    test('a network line: method, URL without its secret, status and duration; failures highlighted; clicking lands before it and plays', async () => {
      const { page } = env().viewer;
      await open();
      await page.getByTestId('tab-network').click();
      const item = page.getByTestId('network-item').first();
      await item.waitFor();
      assert.equal(await page.getByTestId('count-network').innerText(), '1');
      assert.equal(await item.getByTestId('network-url').innerText(), 'https://shop.test/api/pay?token=…&step=2');
      assert.equal(await item.getByTestId('network-status').innerText(), '503');
      assert.match((await item.getAttribute('class')) ?? '', /failed/);
      assert.match(await item.innerText(), /POST[\s\S]*180 ms/);
      await item.locator('.item-main').click();
      await pollUntil(async () => ((await landedAt(page)) === REQUEST_AT - LEAD ? true : undefined), { what: `a landing at ${REQUEST_AT - LEAD} ms`, timeoutMs: 5_000, intervalMs: 50 });
      await waitUntilPast(page, REQUEST_AT);
    });

    test('a timeline marker says what it is on hover and seeks on click', async () => {
      const { page } = env().viewer;
      await open();
      const marker = page.locator('[data-testid=timeline-markers] [data-kind=runtime-error]');
      await marker.waitFor();
      await marker.hover();
      const tooltip = page.getByTestId('marker-tooltip');
      await tooltip.waitFor({ state: 'visible' });
      assert.match(await tooltip.innerText(), /runtime error: Uncaught TypeError: total is undefined/);
      await marker.click();
      await pollUntil(async () => ((await landedAt(page)) === ERROR_AT - LEAD ? true : undefined), { what: `a landing at ${ERROR_AT - LEAD} ms`, timeoutMs: 5_000, intervalMs: 50 });
      await waitUntilPast(page, ERROR_AT);
      // Each kind has its marker.
      for (const kind of ['page-view', 'click', 'custom', 'network-error']) {
        assert.ok((await page.locator(`[data-testid=timeline-markers] [data-kind=${kind}]`).count()) > 0, `no ${kind} marker`);
      }
    });

    test('±10 s, by button and by key, and the speed changes how fast time passes', async () => {
      const { page } = env().viewer;
      await open('?t=20000');
      const at = await pause(page);
      await page.getByTestId('skip-forward').click();
      await pollUntil(async () => ((await position(page)) === at + 10_000 ? true : undefined), { what: '+10 s', timeoutMs: 5_000, intervalMs: 50 });
      await page.getByTestId('skip-back').click();
      await pollUntil(async () => ((await position(page)) === at ? true : undefined), { what: '-10 s', timeoutMs: 5_000, intervalMs: 50 });
      await page.keyboard.press('ArrowLeft');
      await pollUntil(async () => ((await position(page)) === at - 10_000 ? true : undefined), { what: '-10 s by key', timeoutMs: 5_000, intervalMs: 50 });

      // 4×: about four seconds of the recording per second (measured over a second of page time).
      await page.getByTestId('speed-4x').click();
      await page.getByTestId('play-toggle').click();
      const rate = await playRate(page, 1_000);
      assert.ok(rate > 3 && rate < 5, `4× played ${rate.toFixed(2)} s of the recording per second`);
      await page.keyboard.press('>');
      assert.equal(await page.getByTestId('speed-8x').getAttribute('aria-pressed'), 'true');
      assert.match(page.url(), /speed=8/);
      await page.getByTestId('speed-1x').click();
    });

    test('skip inactivity passes five idle minutes quickly, shaded on the timeline', async () => {
      const { page } = env().viewer;
      await open(`?t=${IDLE_FROM - 2 * S}`);
      const band = page.getByTestId('band-idle').first();
      await band.waitFor({ state: 'attached' });
      const { t0 } = env();
      assert.equal(Number(await band.getAttribute('data-start')) - t0, IDLE_FROM + 500);
      assert.equal(Number(await band.getAttribute('data-end')) - t0, IDLE_UNTIL);
      assert.equal(await page.getByTestId('skip-inactive').isChecked(), true, 'skip inactivity is on by default');
      const started = Date.now();
      const after = await waitUntilPast(page, IDLE_UNTIL - LEAD, 10_000);
      const took = Date.now() - started;
      assert.ok(took < 8_000, `passing 5 idle minutes took ${took} ms`);
      assert.ok(after < IDLE_UNTIL + 5 * S, `landed at ${after} ms`);
      await waitForReplayedText(await replayFrame(page), ['After the long pause'], 10_000);

      // Without skipping, the same stretch plays in real time.
      await page.goto(`${env().reel.baseUrl}/replays/${env().id}?t=${IDLE_FROM + 10 * S}&skip=0`);
      await waitUntilReady(page);
      assert.equal(await page.getByTestId('skip-inactive').isChecked(), false);
      const rate = await playRate(page, 1_500);
      assert.ok(rate > 0.5 && rate < 2, `without skipping, the idle stretch played at ${rate.toFixed(2)}×`);
    });

    test('copy link: the URL holds ?t= in ms from the start, and opening it starts there', async () => {
      const { page } = env().viewer;
      await open('?t=33000');
      const at = await pause(page);
      await page.getByTestId('copy-link').click();
      const copied = page.getByTestId('copied-link');
      await copied.waitFor({ state: 'visible' });
      const link = new URL(await copied.inputValue());
      assert.equal(link.pathname, `/replays/${env().id}`);
      assert.equal(Number(link.searchParams.get('t')), at);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link.href);
      const other = await env().viewer.context.newPage();
      try {
        await other.goto(link.href);
        await waitUntilReady(other);
        assert.equal(await landedAt(other), at);
        const now = await position(other);
        assert.ok(now >= at && now < at + 5_000, `opened at ${now} ms, the link says ${at}`);
      } finally {
        await other.close();
      }
    });

    test('page and device: the URL shown follows the recording; browser, OS, device, viewport, user, country, start; the clock in the project timezone', async () => {
      const { reel, viewer, t0 } = env();
      const { page } = viewer;
      const project = (await getMe(reel)).projects[0]!;
      assert.equal((await updateProject(reel, project.id, { timezone: 'Asia/Kolkata' })).timezone, 'Asia/Kolkata');
      await open('?t=1000');
      const at = await pause(page);
      assert.equal(await page.getByTestId('current-url').innerText(), 'https://shop.test/checkout');
      const expected = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(t0 + at));
      assert.equal(await page.getByTestId('wall-clock').innerText(), expected);
      assert.match(await page.getByTestId('replay-summary').innerText(), /6m 00s/);
      assert.match(await page.getByTestId('time-display').innerText(), / \/ 6:00$/);
      assert.equal(await page.getByTestId('detail-browser').innerText(), 'Chrome');
      assert.match(await page.getByTestId('detail-os').innerText(), /mac/i);
      assert.equal(await page.getByTestId('detail-device').innerText(), 'desktop');
      assert.equal(await page.getByTestId('detail-viewport').innerText(), '1024 × 640');
      assert.equal(await page.getByTestId('detail-user').innerText(), 'anonymous');
      assert.ok((await page.getByTestId('detail-start').innerText()).length > 0);
      const timeline = page.getByTestId('timeline');
      await timeline.focus();
      await timeline.press('End');
      await pollUntil(async () => ((await page.getByTestId('current-url').innerText()) === 'https://shop.test/thanks' ? true : undefined), {
        what: 'the URL of the second page',
        timeoutMs: 10_000,
      });
    });

    test('feedback: a thumbs-down with a comment is stored with who and when; admins see it listed', async () => {
      const { reel, viewer, id } = env();
      const { page } = viewer;
      await open();
      await page.getByTestId('feedback-down').click();
      await page.getByTestId('feedback-comment').fill('The pay button looks cut off');
      await page.getByTestId('feedback-send').click();
      await pollUntil(async () => ((await page.getByTestId('feedback-status').innerText()).startsWith('Thanks') ? true : undefined), { what: 'feedback to be sent', timeoutMs: 10_000 });
      const { feedback } = await listFeedback(reel);
      const mine = feedback.find((f) => f.replay_id === id);
      assert.ok(mine, 'the feedback is not stored');
      assert.equal(mine.rating, 'down');
      assert.equal(mine.comment, 'The pay button looks cut off');
      assert.equal(mine.user.email, reel.email);
      assert.ok(Math.abs(Date.parse(mine.created_at) - Date.now()) < 120_000);
      await page.getByTestId('nav-feedback').click();
      const row = page.getByTestId('feedback-row').first();
      await row.waitFor();
      assert.equal(await row.getByTestId('feedback-row-comment').innerText(), 'The pay button looks cut off');
    });

    test('the list opens the player in a modal; Escape closes it', async () => {
      const { reel, viewer, id } = env();
      const { page } = viewer;
      await page.goto(`${reel.baseUrl}/replays`);
      const item = page.locator(`.replay-item[data-key="${id}"]`);
      await item.waitFor();
      await item.getByTestId('row-play').click();
      const modal = page.getByTestId('player-modal');
      await modal.waitFor({ state: 'visible' });
      await modal.locator('[data-testid=player] iframe').waitFor({ state: 'attached' });
      await pollUntil(async () => ((await modal.getByTestId('player-shell').getAttribute('data-state')) === 'ready' ? true : undefined), { what: 'the modal player to be ready', timeoutMs: 20_000 });
      assert.equal(new URL(page.url()).pathname, '/replays');
      await page.keyboard.press('Escape');
      await modal.waitFor({ state: 'detached' });
      assert.equal(await page.locator('[data-testid=player-shell]').count(), 0, 'the player was not torn down');
    });

    test('no uncaught errors or console errors on the player page', () => {
      const { problems } = env();
      assert.deepEqual(problems.pageErrors, []);
      assert.deepEqual(unexpectedConsoleErrors(problems), []);
    });
  },
);

async function replayFrame(page: import('playwright-core').Page): Promise<import('playwright-core').Frame> {
  const handle = await page.waitForSelector('[data-testid=player] .replayer-wrapper iframe', { state: 'attached' });
  const frame = await handle.contentFrame();
  assert.ok(frame, 'the player iframe has no frame');
  return frame;
}

/** Milliseconds of recording played per millisecond of page time, measured over `forMs`. */
function playRate(page: import('playwright-core').Page, forMs: number): Promise<number> {
  // A string: functions tsx compiled would reference its helpers, which the page lacks.
  return page.evaluate(`new Promise((resolve) => {
    const timeline = document.querySelector('[data-testid=timeline]');
    const from = { wall: performance.now(), at: Number(timeline.value) };
    const step = () => {
      const wall = performance.now() - from.wall;
      if (wall < ${forMs}) requestAnimationFrame(step);
      else resolve((Number(timeline.value) - from.at) / wall);
    };
    requestAnimationFrame(step);
  })`) as Promise<number>;
}
