// The player on a 2-hour session, against a plain rrweb player, in headless Chromium.
//
//   make build && npm run bench:player                  (REEL_BIN=... to measure another binary)
//   npm run bench:player -- --runs 5 --no-compaction
//
// The session is testkit/long-session.ts (120 minutes, 58 MB of rrweb JSON), uploaded in SDK-sized
// batches to the release binary and — unless --no-compaction — compacted into segments first,
// as a finished session is. Then, in fresh tabs of one headless Chromium, each figure is the
// median of --runs runs:
//
// - first frame: navigation to the replay page → its first frame on screen;
// - seek to the last minute: a seek to 60 s before the end, asked on a page that already shows
//   its first frame → that moment on screen. The baseline holds the whole recording by then;
// - open at the last minute: navigation straight to that moment (a shared link, or a seek right
//   after opening) → on screen. The baseline can show nothing before it holds everything;
// - bytes: what the API sent (on the wire, compressed as the browser asked: zstd) until the
//   last minute was on screen and the requests it started ended;
// - peak JS heap: V8's used heap of the tab (the replay iframe included), sampled every 100 ms.
//
// Baseline, in the same run: a page on reel's origin that fetches /events (everything), parses
// it and plays it with `new Replayer(events)` from @rrweb/replay, seeking with `pause(offset)`.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { CDPSession, Page } from 'playwright-core';
import { getManifest } from '../../testkit/api-client.ts';
import { launchBrowser, type Browser } from '../../testkit/browser.ts';
import { sdkBatches, uploadBatches } from '../../testkit/ingest.ts';
import { longSession } from '../../testkit/long-session.ts';
import { pollUntil } from '../../testkit/poll.ts';
import { startReel, type Reel } from '../../testkit/reel-server.ts';
import { encodeReplayId } from '../../testkit/replay-id.ts';
import { sampleHeap, watchRequests } from '../../testkit/tab-watch.ts';
import { logInThroughUi } from '../../testkit/ui-login.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MIN = 60_000;

interface Figures {
  firstFrameMs: number;
  seekMs: number;
  openAtEndMs: number;
  bytes: number;
  peakHeap: number;
}

const USAGE = `usage: npm run bench:player -- [--runs N (default 3)] [--no-compaction]
Measures target/release/reel (\`make build\`), or the binary REEL_BIN names.`;

function args(): { runs: number; compaction: boolean; help: boolean } {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  return {
    runs: runsAt >= 0 ? Number(argv[runsAt + 1]) : 3,
    compaction: !argv.includes('--no-compaction'),
    help: argv.includes('--help') || argv.includes('-h'),
  };
}

async function main(): Promise<void> {
  const { runs, compaction, help } = args();
  if (help) {
    console.log(USAGE);
    return;
  }
  process.env.REEL_BIN ??= join(ROOT, 'target/release/reel');
  if (!existsSync(process.env.REEL_BIN)) throw new Error(`${process.env.REEL_BIN} does not exist: run \`make build\` first`);
  const long = longSession();
  const reel = await startReel({
    REEL_PROCESSING_DELAY_MS: '0',
    REEL_PROCESSING_CPU_SHARE: '1',
    ...(compaction ? { REEL_COMPACTION_IDLE_SECONDS: '0', REEL_REPLACED_OBJECT_GRACE_SECONDS: '0' } : {}),
  });
  let browser: Browser | undefined;
  try {
    const deviceId = 'bench-player';
    const id = encodeReplayId(deviceId, long.startMs);
    const batches = sdkBatches(long.events);
    const uploadStarted = Date.now();
    await uploadBatches(reel, deviceId, long.startMs, batches);
    console.log(
      `2-hour session: ${(long.rawBytes / 1e6).toFixed(1)} MB of rrweb JSON, ${long.events.length} events, ` +
        `${((long.endMs - long.startMs) / MIN).toFixed(0)} minutes, ${batches.length} uploads in ${((Date.now() - uploadStarted) / 1000).toFixed(0)} s`,
    );
    const stored = await pollUntil(
      async () => {
        const manifest = await getManifest(reel, id);
        const segments = manifest.pieces.filter((p) => p.kind === 'segment').length;
        const done = compaction ? segments === manifest.pieces.length : true;
        return done ? `${manifest.pieces.length} stored pieces (${segments} compacted segments)` : undefined;
      },
      { what: 'compaction of the session', timeoutMs: 1_800_000, intervalMs: 1_000 },
    );
    console.log(`stored as ${stored}`);

    const baselineScript = await bundleBaseline();
    browser = await launchBrowser();
    await logInThroughUi(browser.page, reel);
    const target = long.endMs - long.startMs - MIN;
    const ours: Figures[] = [];
    const plain: Figures[] = [];
    for (let run = 1; run <= runs; run++) {
      ours.push(await measureOurs(browser, reel, id, target));
      plain.push(await measureBaseline(browser, reel, id, target, baselineScript));
      console.log(`run ${run}/${runs}: reel ${describe(ours[ours.length - 1]!)} | plain Replayer ${describe(plain[plain.length - 1]!)}`);
    }
    report(median(ours), median(plain));
  } finally {
    await browser?.close();
    await reel.stop();
  }
}

