// (e) Recordings are untrusted: anyone with the public key can upload one. Replaying a hostile
// recording must not make the viewer's browser call reel with the viewer's cookie, must not tell
// other sites where the viewer is, and a recording the player cannot build must say so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, Page, Request, Route } from 'playwright-core';
import type { RecordedEvent } from '../testkit/api-types.ts';
import { launchBrowser, watchPageProblems, type Browser, type PageProblems } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel, type Reel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { unexpectedConsoleErrors } from './lib/assertions.ts';
import { append, fullSnapshot, meta, mouseMove, nestedDivs, NodeIds } from './lib/recordings.ts';
import { describeWithSetUp } from './lib/suite.ts';
import { waitForReplayedText } from './lib/ui.ts';
import { uploadRecording } from './lib/uploads.ts';

/** The recorded site. The browser never resolves it: every request to it is answered by a stub. */
const SITE = 'http://recorded.reel.test';
const FIRST_PAGE = `${SITE}/shop/page.html`;
const SECOND_PAGE = `${SITE}/other/dir/next.html`;
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const SHEET = '.from-sheet { background-image: url(from-sheet.png); }';
/** Inline CSS of the hostile page: relative and reel-looking URLs, escapes, image-set, fonts. */
const HOSTILE_CSS = [
  '@import "imported.css";',
  'body { background: url(/api/v1/replays); }',
  '.rel { background-image: url(rel.png); }',
  '.escaped { background-image: u\\72l(escaped.png); }',
  '.set { background-image: image-set("set.png" 1x); }',
  '.var { --img: "var.png"; background-image: image-set(var(--img) 1x); }',
  '@font-face { font-family: recorded; src: url(font.woff2); }',
  '.font { font-family: recorded; }',
].join('\n');

interface SeenRequest {
  url: URL;
  fromReplay: boolean;
  resourceType: string;
  headers: Record<string, string>;
}

let reel: Reel;
let viewer: Browser;
let problems: PageProblems;
const seen: SeenRequest[] = [];
let sessionId = Date.now() - 20 * 60_000;

async function remember(page: Page, request: Request): Promise<void> {
  const entry: SeenRequest = {
    url: new URL(request.url()),
    fromReplay: request.frame() !== page.mainFrame(),
    resourceType: request.resourceType(),
    headers: request.headers(),
  };
  seen.push(entry);
  // allHeaders() adds what the network stack set (Cookie); it is not available for every request.
  entry.headers = await request.allHeaders().catch(() => entry.headers);
}

