// Measures what one minute of a real demo-shop visit costs to store, and the SDK's size.
//
//   REEL_BIN=target/debug/reel node --import tsx bench/session-size.ts [seconds]
//
// Starts `reel demo`, drives the shop in headless Chromium with reel's SDK for the given time
// (default 60 s: browsing, moving the mouse, scrolling, typing into the checkout form), then
// reads the replay back and prints stored bytes per minute against the raw rrweb JSON of the
// same session (the baseline: what storing the events uncompressed would cost).

import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { findReplay, getReplayEvents, parseSessionReplayId } from '../e2e/lib/api.ts';
import { launchBrowser } from '../e2e/lib/browser.ts';
import { pollUntil } from '../e2e/lib/poll.ts';
import { startReel } from '../e2e/lib/reel.ts';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const reel = await startReel();
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
      await page.waitForTimeout(Math.min(3000, Math.max(0, deadline - Date.now())));
    }
    await page.evaluate(() => (window as unknown as { reel: { flush(): Promise<void> } }).reel.flush());
    const { deviceId, sessionId } = parseSessionReplayId(replayId);
    const replay = await pollUntil(() => findReplay(reel, deviceId, sessionId), { what: 'the replay', timeoutMs: 30_000 });
    const events = await getReplayEvents(reel, replay.id);
    const raw = events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    const minutes = replay.duration_ms / 60_000;
    const sdk = readFileSync(new URL('../sdk/dist/reel.js', import.meta.url));
    console.log(`session: ${(replay.duration_ms / 1000).toFixed(1)} s, ${events.length} rrweb events, ${round} rounds through the shop`);
    console.log(`raw rrweb JSON (baseline): ${raw} bytes = ${Math.round(raw / minutes)} bytes/min`);
    console.log(`stored by reel:            ${replay.size_bytes} bytes = ${Math.round(replay.size_bytes / minutes)} bytes/min`);
    console.log(`ratio stored/raw: ${(replay.size_bytes / raw).toFixed(3)} (raw is ${(raw / replay.size_bytes).toFixed(1)}x larger)`);
    console.log(`sdk: ${sdk.length} bytes minified, ${gzipSync(sdk, { level: 9 }).length} bytes gzip -9`);
  } finally {
    await browser.close();
    await reel.stop();
}
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
