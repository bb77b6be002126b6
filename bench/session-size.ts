// Measures what real demo-shop visits cost to store, and the SDK's size.
//
//   REEL_BIN=target/debug/reel node --import tsx bench/session-size.ts [sessions] [seconds]
//
// Starts `reel demo`, then records `sessions` visits (default 3) of `seconds` each (default 30)
// in fresh browser profiles with reel's SDK: browsing, mouse moves, scrolling, typing into the
// checkout form. Then it reads the replays back and compares what reel stored — the chunks of
// each replay plus the project's compression dictionaries, which every session shares — with
// the baseline measured in the same run: the raw rrweb JSON of the same sessions.

import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findReplay, getReplayEvents, parseSessionReplayId } from '../e2e/lib/api.ts';
import { launchBrowser } from '../e2e/lib/browser.ts';
import { pollUntil } from '../e2e/lib/poll.ts';
import { startReel, type Reel } from '../e2e/lib/reel.ts';

interface Measured {
  durationMs: number;
  events: number;
  raw: number;
  stored: number;
}

async function recordVisit(reel: Reel, seconds: number): Promise<Measured> {
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    const deadline = Date.now() + seconds * 1000;
    await page.goto(`${reel.baseUrl}/demo/`);
    const replayId = await page.evaluate(() => (window as unknown as { reel: { getSessionReplayId(): string } }).reel.getSessionReplayId());
    let round = 0;
    while (Date.now() < deadline) {
      round += 1;
      await page.goto(`${reel.baseUrl}/demo/`);
      for (let i = 0; i < 20; i++) await page.mouse.move(100 + ((i * 53 + round * 17) % 1000), 150 + ((i * 37) % 500));
      await page.mouse.wheel(0, 600);
      await page.locator('[data-testid=product-link]').nth(round % 3).click();
      await page.locator('[data-testid=add-to-cart]').click();
      await page.goto(`${reel.baseUrl}/demo/checkout.html`);
      await page.locator('#name').pressSequentially('Zelda Quintessa', { delay: 40 });
      await page.locator('#email').pressSequentially('zelda@example.com', { delay: 40 });
      await page.locator('#pay').click();
      // A person reading the page: this is the recording's idle time, not a wait for readiness.
      await page.waitForTimeout(Math.min(3000, Math.max(0, deadline - Date.now())));
    }
    await page.evaluate(() => (window as unknown as { reel: { flush(): Promise<void> } }).reel.flush());
    const { deviceId, sessionId } = parseSessionReplayId(replayId);
    const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), { what: 'the replay', timeoutMs: 30_000 });
    const events = await getReplayEvents(reel, replay.id);
    const raw = events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    return { durationMs: replay.duration_ms, events: events.length, raw, stored: replay.size_bytes };
  } finally {
    await browser.close();
  }
}

function dictionaryBytes(dataDir: string): { count: number; bytes: number } {
  const root = join(dataDir, 'objects', 'dictionaries');
  let count = 0;
  let bytes = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        count += 1;
        bytes += statSync(path).size;
      }
    }
  };
  walk(root);
  return { count, bytes };
}

async function main(): Promise<void> {
  const sessions = Number(process.argv[2] ?? 3);
  const seconds = Number(process.argv[3] ?? 30);
  const reel = await startReel();
  try {
    const dictionariesBefore = dictionaryBytes(reel.dataDir); // made from the seeded demo sessions
    const measured: Measured[] = [];
    for (let i = 0; i < sessions; i++) {
      const m = await recordVisit(reel, seconds);
      measured.push(m);
      const minutes = m.durationMs / 60_000;
      console.log(
        `session ${i + 1}: ${(m.durationMs / 1000).toFixed(1)} s, ${m.events} events, ` +
          `raw ${Math.round(m.raw / minutes)} B/min, stored ${Math.round(m.stored / minutes)} B/min (chunks only)`,
      );
    }
    const dictionaries = dictionaryBytes(reel.dataDir);
    const minutes = measured.reduce((sum, m) => sum + m.durationMs, 0) / 60_000;
    const raw = measured.reduce((sum, m) => sum + m.raw, 0);
    const chunks = measured.reduce((sum, m) => sum + m.stored, 0);
    const total = chunks + dictionaries.bytes;
    console.log(`recorded: ${minutes.toFixed(2)} min in ${sessions} sessions`);
    console.log(`raw rrweb JSON (baseline): ${raw} bytes = ${Math.round(raw / minutes)} bytes/min`);
    console.log(`stored chunks:             ${chunks} bytes = ${Math.round(chunks / minutes)} bytes/min`);
    console.log(
      `dictionaries (per project): ${dictionaries.count} generations, ${dictionaries.bytes} bytes ` +
        `(${dictionariesBefore.count} of them, ${dictionariesBefore.bytes} bytes, from the seeded demo sessions)`,
    );
    console.log(`stored incl. dictionaries: ${total} bytes = ${Math.round(total / minutes)} bytes/min`);
    console.log(`ratio stored/raw: chunks ${(chunks / raw).toFixed(3)}, incl. dictionaries ${(total / raw).toFixed(3)}`);
    const sdk = readFileSync(new URL('../sdk/dist/reel.js', import.meta.url));
    console.log(`sdk: ${sdk.length} bytes minified, ${gzipSync(sdk, { level: 9 }).length} bytes gzip -9`);
  } finally {
    await reel.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
