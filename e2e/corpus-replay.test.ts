// (d) rrweb's own replay test fixtures (testdata/rrweb-corpus) as a peer's test suite: every file is
// uploaded through the real upload path, stored unchanged, and replays to its end in reel's
// player without an uncaught error or a console error.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findReplay, getReplayEvents } from '../testkit/api-client.ts';
import type { RecordedEvent, Replay } from '../testkit/api-types.ts';
import { launchBrowser, watchPageProblems, type Browser, type PageProblems } from '../testkit/browser.ts';
import { track } from '../testkit/ingest.ts';
import { pollUntil } from '../testkit/poll.ts';
import { startReel, type Reel } from '../testkit/reel-server.ts';
import { logInThroughUi } from '../testkit/ui-login.ts';
import { unexpectedConsoleErrors } from './lib/assertions.ts';
import { EventType, hasEvent } from './lib/rrweb.ts';
import { describeWithSetUp } from './lib/suite.ts';

/** `<repo>/testdata/rrweb-corpus`: rrweb's recordings, kept in the repository (see its README). */
const CORPUS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../testdata/rrweb-corpus');

/**
 * What the player page shows instead of a player for a recording without a FullSnapshot
 * (web/src/views/player.ts); the only message accepted, and only for such recordings.
 */
const NO_SNAPSHOT_MESSAGE = 'This recording has no page snapshot';

interface CorpusFile {
  /** File name without `.json`, e.g. `shadow-dom`. */
  name: string;
  /** Every event of the file, as uploaded: timestamps shifted so the session started within the last hour. */
  sent: RecordedEvent[];
  /** The events reel keeps of them (all but those whose time cannot belong to the session). */
  events: RecordedEvent[];
  deviceId: string;
  sessionId: number;
  startMs: number;
  endMs: number;
}