/** Runs `script` in the page before its own scripts (a string: no compiled helpers needed). */
const INIT = `
  window.__shown = (target) => new Promise((resolve) => {
    const check = () => {
      const shell = document.querySelector('[data-testid=player-shell]');
      if (shell && shell.dataset.state === 'ready' && (target === undefined || shell.dataset.shown === String(target))) resolve(performance.now());
      else requestAnimationFrame(check);
    };
    check();
  });
`;

async function measureOurs(browser: Browser, reel: Reel, id: string, target: number): Promise<Figures> {
  // First frame, then a seek to the last minute, in one tab.
  const page = await browser.context.newPage();
  await page.addInitScript(INIT);
  const watch = await watchTab(browser, page);
  await page.goto(`${reel.baseUrl}/replays/${id}`);
  const firstFrameMs = (await page.evaluate('window.__shown()')) as number;
  const seekMs = (await page.evaluate(`(async () => {
    const timeline = document.querySelector('[data-testid=timeline]');
    const started = performance.now();
    timeline.value = '${target}';
    timeline.dispatchEvent(new Event('change', { bubbles: true }));
    const shown = await window.__shown(${target});
    return shown - started;
  })()`)) as number;
  await watch.settle();
  const first = { bytes: watch.bytes(), peakHeap: watch.peakHeap() };
  await watch.stop();
  await page.close();

  // Straight to the last minute, in a fresh tab.
  const direct = await browser.context.newPage();
  await direct.addInitScript(INIT);
  const directWatch = await watchTab(browser, direct);
  await direct.goto(`${reel.baseUrl}/replays/${id}?t=${target}`);
  const openAtEndMs = (await direct.evaluate(`window.__shown(${target})`)) as number;
  const marks = (await direct.evaluate(`performance.getEntriesByType('mark').filter((m) => m.name.startsWith('reel:')).map((m) => m.name.slice(5) + ' ' + Math.round(m.startTime)).join(', ')`)) as string;
  console.log(`  reel, opened at the last minute: ${marks}, on screen ${Math.round(openAtEndMs)} (ms since navigation)`);
  await directWatch.settle();
  const figures = { firstFrameMs, seekMs, openAtEndMs, bytes: directWatch.bytes(), peakHeap: Math.max(first.peakHeap, directWatch.peakHeap()) };
  await directWatch.stop();
  await direct.close();
  return figures;
}

