// Records the sessions `reel demo` seeds: real visits to the demo shop (demo/) in headless
// Chromium with reel's SDK, as a newcomer's own visit would be recorded. Writes
// crates/reel/demo-recordings/<journey>.json.gz, which the demo seeder (crates/reel/src/demo.rs)
// embeds and moves to recent times.
//
//   npm run demo:record            (needs the debug binary: `make assets && cargo build -p reel`)
//   REEL_BIN=path/to/reel npm run demo:record -- [--only checkout]
//
// Each file: {journey, recorded_origin, user_agent, events: [rrweb events], analytics: [the
// SDK's own events: page views, clicks, changes, identify]} as gzip'd JSON. What reel derives
// (frustration signals, errors) is not kept: the seeder's processing derives it again.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Locator, Page } from 'playwright-core';
import { getActivity, getReplay, getReplayEvents } from '../testkit/api-client.ts';
import type { ActivityEvent } from '../testkit/api-types.ts';
import { DESKTOP_CHROME_USER_AGENT, launchBrowser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { Rng } from '../testkit/prng.ts';
import { startReel, type Reel } from '../testkit/reel-server.ts';
import { encodeReplayId, parseSessionReplayId } from '../testkit/replay-id.ts';

const OUT = fileURLToPath(new URL('../crates/reel/demo-recordings/', import.meta.url));

/** A person at the mouse: moves there first, takes their time. */
class Visitor {
  constructor(
    readonly page: Page,
    readonly rng: Rng,
  ) {}

  async think(min = 500, max = 2200): Promise<void> {
    await this.page.waitForTimeout(this.rng.int(min, max));
  }

  async wander(moves = this.rng.int(2, 5)): Promise<void> {
    for (let i = 0; i < moves; i++) {
      await this.page.mouse.move(this.rng.int(80, 1200), this.rng.int(90, 760), { steps: this.rng.int(10, 30) });
      await this.page.waitForTimeout(this.rng.int(100, 500));
    }
  }

  async moveTo(target: Locator): Promise<void> {
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    if (!box) throw new Error('the target is not on screen');
    await this.page.mouse.move(box.x + box.width * (0.3 + 0.4 * this.rng.next()), box.y + box.height * (0.3 + 0.4 * this.rng.next()), {
      steps: this.rng.int(12, 35),
    });
  }

  async click(target: Locator): Promise<void> {
    await this.moveTo(target);
    await this.page.waitForTimeout(this.rng.int(120, 400));
    await target.click();
  }

  /** Quick repeated clicks on one spot, as an annoyed person does. */
  async rage(target: Locator, clicks: number): Promise<void> {
    await this.moveTo(target);
    for (let i = 0; i < clicks; i++) {
      await target.click({ force: true });
      await this.page.waitForTimeout(this.rng.int(90, 220));
    }
  }

  async follow(target: Locator): Promise<void> {
    await this.click(target);
    await this.page.waitForLoadState('load');
  }

  async type(target: Locator, text: string): Promise<void> {
    await this.click(target);
    await target.pressSequentially(text, { delay: this.rng.int(60, 160) });
  }

  async scroll(steps = this.rng.int(2, 6), direction = 1): Promise<void> {
    for (let i = 0; i < steps; i++) {
      await this.page.mouse.wheel(0, direction * this.rng.int(120, 380));
      await this.page.waitForTimeout(this.rng.int(150, 700));
    }
  }
}

type Journey = (v: Visitor, base: string) => Promise<void>;

async function fillCheckout(v: Visitor, name: string, email: string): Promise<void> {
  const { page } = v;
  await v.type(page.locator('#name'), name);
  await v.think(300, 900);
  await v.type(page.locator('#email'), email);
  await v.think(300, 900);
  await v.type(page.locator('#address'), '12 Harbour Lane, Bristol BS1 4RN');
  await v.think(600, 1500);
  await v.type(page.locator('#card'), '4242 4242 4242 4242');
  await v.type(page.locator('#expiry'), '08 / 29');
  await v.type(page.locator('#cvc'), '314');
  await v.think(500, 1200);
}

async function addProduct(v: Visitor, index: number, quantity?: string): Promise<void> {
  const { page } = v;
  await v.follow(page.locator('[data-testid=product-link]').nth(index));
  await v.think(1500, 3500);
  await v.wander(2);
  if (quantity) await page.locator('#quantity').selectOption(quantity);
  await v.click(page.locator('#add-to-cart'));
  await v.think(800, 1800);
}

const JOURNEYS: Record<string, Journey> = {
  /** Home, a tent (two), checkout filled in, "Pay now" fails twice (503). */
  checkout: async (v, base) => {
    const { page } = v;
    await page.goto(`${base}/demo/`);
    await v.think(1500, 3000);
    await v.wander();
    await v.scroll(3);
    await v.think();
    await addProduct(v, 1, '2');
    await v.follow(page.locator('[data-testid=cart-link]'));
    await v.think(1200, 2500);
    await fillCheckout(v, 'Ana Example', 'ana@example.com');
    await v.click(page.locator('#pay'));
    await page.locator('#pay-error').waitFor({ state: 'visible' });
    await v.think(2500, 4000);
    await v.click(page.locator('#pay'));
    await page.locator('#pay-error').waitFor({ state: 'visible' });
    await v.think(2000, 3000);
  },
  /** Looks around: products, the about section, back home; adds a mug, leaves. */
  browse: async (v, base) => {
    const { page } = v;
    await page.goto(`${base}/demo/`);
    await v.think(2000, 4000);
    await v.scroll(4);
    await v.wander(3);
    await v.scroll(2, -1);
    await v.follow(page.locator('[data-testid=product-link]').nth(0));
    await v.think(3000, 6000);
    await v.scroll(2);
    await v.follow(page.locator('.breadcrumb a'));
    await v.think(1500, 3000);
    await v.click(page.locator('.site-nav a', { hasText: 'About' }));
    await v.think(3000, 5000);
    await v.scroll(3, -1);
    await addProduct(v, 2);
    await v.wander(3);
    await v.think(2000, 4000);
  },
  /** Signs in, buys a jacket, tries a promo code: the Apply button throws, clicked again and again. */
  promo: async (v, base) => {
    const { page } = v;
    await page.goto(`${base}/demo/`);
    await v.think(1000, 2500);
    await v.click(page.locator('[data-testid=sign-in]'));
    await v.think(800, 1600);
    await addProduct(v, 3);
    await v.follow(page.locator('[data-testid=cart-link]'));
    await v.think(1500, 2500);
    await v.type(page.locator('#promo'), 'SPRING10');
    await v.click(page.locator('#broken'));
    await v.think(1200, 2000);
    await v.rage(page.locator('#broken'), 4);
    await v.think(2500, 4000);
    await fillCheckout(v, 'Chloe Martin', 'chloe@example.com');
    await v.click(page.locator('#pay'));
    await page.locator('#pay-error').waitFor({ state: 'visible' });
    await v.think(2000, 3500);
  },
  /** Straight to a lantern and the checkout; "Pay now" fails and gets clicked in a rage. */
  rage: async (v, base) => {
    const { page } = v;
    await page.goto(`${base}/demo/`);
    await v.think(1200, 2500);
    await v.scroll(2);
    await addProduct(v, 5);
    await v.follow(page.locator('[data-testid=cart-link]'));
    await v.think(1000, 2000);
    await fillCheckout(v, 'Femi Adebayo', 'femi@example.com');
    await v.rage(page.locator('#pay'), 5);
    await page.locator('#pay-error').waitFor({ state: 'visible' });
    await v.think(3000, 5000);
  },
};

/** What a demo recording keeps of an analytics event the SDK sent. */
type Analytics = Pick<ActivityEvent, 'event_type' | 'time_ms' | 'user_id' | 'event_properties'>;

async function record(reel: Reel, name: string, journey: Journey, seed: number): Promise<void> {
  // Playwright's own default wait (30 s), as these journeys were recorded with.
  const browser = await launchBrowser({ userAgent: DESKTOP_CHROME_USER_AGENT, defaultTimeoutMs: 30_000 });
  let replayId: string;
  let lastAction: number;
  try {
    const { page } = browser;
    const visitor = new Visitor(page, new Rng(`demo-${name}-${seed}`));
    await journey(visitor, reel.baseUrl);
    // A last movement: the recording ends with it, so its arrival says the upload is complete.
    await visitor.wander(1);
    lastAction = Date.now();
    replayId = await page.evaluate(() => (window as unknown as { reel: { getSessionReplayId(): string } }).reel.getSessionReplayId());
    await page.evaluate(() => (window as unknown as { reel: { flush(): Promise<void> } }).reel.flush());
  } finally {
    await browser.close();
  }
  const { deviceId, sessionId } = parseSessionReplayId(replayId);
  const id = encodeReplayId(deviceId, sessionId);
  // Everything the visit sent has arrived once the recording reaches its last action.
  const replay = await pollUntil(
    async () => {
      const found = await getReplay(reel, id);
      return Date.parse(found.end_time) >= lastAction - 2_000 ? found : undefined;
    },
    { what: `the visit ${replayId} to arrive`, timeoutMs: 30_000 },
  );
  const events = await getReplayEvents(reel, id);
  const { events: activity } = await getActivity(reel, id);
  const analytics: Analytics[] = activity
    .filter((e) => !e.derived)
    .map(({ event_type, time_ms, user_id, event_properties }) => ({ event_type, time_ms, user_id, event_properties }));
  const file = join(OUT, `${name}.json.gz`);
  const body = JSON.stringify({ journey: name, recorded_origin: reel.baseUrl, user_agent: DESKTOP_CHROME_USER_AGENT, events, analytics });
  writeFileSync(file, gzipSync(body, { level: 9 }));
  const seconds = (Date.parse(replay.end_time) - events[0]!.timestamp) / 1000;
  console.log(`${file}: ${events.length} events, ${analytics.length} analytics events, ${seconds.toFixed(0)} s, ${(body.length / 1e6).toFixed(2)} MB JSON`);
}

async function main(): Promise<void> {
  const only = process.argv.indexOf('--only') >= 0 ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  process.env.REEL_BIN ??= join(dirname(fileURLToPath(import.meta.url)), '../target/debug/reel');
  mkdirSync(OUT, { recursive: true });
  const reel = await startReel();
  try {
    let seed = 1;
    for (const [name, journey] of Object.entries(JOURNEYS)) {
      if (only && name !== only) continue;
      await record(reel, name, journey, seed++);
    }
  } finally {
    await reel.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