describeWithSetUp(
  'hostile and broken recordings in the player',
  { timeout: 180_000 },
  async (defer) => {
    // reel refuses events nested deeper than `max_event_depth` at ingest; this server allows
    // them, so the player's own defence against what it cannot build is what gets tested.
    reel = await startReel({ REEL_MAX_EVENT_DEPTH: '1000000' });
    defer(() => reel.stop());
    viewer = await launchBrowser();
    defer(() => viewer.close());
    await viewer.context.route(`${SITE}/**`, answerAsRecordedSite);
    viewer.page.on('request', (request) => void remember(viewer.page, request));
    problems = watchPageProblems(viewer.page);
    await logInThroughUi(viewer.page, reel);
  },
  (env) => {
  /** Uploads events as a new session and opens its replay in the player. */
  async function openRecording(name: string, events: RecordedEvent[]): Promise<void> {
    sessionId += 1000;
    const replay = await uploadRecording(reel, { deviceId: `player-safety-${name}`, sessionId, events });
    await viewer.page.goto(`${reel.baseUrl}/replays/${encodeURIComponent(replay.id)}`);
  }

  test("a hostile recording's requests never reach reel, resolve against the recorded page and carry no Referer", async (t) => {
    env();
    const t0 = Date.now() - 15 * 60_000;
    const ids = new NodeIds();
    const first = ids.page(
      [
        // Would widen the viewer's referrer policy for everything below.
        ids.element('meta', { name: 'referrer', content: 'unsafe-url' }),
        ids.element('link', { rel: 'stylesheet', href: 'style.css' }),
        ids.element('style', {}, ids.text(HOSTILE_CSS, true)),
      ],
      [
        ids.element('p', {}, ids.text('First recorded page')),
        ids.element('img', { src: 'x' }),
        ids.element('img', { src: '/api/v1/me' }),
        ids.element('img', { srcset: 'small.png 1x, /api/v1/replays?large 2x' }),
        ids.element('img', { src: `${reel.baseUrl}/api/v1/me?absolute` }),
        // The one exception: reel's public demo shop files (so replays of the demo show its images).
        ids.element('img', { src: `${reel.baseUrl}/demo/product-tent.svg` }),
        ids.element('img', { src: `${SITE}/shop/policy.png`, referrerpolicy: 'unsafe-url' }),
        ids.element('video', { poster: 'poster.png' }),
        ids.element('canvas', { rr_dataURL: 'canvas.png', width: '10', height: '10' }),
        ids.element('div', { class: 'rel' }, ids.text('styled by a relative url()')),
        ids.element('div', { class: 'from-sheet' }, ids.text('styled by the linked sheet')),
        ids.element('div', { style: 'background-image: url(inline-attr.png)' }, ids.text('inline style')),
        ids.element('div', { class: 'escaped' }, ids.text('escaped url(')),
        ids.element('div', { class: 'set' }, ids.text('image-set')),
        ids.element('div', { class: 'var' }, ids.text('image-set with var()')),
        ids.element('div', { class: 'font' }, ids.text('web font')),
      ],
    );
    const second = ids.page(
      [ids.element('style', {}, ids.text('.bg { background-image: url(next-bg.png); }', true))],
      [ids.element('p', {}, ids.text('Second recorded page')), ids.element('div', { class: 'bg' }, ids.text('bg')), ids.element('img', { src: 'next.png' })],
    );
    const events = [
      meta(t0, FIRST_PAGE),
      fullSnapshot(t0 + 1, first.root),
      append(t0 + 600, first.body.id, ids.element('img', { src: 'added.png' })),
      meta(t0 + 1200, SECOND_PAGE),
      fullSnapshot(t0 + 1201, second.root),
      append(t0 + 1800, second.body.id, ids.element('img', { src: 'after-nav.png' })),
      mouseMove(t0 + 2400, 10, 10, second.body.id),
    ];
    const expected = [
      '/shop/style.css', '/shop/from-sheet.png', '/api/v1/replays', '/shop/rel.png', '/shop/x', '/api/v1/me',
      '/shop/small.png', '/shop/policy.png', '/shop/poster.png', '/shop/canvas.png', '/shop/inline-attr.png',
      '/shop/added.png', '/other/dir/next-bg.png', '/other/dir/next.png', '/other/dir/after-nav.png',
      '/shop/imported.css', '/shop/escaped.png', '/shop/set.png', '/shop/font.woff2',
    ];
    // Requests from style sheets: Chromium sends a Referer for them whatever the policy (see below).
    const cssInitiated = new Set([
      '/api/v1/replays', '/shop/rel.png', '/shop/inline-attr.png', '/other/dir/next-bg.png', '/shop/from-sheet.png',
      '/shop/imported.css', '/shop/escaped.png', '/shop/set.png', '/shop/font.woff2',
    ]);

    const mark = seen.length;
    const problemMark = problems.pageErrors.length;
    await openRecording('hostile', events);
    const frame = await replayFrame(viewer.page);
    await waitForReplayedText(frame, ['Second recorded page'], 20_000);
    const recordedPaths = (): string[] => seen.slice(mark).filter((r) => r.url.origin === SITE).map((r) => r.url.pathname);
    await pollUntil(async () => (expected.every((path) => recordedPaths().includes(path)) ? true : undefined), {
      what: `requests to the recorded site for ${expected.join(', ')}`,
      timeoutMs: 15_000,
    }).catch(() => undefined);
    // Seeking rebuilds from the last snapshot before the target and applies the rest through
    // rrweb's virtual DOM: a second path that must resolve URLs the same way.
    const timeline = viewer.page.getByTestId('timeline');
    await timeline.focus();
    for (const [key, text] of [['Home', 'First recorded page'], ['End', 'Second recorded page']] as const) {
      await timeline.press(key);
      await waitForReplayedText(frame, [text], 10_000).catch((error: Error) => t.diagnostic(`after ${key}: ${error.message}`));
    }

    const requests = seen.slice(mark);
    const reelHost = new URL(reel.baseUrl).hostname;
    const toReel = requests.filter((r) => r.url.hostname === reelHost);
    // Only the player page itself talks to reel: its document, its assets, and API calls marked
    // as its own (the server refuses cookie calls without the header). The replay may only
    // fetch the demo shop's public files.
    const isUi = (r: SeenRequest): boolean =>
      !r.fromReplay &&
      ((r.resourceType === 'document' && r.url.pathname.startsWith('/replays/')) ||
        r.url.pathname.startsWith('/assets/') ||
        (r.url.pathname.startsWith('/api/v1/') && r.headers['x-reel-request'] === '1'));
    const isDemoFile = (r: SeenRequest): boolean => r.fromReplay && r.url.origin === reel.baseUrl && r.url.pathname.startsWith('/demo/');
    assert.deepEqual(toReel.filter((r) => !isUi(r) && !isDemoFile(r)).map(show), [], "requests to reel that are not the UI's own");
    assert.ok(toReel.some((r) => r.url.pathname === '/demo/product-tent.svg'), 'the demo shop image was not loaded');

    const missing = expected.filter((path) => !recordedPaths().includes(path));
    assert.deepEqual(missing, [], `not requested from the recorded site ${SITE} (relative URLs resolved elsewhere?)`);
    // A URL only known when the style is computed (var() in image-set) is not fetched at all.
    assert.deepEqual(requests.filter((r) => r.url.pathname.endsWith('/var.png')).map(show), [], 'image-set(var()) was fetched');

    const toSite = requests.filter((r) => r.url.origin === SITE);
    const referers = toSite.filter((r) => r.headers.referer !== undefined);
    for (const request of referers) t.diagnostic(`sent with a Referer: ${show(request)}`);
    // Elements (images, media posters, <link> style sheets) send no Referer at all.
    assert.deepEqual(referers.filter((r) => !cssInitiated.has(r.url.pathname)).map(show), [], 'element requests with a Referer');
    // Chromium sends style-sheet-initiated requests with the sheet's URL as Referer under the
    // default policy, ignoring the document's no-referrer: for a <link> sheet that is the
    // recorded site's own URL; for inline CSS it is the replay document's URL, cut to reel's
    // bare origin. Never a path (which would name the replay being watched).
    const allowed = new Set([`${reel.baseUrl}/`, `${SITE}/shop/style.css`]);
    assert.deepEqual(referers.filter((r) => !allowed.has(r.headers.referer!)).map(show), [], 'Referers beyond an origin');

    assert.deepEqual(problems.pageErrors.slice(problemMark), [], 'uncaught errors on the player page');
  });

  test('a snapshot nested 20 000 deep shows a message instead of a blank stage', async () => {
    env();
    const t0 = Date.now() - 14 * 60_000;
    const ids = new NodeIds();
    const page = ids.page([], [nestedDivs(ids, 20_000, 'the bottom of a very deep page')]);
    const events = [meta(t0, FIRST_PAGE), fullSnapshot(t0 + 1, page.root), mouseMove(t0 + 1000, 5, 5, page.body.id)];
    const errorMark = problems.pageErrors.length;
    await openRecording('deep', events);
    const problem = viewer.page.getByTestId('player-problem');
    await problem.waitFor({ state: 'visible' });
    assert.match(await problem.innerText(), /This part of the recording can.t be shown/);
    assert.match(await problem.innerText(), /nested too deeply/);
    await assertControlsWork(viewer.page);
    assert.deepEqual(problems.pageErrors.slice(errorMark), [], 'uncaught errors on the player page');
  });

  test('a recording without a page snapshot says so', async () => {
    env();
    const t0 = Date.now() - 13 * 60_000;
    const events = [meta(t0, FIRST_PAGE), mouseMove(t0 + 500, 5, 5, 1), mouseMove(t0 + 1000, 6, 6, 1)];
    await openRecording('no-snapshot', events);
    const message = viewer.page.getByTestId('player-message');
    await message.waitFor({ state: 'visible' });
    assert.match(await message.innerText(), /This recording has no page snapshot/);
  });

  test('a snapshot that fails to rebuild shows a message, and the next one plays', async () => {
    env();
    const t0 = Date.now() - 12 * 60_000;
    const ids = new NodeIds();
    const good = ids.page([], [ids.element('p', {}, ids.text('The page after the broken one'))]);
    const events: RecordedEvent[] = [
      meta(t0, FIRST_PAGE),
      // A document whose children are not a list: rrweb's rebuild throws a TypeError.
      { type: 2, timestamp: t0 + 1, data: { node: { type: 0, id: 1, childNodes: 7 }, initialOffset: { top: 0, left: 0 } } },
      // Events that throw while they are applied: rrweb reads positions[0] of every mouse move
      // and looks up the name of every mouse interaction type.
      { type: 3, timestamp: t0 + 400, data: { source: 1, positions: null } },
      { type: 3, timestamp: t0 + 500, data: { source: 2, type: 99, id: 1 } },
      meta(t0 + 2000, SECOND_PAGE),
      fullSnapshot(t0 + 2001, good.root),
      mouseMove(t0 + 2500, 5, 5, good.body.id),
    ];
    const errorMark = problems.pageErrors.length;
    const consoleMark = problems.consoleErrors.length;
    await openRecording('broken', events);
    const problem = viewer.page.getByTestId('player-problem');
    await problem.waitFor({ state: 'visible' });
    assert.match(await problem.innerText(), /This part of the recording can.t be shown/);
    const frame = await replayFrame(viewer.page);
    await waitForReplayedText(frame, ['The page after the broken one'], 20_000);
    await problem.waitFor({ state: 'hidden' });
    await assertControlsWork(viewer.page);
    assert.deepEqual(problems.pageErrors.slice(errorMark), [], 'uncaught errors on the player page');
    const consoleErrors = { ...problems, consoleErrors: problems.consoleErrors.slice(consoleMark) };
    assert.deepEqual(unexpectedConsoleErrors(consoleErrors), [], 'console errors on the player page');
  });
  },
);