describeWithSetUp(
  'the rrweb corpus replays in the player',
  { timeout: 180_000 },
  async (defer) => {
    const corpus = loadCorpus();
    const reel = await startReel();
    defer(() => reel.stop());
    const viewer = await launchBrowser();
    defer(() => viewer.close());
    return { corpus, reel, viewer };
  },
  (env) => {
    /** Replays found for corpus files, by file name (filled by the upload test). */
    const replays = new Map<string, Replay>();

    test('every corpus file is accepted and stored unchanged', async () => {
      const { corpus, reel } = env();
      const failures: string[] = [];
      for (const file of corpus) {
        try {
          replays.set(file.name, await uploadAndCheck(reel, file));
        } catch (error) {
          failures.push(`${file.name}.json: ${messageOf(error)}`);
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${corpus.length} corpus files failed on the upload path`);
    });

    test('every corpus file plays to its end without errors', async (t) => {
      const { corpus, reel, viewer } = env();
      const { page } = viewer;
      const problems = watchPageProblems(page);
      await logInThroughUi(page, reel);

      const failures: string[] = [];
      for (const file of corpus) {
        const replay = replays.get(file.name);
        if (!replay) {
          failures.push(`${file.name}.json: not replayed, the upload test did not store it`);
          continue;
        }
        const mark = marks(problems);
        const before = failures.length;
        let outcome: string;
        try {
          outcome = await playToEnd(reel, viewer, file, replay);
        } catch (error) {
          failures.push(`${file.name}.json: ${messageOf(error)}`);
          outcome = 'did not play to the end';
        }
        const since = problemsSince(problems, mark);
        if (since.pageErrors.length > 0) {
          failures.push(`${file.name}.json: uncaught errors on the player page: ${JSON.stringify(since.pageErrors)}`);
        }
        const { assets, others } = splitAssetFailures(unexpectedConsoleErrors(since), file);
        if (others.length > 0) {
          failures.push(`${file.name}.json: console errors on the player page: ${JSON.stringify(others)}`);
        }
        t.diagnostic(`${failures.length > before ? 'FAIL' : 'ok  '} ${file.name}.json: ${outcome}`);
        // Reported, not failed: the recorded page's own assets that are gone (their URLs come from
        // the recording), and warnings. The player runs rrweb with showWarning off, so a warning
        // here is not rrweb's usual noise; it is listed, never dropped silently.
        for (const line of assets) t.diagnostic(`     ${file.name}.json: an asset of the recorded page did not load: ${line}`);
        for (const line of since.consoleWarnings) t.diagnostic(`     ${file.name}.json: console warning: ${line}`);
      }
      assert.deepEqual(failures, [], `${failures.length} problem(s) replaying ${corpus.length} corpus files`);
    });
  },
);

/** Events at least this long after their session's start are not plausible: reel skips them. */
const PLAUSIBLE_SESSION_SPAN_MS = 7 * 24 * 3_600_000;

/** Reads every corpus file, shifted so the sessions started about 30 minutes ago, one second apart. */
function loadCorpus(): CorpusFile[] {
  if (!existsSync(CORPUS_DIR)) {
    throw new Error(
      `the rrweb corpus is missing: expected a folder ${CORPUS_DIR} ` +
        '(<repo>/testdata/rrweb-corpus, JSON arrays of rrweb events)',
    );
  }
  const names = readdirSync(CORPUS_DIR)
    .filter((entry) => entry.endsWith('.json'))
    .sort();
  if (names.length === 0) throw new Error(`the rrweb corpus ${CORPUS_DIR} holds no .json file`);
  const firstStart = Date.now() - 30 * 60_000;
  return names.map((entry, index) => {
    const name = entry.slice(0, -'.json'.length);
    let original: unknown;
    try {
      original = JSON.parse(readFileSync(join(CORPUS_DIR, entry), 'utf8'));
    } catch (error) {
      throw new Error(`corpus file ${entry} is not valid JSON: ${messageOf(error)}`);
    }
    if (!Array.isArray(original) || original.length === 0 || !original.every(isEvent)) {
      throw new Error(`corpus file ${entry} is not a non-empty array of rrweb events`);
    }
    const timestamps = original.map((event) => event.timestamp);
    const startMs = firstStart + index * 1000;
    const shift = startMs - Math.min(...timestamps);
    const sent = original.map((event) => ({ ...event, timestamp: event.timestamp + shift }));
    // reel skips (and counts) events whose time cannot belong to the session: one event of
    // video-playback.json is 198 days after the others.
    const events = sent.filter((event) => event.timestamp - startMs < PLAUSIBLE_SESSION_SPAN_MS);
    return {
      name,
      sent,
      events,
      deviceId: `corpus-${name}`,
      sessionId: startMs,
      startMs,
      endMs: Math.max(...events.map((event) => event.timestamp)),
    };
  });
}

function isEvent(value: unknown): value is RecordedEvent {
  const event = value as RecordedEvent;
  return typeof event === 'object' && event !== null && typeof event.type === 'number' && typeof event.timestamp === 'number';
}

/** Uploads one file like Amplitude's replay SDK does, then checks what reel stored and lists. */
async function uploadAndCheck(reel: Reel, file: CorpusFile): Promise<Replay> {
  const answer = await track(reel, {
    deviceId: file.deviceId,
    sessionId: file.sessionId,
    events: file.sent.map((event) => JSON.stringify(event)),
  });
  assert.equal(answer.events_skipped, file.sent.length - file.events.length, `reel skipped other events of the upload: ${JSON.stringify(answer)}`);
  assert.equal(answer.events_accepted, file.events.length, `reel accepted a different number of events: ${JSON.stringify(answer)}`);

  const range = new URLSearchParams({
    limit: '100',
    start: new Date(file.startMs - 60_000).toISOString(),
    end: new Date(file.startMs + 60_000).toISOString(),
  });
  const replay = await pollUntil(() => findReplay(reel, file.deviceId, file.sessionId, range.toString()), {
    what: `reel to list the replay of ${file.deviceId}`,
    timeoutMs: 10_000,
  });
  assert.equal(replay.event_count, file.events.length, 'event_count of the listed replay');
  assert.equal(Date.parse(replay.start_time), file.startMs, `start_time ${replay.start_time} of the listed replay`);
  assert.equal(Date.parse(replay.end_time), file.endMs, `end_time ${replay.end_time} of the listed replay`);

  // Stored unchanged: the same events (order may differ only between equal timestamps).
  const stored = await getReplayEvents(reel, replay.id);
  assert.deepEqual(
    canonicalList(stored),
    canonicalList(file.events),
    'the stored events differ from the uploaded ones',
  );
  return replay;
}

function canonicalList(events: RecordedEvent[]): string[] {
  return events.map(canonicalJson).sort();
}

/** JSON with object keys sorted, so re-serialising on the server does not count as a change. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Opens the player page of one replay, waits for a player (or the no-snapshot message), moves the
 * timeline to its end with the keyboard and waits until the player says it finished. Returns a
 * one-line outcome for the report.
 */
async function playToEnd(reel: Reel, viewer: Browser, file: CorpusFile, replay: Replay): Promise<string> {
  const { page } = viewer;
  await page.goto(`${reel.baseUrl}/replays/${encodeURIComponent(replay.id)}`);
  const shown = await page.waitForSelector(
    '[data-testid=player] iframe, [data-testid=player-error], [data-testid=player-message]',
    { state: 'attached' },
  );
  const testId = await shown.getAttribute('data-testid');
  if (testId === 'player-error') {
    throw new Error(`the player page shows an error: ${JSON.stringify((await shown.innerText()).trim())}`);
  }
  if (testId === 'player-message') {
    const message = (await shown.innerText()).trim();
    assert.ok(
      !hasEvent(file.events, EventType.FullSnapshot) && message.includes(NO_SNAPSHOT_MESSAGE),
      `the player page shows a message instead of a player: ${JSON.stringify(message)}`,
    );
    return `no FullSnapshot, shows "${NO_SNAPSHOT_MESSAGE}" as documented`;
  }

  const timeline = page.getByTestId('timeline');
  const total = Number(await timeline.getAttribute('max'));
  const expectedTotal = file.endMs - file.startMs;
  // rrweb measures from the first event to the last; reel's UI orders them by time first.
  assert.equal(total, expectedTotal, `the timeline spans ${total} ms, the recording ${expectedTotal} ms`);

  // Seek the way a keyboard user does: focus the range and press End (fires input + change).
  await timeline.focus();
  await timeline.press('End');
  await pollUntil(
    async () => {
      const [value, state] = await Promise.all([
        timeline.inputValue(),
        page.getByTestId('play-toggle').getAttribute('data-state'),
      ]);
      return Number(value) === total && state === 'paused' ? true : undefined;
    },
    { what: 'the player to reach the end (timeline at its max, play control paused)', timeoutMs: 10_000, intervalMs: 50 },
  );

  const frame = await (await page.waitForSelector('[data-testid=player] iframe', { state: 'attached' })).contentFrame();
  assert.ok(frame, 'the replay iframe has no frame');
  const elements = await frame.evaluate(() => document.documentElement?.querySelectorAll('*').length ?? 0);
  assert.ok(elements > 0, 'the replayed document is empty at the end of the replay');
  // One more frame of the player page, so errors thrown while rendering the end are seen here.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0))));
  return `played to the end (${formatMs(total)}, ${elements} elements in the replayed document)`;
}

/**
 * Separates "Failed to load resource" errors for URLs the recording itself references (the
 * recorded site's images, media, style sheets: rrweb's fixtures point at a test server that is
 * gone) from every other console error. The player resolves relative URLs against the recorded
 * page (the href of a Meta event), so they are resolved against each page of the file here.
 */
function splitAssetFailures(errors: string[], file: CorpusFile): { assets: string[]; others: string[] } {
  const pages = file.events.filter((event) => event.type === EventType.Meta).map((event) => String(event.data?.href ?? ''));
  const referenced = new Set<string>();
  collectUrls(file.events, (value) => {
    for (const page of [undefined, ...pages]) {
      try {
        referenced.add(new URL(value, page || undefined).href);
      } catch {
        // not a URL, or relative to a page that is not a URL
      }
    }
  });
  const assets: string[] = [];
  const others: string[] = [];
  for (const error of errors) {
    const at = error.lastIndexOf(' @ ');
    const url = at >= 0 ? error.slice(at + 3) : '';
    if (error.startsWith('Failed to load resource') && referenced.has(url)) assets.push(error);
    else others.push(error);
  }
  return { assets, others };
}

/** Calls `found` with every attribute value that can name a resource (src, href, poster, ...). */
function collectUrls(value: unknown, found: (url: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) collectUrls(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (typeof item === 'string' && /^(src|href|poster|data|srcset|rr_dataURL)$/i.test(key)) found(item);
      else collectUrls(item, found);
    }
  }
}

function marks(problems: PageProblems): Record<keyof PageProblems, number> {
  return {
    pageErrors: problems.pageErrors.length,
    consoleErrors: problems.consoleErrors.length,
    consoleWarnings: problems.consoleWarnings.length,
  };
}

function problemsSince(problems: PageProblems, mark: Record<keyof PageProblems, number>): PageProblems {
  return {
    pageErrors: problems.pageErrors.slice(mark.pageErrors),
    consoleErrors: problems.consoleErrors.slice(mark.consoleErrors),
    consoleWarnings: problems.consoleWarnings.slice(mark.consoleWarnings),
  };
}

function formatMs(ms: number): string {
  return ms < 60_000 ? `${ms} ms` : `${(ms / 86_400_000).toFixed(1)} days`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
