// Analytics around replays in the UI, on the shop's two days of testdata/analytics/ (counted by
// hand in its README): a funnel built in the UI whose converted bar opens the Microscope, whose
// replays play one after another; a user looked up with a session playing beside the stream;
// a chart and a replay added to a dashboard that still holds both after a reload; a chart
// shared by its URL.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { findReplay } from '../testkit/api-client.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { sendAnalytics, track } from '../testkit/ingest.ts';
import { pollUntil } from '../testkit/poll.ts';
import { encodeReplayId as replayIdOf } from '../testkit/replay-id.ts';
import { startReel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { landedAt, waitUntilReady } from './lib/player.ts';
import { NodeIds, fullSnapshot, meta, mouseMove } from './lib/recordings.ts';
import { describeWithSetUp } from './lib/suite.ts';

interface Shop {
  events: Array<Record<string, unknown>>;
  exposures: Array<Record<string, unknown>>;
  recorded_sessions: Array<{ device_id: string; session_id: number }>;
}

const shop = JSON.parse(readFileSync(new URL('../testdata/analytics/shop.json', import.meta.url), 'utf8')) as Shop;
const DAY1 = '2026-01-05';
const DAY2 = '2026-01-06';

/** Fills an input and leaves it, so its change event fires as when a person types. */
async function type(page: Page, testId: string, text: string): Promise<void> {
  const input = page.getByTestId(testId);
  await input.fill(text);
  await input.press('Tab');
}

/** Opens /charts at the shop's two days. */
async function chartsPage(page: Page, baseUrl: string, kind: string): Promise<void> {
  await page.goto(`${baseUrl}/charts`);
  await page.getByTestId(`kind-${kind}`).click();
  await page.getByTestId('chart-start').fill(DAY1);
  await page.getByTestId('chart-end').fill(DAY2);
}

describeWithSetUp(
  'analytics around replays in the UI',
  { timeout: 300_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    await sendAnalytics(reel, shop.events);
    await sendAnalytics(reel, shop.exposures);
    for (const { device_id: deviceId, session_id: sessionId } of shop.recorded_sessions) {
      const ids = new NodeIds();
      const { root } = ids.page([], [ids.element('h1', {}, ids.text(`Visit of ${deviceId}`))]);
      // Seven minutes of pointer moves: the recording spans every event of its session.
      const moves = Array.from({ length: 8 }, (_, i) => mouseMove(sessionId + 5_000 + i * 60_000, 10 + i, 10, 1));
      await track(reel, { deviceId, sessionId, events: [meta(sessionId, 'https://shop.e2e.test/'), fullSnapshot(sessionId + 1, root), ...moves] });
      await pollUntil(async () => findReplay(reel, deviceId, sessionId, 'start=2026-01-01&end=2026-01-31&limit=100&count=false'), {
        what: `the replay of ${deviceId} to be listed`,
      });
    }
    const member = await launchBrowser();
    defer(() => member.close());
    const colleague = await launchBrowser();
    defer(() => colleague.close());
    await logInThroughUi(member.page, reel);
    return { reel, member, colleague };
  },
  (env) => {
    test('a funnel built in the UI: the converted bar opens its sessions, whose replays play one after another', async () => {
      const { reel, member } = env();
      const page = member.page;
      await chartsPage(page, reel.baseUrl, 'funnel');
      await type(page, 'step-0', 'View');
      await type(page, 'step-1', 'Add to cart');
      await page.getByTestId('add-step').click();
      await type(page, 'step-2', 'Checkout');
      const converted = page.getByTestId('funnel-converted-2');
      await pollUntil(async () => ((await converted.count()) && (await converted.innerText()) === '2' ? true : undefined), {
        what: 'the funnel to show 2 users at Checkout',
      });
      assert.deepEqual(
        await page.locator('[data-testid^=funnel-converted-]').allInnerTexts(),
        ['6', '4', '2'],
        'users per step, as counted by hand',
      );
      await converted.click();
      const summary = page.getByTestId('microscope-summary');
      await pollUntil(async () => ((await summary.innerText()) === '2 users, 3 sessions.' ? true : undefined), { what: 'the Microscope to list alice and bob' });
      await page.getByTestId('with-replays').check();
      await pollUntil(async () => ((await summary.innerText()) === '2 users, 2 sessions with a replay.' ? true : undefined), { what: 'only sessions with replays' });
      await page.getByTestId('watch-replays').click();
      const modal = page.getByTestId('player-modal');
      await modal.waitFor();
      await waitUntilReady(page);
      const [newest, older] = [...shop.recorded_sessions].sort((a, b) => b.session_id - a.session_id);
      assert.equal(await page.getByTestId('replay-position').innerText(), '1 of 2');
      assert.match((await page.getByTestId('modal-open-page').getAttribute('href')) ?? '', new RegExp(replayIdOf(newest!.device_id, newest!.session_id)));
      await page.getByTestId('replay-next').click();
      await pollUntil(async () => ((await page.getByTestId('replay-position').innerText()) === '2 of 2' ? true : undefined), { what: 'the next replay' });
      await waitUntilReady(page);
      assert.match((await page.getByTestId('modal-open-page').getAttribute('href')) ?? '', new RegExp(replayIdOf(older!.device_id, older!.session_id)));
      assert.equal(await page.getByTestId('replay-next').isDisabled(), true);
      await page.getByTestId('modal-close').click();
    });

    test('User Look-Up: a session plays beside the stream, which follows it', async () => {
      const { reel, member } = env();
      const page = member.page;
      await page.goto(`${reel.baseUrl}/users`);
      // Before a search: who was active last (the demo's visitors of the last days come before
      // the shop's January).
      await page.getByTestId('recent-users').waitFor();
      assert.match(await page.getByTestId('found-user').first().innerText(), /events, last seen/);
      await page.getByTestId('lookup-text').fill('alice');
      await page.getByTestId('lookup-form').locator('button[type=submit]').click();
      await page.getByTestId('recent-users').waitFor({ state: 'detached' });
      await page.getByTestId('found-user').getByRole('link', { name: 'alice' }).click();
      await page.getByTestId('user-title').filter({ hasText: 'alice' }).waitFor();
      assert.equal(await page.getByTestId('stream-session').count(), 2, 'her session and the exposure outside any');
      assert.match(await page.getByTestId('user-properties').or(page.getByText('No properties.')).first().innerText(), /./);
      await page.getByTestId('play-session-0').click();
      await page.getByTestId('user-dock').waitFor();
      await waitUntilReady(page);
      // The playing event is highlighted in the stream, in the session playing; clicking another
      // event of it seeks there.
      const playing = page.getByTestId('stream-session').first().locator('.stream-event.playing');
      await playing.waitFor();
      const events = page.getByTestId('stream-session').first().getByTestId('stream-event');
      assert.ok((await events.count()) >= 4, 'her four events and the page view reel derived from the recording');
      const checkout = events.filter({ hasText: 'Checkout' });
      // The recording is a mouse move a minute: with skipping on, the player would land and at
      // once pass the idle minute after Checkout.
      await page.getByTestId('user-dock').getByTestId('skip-inactive').uncheck();
      await checkout.click();
      // Checkout came 5 minutes into the session: the player lands 2 s before it.
      await pollUntil(async () => (Math.abs((await landedAt(page)) - 298_000) < 1_000 ? true : undefined), { what: 'the player to seek to the clicked event' });
      await page.getByTestId('copy-user-url').click();
      const copied = await page.getByTestId('copied-user-url').inputValue();
      const a = shop.recorded_sessions.find((s) => s.device_id === 'a1')!;
      assert.equal(new URL(copied).searchParams.get('play'), replayIdOf('a1', a.session_id));
    });

    test('a chart and a replay added to a dashboard are both there after a reload', async () => {
      const { reel, member } = env();
      const page = member.page;
      await chartsPage(page, reel.baseUrl, 'funnel');
      await type(page, 'step-0', 'View');
      await type(page, 'step-1', 'Checkout');
      await page.getByTestId('funnel-converted-1').waitFor();
      await page.getByTestId('add-chart-to-board').click();
      await page.getByTestId('board-target').selectOption('');
      await page.getByTestId('board-new-name').fill('E2E checkout');
      await page.getByTestId('board-add').click();
      await page.getByTestId('board-picker').waitFor({ state: 'detached' });

      const alice = shop.recorded_sessions.find((s) => s.device_id === 'a1')!;
      await page.goto(`${reel.baseUrl}/replays/${replayIdOf('a1', alice.session_id)}`);
      await waitUntilReady(page);
      await page.getByTestId('add-replay-to-board').click();
      await pollUntil(async () => ((await page.getByTestId('board-target').locator('option').count()) > 1 ? true : undefined), { what: 'the dashboards to be listed' });
      assert.equal(await page.getByTestId('board-target').locator('option:checked').innerText(), 'E2E checkout');
      await page.getByTestId('board-add').click();
      await page.getByTestId('board-picker').waitFor({ state: 'detached' });

      await page.goto(`${reel.baseUrl}/dashboards`);
      await page.getByTestId('board').getByRole('link', { name: 'E2E checkout' }).click();
      await page.getByTestId('board-title').waitFor();
      await page.reload();
      await page.getByTestId('board-title').filter({ hasText: 'E2E checkout' }).waitFor();
      assert.equal(await page.getByTestId('board-item-chart').count(), 1);
      assert.equal(await page.getByTestId('board-item-replay').count(), 1);
      // The chart ran when the dashboard opened.
      const bar = page.getByTestId('board-item-chart').getByTestId('funnel-converted-1');
      await bar.waitFor();
      assert.equal(await bar.innerText(), '4');
    });

    test('a chart shared by its URL opens the same in a colleague’s browser', async () => {
      const { reel, member, colleague } = env();
      const page = member.page;
      await chartsPage(page, reel.baseUrl, 'segmentation');
      await type(page, 'event-0', 'View');
      await page.getByTestId('view-bar').click();
      const table = page.getByTestId('chart-table');
      await table.waitFor();
      const rows = await table.locator('tbody tr').allInnerTexts();
      assert.deepEqual(rows.map((r) => r.split('\t').map((c) => c.trim())), [['View', '6', '1', '6']]);
      await page.getByTestId('share-chart').click();
      const link = await page.getByTestId('shared-link').inputValue();
      assert.equal(new URL(link).pathname, '/charts');

      await logInThroughUi(colleague.page, reel);
      await colleague.page.goto(link);
      const theirs = colleague.page.getByTestId('chart-table');
      await theirs.waitFor();
      assert.deepEqual(await theirs.locator('tbody tr').allInnerTexts(), rows);
      assert.equal(await colleague.page.getByTestId('view-bar').getAttribute('class'), 'segment active');
      assert.equal(await colleague.page.getByTestId('event-0').inputValue(), 'View');
    });
  },
);