async function measureBaseline(browser: Browser, reel: Reel, id: string, target: number, script: string): Promise<Figures> {
  const open = async (query: string): Promise<{ page: Page; watch: Watch; firstFrameMs: number }> => {
    const page = await browser.context.newPage();
    await page.route(`${reel.baseUrl}/bench-baseline*`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>baseline</title></head><body><div id="stage"></div><script>${script.replace(/<\/script/gi, '<\\/script')}</script></body></html>`,
      }),
    );
    const watch = await watchTab(browser, page);
    await page.goto(`${reel.baseUrl}/bench-baseline?id=${encodeURIComponent(id)}${query}`);
    await page.waitForFunction('window.baseline && (window.baseline.firstFrame || window.baseline.error)', null, { timeout: 600_000, polling: 50 });
    const error = (await page.evaluate('window.baseline.error')) as string | undefined;
    if (error) throw new Error(`the baseline player failed: ${error}`);
    return { page, watch, firstFrameMs: (await page.evaluate('window.baseline.firstFrame')) as number };
  };
  const first = await open('');
  const seekMs = (await first.page.evaluate(`window.baseline.seek(${target})`)) as number;
  await first.watch.settle();
  const bytes = first.watch.bytes();
  const peak = first.watch.peakHeap();
  await first.watch.stop();
  await first.page.close();
  const direct = await open(`&at=${target}`);
  await direct.watch.settle();
  const figures = { firstFrameMs: first.firstFrameMs, seekMs, openAtEndMs: direct.firstFrameMs, bytes, peakHeap: Math.max(peak, direct.watch.peakHeap()) };
  await direct.watch.stop();
  await direct.page.close();
  return figures;
}

interface Watch {
  bytes(): number;
  peakHeap(): number;
  /** Waits until every API request started so far has ended. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** API bytes on the wire and the tab's JS heap (sampled every 100 ms). */
async function watchTab(browser: Browser, page: Page): Promise<Watch> {
  const cdp: CDPSession = await browser.context.newCDPSession(page);
  await cdp.send('Network.enable');
  const requests = watchRequests(cdp, ['/api/v1/']);
  const heap = sampleHeap(cdp, 100);
  return {
    bytes: () => requests().reduce((sum, r) => sum + r.bytes, 0),
    peakHeap: () => heap.peak(),
    settle: () =>
      pollUntil(async () => (requests().every((r) => r.done) ? true : undefined), {
        what: 'the tab’s API requests to end',
        timeoutMs: 600_000,
        intervalMs: 100,
      }).then(() => undefined),
    stop: async () => {
      await heap.stop();
      await cdp.detach().catch(() => undefined);
    },
  };
}

async function bundleBaseline(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'bench/player/baseline-entry.ts')],
    bundle: true,
    format: 'iife',
    minify: true,
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

function median(all: Figures[]): Figures {
  const pick = (key: keyof Figures): number => {
    const sorted = all.map((f) => f[key]).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  return { firstFrameMs: pick('firstFrameMs'), seekMs: pick('seekMs'), openAtEndMs: pick('openAtEndMs'), bytes: pick('bytes'), peakHeap: pick('peakHeap') };
}

function describe(f: Figures): string {
  return `first frame ${ms(f.firstFrameMs)}, seek ${ms(f.seekMs)}, open at the end ${ms(f.openAtEndMs)}, ${mb(f.bytes)}, heap ${mb(f.peakHeap)}`;
}

function report(ours: Figures, plain: Figures): void {
  const rows: Array<[string, string, string, string]> = [
    ['time to first frame', ms(ours.firstFrameMs), ms(plain.firstFrameMs), ratio(plain.firstFrameMs, ours.firstFrameMs)],
    ['seek to the last minute (page open)', ms(ours.seekMs), ms(plain.seekMs), ratio(plain.seekMs, ours.seekMs)],
    ['open at the last minute', ms(ours.openAtEndMs), ms(plain.openAtEndMs), ratio(plain.openAtEndMs, ours.openAtEndMs)],
    ['bytes transferred (API, on the wire)', mb(ours.bytes), mb(plain.bytes), ratio(plain.bytes, ours.bytes)],
    ['peak JS heap', mb(ours.peakHeap), mb(plain.peakHeap), ratio(plain.peakHeap, ours.peakHeap)],
  ];
  const widths = [38, 14, 16, 10];
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('');
  console.log();
  console.log(line(['(medians)', 'reel player', 'plain Replayer', 'baseline/reel']));
  for (const row of rows) console.log(line(row));
  console.log();
  const seekGoal = plain.openAtEndMs / ours.openAtEndMs;
  console.log(`goal: the last minute at least 10x sooner than the baseline: ${seekGoal.toFixed(1)}x — ${seekGoal >= 10 ? 'met' : 'NOT met'}`);
  console.log(`goal: first frame under 1 s: ${ms(ours.firstFrameMs)} — ${ours.firstFrameMs < 1000 ? 'met' : 'NOT met'}`);
}

function ms(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function ratio(baseline: number, ours: number): string {
  return ours > 0 ? `${(baseline / ours).toFixed(1)}x` : '—';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