async function answerAsRecordedSite(route: Route): Promise<void> {
  const path = new URL(route.request().url()).pathname;
  if (path.endsWith('.css')) {
    await route.fulfill({ status: 200, contentType: 'text/css', body: path === '/shop/style.css' ? SHEET : '' });
  } else {
    await route.fulfill({ status: 200, contentType: 'image/gif', body: GIF });
  }
}

async function replayFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('[data-testid=player] .replayer-wrapper iframe', { state: 'attached' });
  const frame = await handle.contentFrame();
  assert.ok(frame, 'the player iframe has no frame');
  return frame;
}

/** The player's controls still answer: seeking to the start moves the clock back to 0:00. */
async function assertControlsWork(page: Page): Promise<void> {
  const timeline = page.getByTestId('timeline');
  await timeline.focus();
  await timeline.press('Home');
  await pollUntil(async () => ((await page.getByTestId('time-display').innerText()).startsWith('0:00') ? true : undefined), {
    what: 'the clock to show 0:00 after seeking to the start',
    timeoutMs: 5_000,
  });
  await page.getByTestId('play-toggle').click();
  await pollUntil(async () => ((await page.getByTestId('play-toggle').getAttribute('data-state')) ? true : undefined), {
    what: 'the play control to answer',
    timeoutMs: 5_000,
  });
}

function show(request: SeenRequest): string {
  const referer = request.headers.referer ? ` referer=${request.headers.referer}` : '';
  const cookie = request.headers.cookie ? ' with cookie' : '';
  return `${request.fromReplay ? 'replay' : 'page'} ${request.resourceType} ${request.url.href}${referer}${cookie}`;
}
