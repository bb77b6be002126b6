// Records the workload: real rrweb sessions of the three workload sites, driven by headless
// Chromium, written to testdata/workload/<site>-<n>.json.gz (format: format.ts).
//
//   npm run workload:record -- [--sites admin,docs,shop] [--sessions 3] [--seconds 120] [--out DIR]
//
// Each session is a fresh browser profile that visits one site for about `--seconds` of real
// time (each session's length varies around it): navigation between pages, mouse movement,
// hovering, scrolling, typing (masked), sorting and filtering tables, dialogs, a failing request.
// Pauses between actions are a few hundred ms to a few seconds: a person's reading time,
// compressed. reel's own recording module runs on every page load (recorder-entry.ts); the events of
// all page loads of a session are stitched in order. The sessions are re-recorded only by
// running this program; what it writes differs on every run (time stamps, timing).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser } from '../../testkit/browser.ts';
import { Rng } from '../../testkit/prng.ts';
import { SITES, WORKLOAD_DIR, gzipEvents, type Site } from '../../testkit/workload-files.ts';
import { CITIES, FIRST_NAMES, LAST_NAMES, personName } from './sample-text.ts';
import { DOCS_NAV } from './sites/docs.ts';
import { startSites } from './sites/server.ts';

interface Args {
  sites: Site[];
  sessions: number;
  seconds: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sites: [...SITES], sessions: 3, seconds: 120, out: WORKLOAD_DIR };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--sites':
        args.sites = value.split(',').filter((s): s is Site => (SITES as readonly string[]).includes(s));
        i++;
        break;
      case '--sessions':
        args.sessions = Number(value);
        i++;
        break;
      case '--seconds':
        args.seconds = Number(value);
        i++;
        break;
      case '--out':
        args.out = value;
        i++;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

/** A person at the keyboard: every action moves the mouse there first and takes its time. */
class Driver {
  constructor(
    readonly page: Page,
    readonly rng: Rng,
    readonly origin: string,
    private readonly deadline: number,
  ) {}

  get timeLeft(): number {
    return this.deadline - Date.now();
  }

  async think(min = 300, max = 1800): Promise<void> {
    await this.page.waitForTimeout(this.rng.int(min, max));
  }

  async wander(moves = this.rng.int(2, 6)): Promise<void> {
    const { width, height } = this.page.viewportSize() ?? { width: 1280, height: 800 };
    for (let i = 0; i < moves; i++) {
      await this.page.mouse.move(this.rng.int(20, width - 20), this.rng.int(60, height - 20), { steps: this.rng.int(6, 25) });
      if (this.rng.chance(0.3)) await this.page.waitForTimeout(this.rng.int(80, 400));
    }
  }

  /** One of the first `limit` matches of `target`, by chance; fails at once when nothing matches. */
  async one(target: Locator, limit = 8): Promise<Locator> {
    const count = await target.count();
    if (count === 0) throw new Error('nothing matches');
    return target.nth(this.rng.int(0, Math.min(count, limit) - 1));
  }

  async moveTo(target: Locator): Promise<boolean> {
    if ((await target.count()) === 0) throw new Error('nothing matches'); // an nth() past the end: no waiting
    await target.scrollIntoViewIfNeeded({ timeout: 3000 });
    const box = await target.boundingBox();
    if (!box) return false;
    await this.page.mouse.move(box.x + box.width * (0.3 + 0.4 * this.rng.next()), box.y + box.height * (0.3 + 0.4 * this.rng.next()), { steps: this.rng.int(8, 30) });
    return true;
  }

  async click(target: Locator): Promise<void> {
    await this.moveTo(target);
    await this.page.waitForTimeout(this.rng.int(60, 300));
    await target.click({ timeout: 5000 });
  }

  /** Clicks a link and waits for the next page to load. */
  async follow(target: Locator): Promise<void> {
    await this.click(target);
    await this.page.waitForLoadState('load');
  }

  async type(target: Locator, text: string): Promise<void> {
    await this.click(target);
    await target.pressSequentially(text, { delay: this.rng.int(45, 140) });
  }

  async clear(target: Locator): Promise<void> {
    await target.press('ControlOrMeta+a');
    await target.press('Backspace');
  }

  async scroll(steps = this.rng.int(3, 10), direction = 1): Promise<void> {
    for (let i = 0; i < steps; i++) {
      await this.page.mouse.wheel(0, direction * this.rng.int(80, 420));
      await this.page.waitForTimeout(this.rng.int(80, 700));
    }
  }

  /** Runs an action; a step that fails (an element that moved away) is skipped, as a person would. */
  async attempt(what: string, action: () => Promise<void>): Promise<void> {
    if (this.timeLeft <= 0) return;
    try {
      await action();
    } catch (error) {
      console.warn(`  skipped "${what}": ${String((error as Error).message).split('\n')[0]}`);
    }
  }
}

// ---- admin --------------------------------------------------------------------------------

async function adminSession(d: Driver): Promise<void> {
  const { page, rng } = d;
  await page.goto(`${d.origin}/admin/index.html`);
  const pages = ['orders.html', 'customers.html', 'reports.html', 'settings.html', 'index.html', 'orders.html'];
  while (d.timeLeft > 0) {
    const current = new URL(page.url()).pathname.split('/').pop() ?? 'index.html';
    await d.wander();
    if (current === 'index.html') {
      await d.attempt('hover stats', () => d.moveTo(page.locator('.card').nth(rng.int(0, 3))).then(() => d.think()));
      for (let i = rng.int(1, 3); i > 0; i--) await d.attempt('refresh', () => d.click(page.locator('#refresh')).then(() => d.think(400, 1500)));
      await d.attempt('notifications', async () => {
        await d.click(page.locator('#notifications'));
        await d.think(600, 2000);
        await page.keyboard.press('Escape');
      });
      await d.attempt('scroll', () => d.scroll());
      await d.think(1000, 4000); // the activity feed keeps updating meanwhile
    } else if (current === 'orders.html') {
      for (let i = rng.int(2, 5); i > 0; i--) {
        await d.attempt('sort', () => d.click(page.locator('th[data-sort]').nth(rng.int(0, 6))).then(() => d.think(300, 1200)));
      }
      await d.attempt('filter', async () => {
        const filter = page.locator('#filter');
        await d.type(filter, rng.pick([...CITIES, ...LAST_NAMES]).slice(0, rng.int(2, 6)).toLowerCase());
        await d.think();
        await d.scroll(rng.int(1, 4));
        await d.clear(filter);
      });
      await d.attempt('status', () => page.locator('#status-filter').selectOption(rng.pick(['paid', 'shipped', 'pending', ''])).then(() => d.think()));
      for (let i = rng.int(1, 4); i > 0; i--) {
        await d.attempt('page', async () => d.click(await d.one(page.locator('#pager a[data-page]'), 6)).then(() => d.think(300, 1500)));
      }
      await d.attempt('scroll', () => d.scroll());
      await d.attempt('detail', async () => {
        await d.click(await d.one(page.locator('button[data-view]'), 20));
        await page.locator('#detail-modal.show').waitFor();
        await d.think(800, 2500);
        if (rng.chance(0.6)) {
          await d.type(page.locator('#detail-note'), `call ${personName(rng)} about delivery`);
          await page.locator('#detail-status').selectOption(rng.pick(['shipped', 'delivered', 'refunded']));
          await d.click(page.locator('#detail-primary'));
        } else {
          await d.click(page.locator('#detail-modal .btn-close'));
        }
        await page.locator('#detail-modal').waitFor({ state: 'hidden' });
      });
      if (rng.chance(0.5)) await d.attempt('page size', () => page.locator('#page-size').selectOption(rng.pick(['25', '100'])).then(() => d.scroll()));
      if (rng.chance(0.4)) await d.attempt('export', () => d.click(page.locator('#export')).then(() => d.think(800, 2000)));
      if (rng.chance(0.4)) await d.attempt('select all', () => d.click(page.locator('#select-all')));
    } else if (current === 'customers.html') {
      await d.attempt('search', async () => {
        await d.type(page.locator('#filter'), rng.pick(FIRST_NAMES).slice(0, rng.int(2, 5)).toLowerCase());
        await d.think();
        await d.clear(page.locator('#filter'));
      });
      for (let i = rng.int(1, 3); i > 0; i--) {
        await d.attempt('plan', () => d.click(page.locator('#plan-filter label').nth(rng.int(0, 5))).then(() => d.think()));
      }
      for (let i = rng.int(1, 3); i > 0; i--) {
        await d.attempt('row action', async () => {
          await d.click(await d.one(page.locator('#rows .dropdown-toggle'), 12));
          await d.think(400, 1200);
          const act = rng.pick(['email', 'profile', 'toggle']);
          await d.click(page.locator(`#rows .dropdown-menu.show a[data-act="${act}"]`));
          if (act === 'profile') {
            await page.locator('#detail-modal.show').waitFor();
            await d.scroll(2);
            await d.think(1000, 2500);
            await page.keyboard.press('Escape');
            await page.locator('#detail-modal').waitFor({ state: 'hidden' });
          }
        });
      }
      await d.attempt('sort', () => d.click(page.locator('th[data-sort]').nth(rng.int(0, 5))));
      await d.attempt('next page', async () => d.click(await d.one(page.locator('#pager a[data-page]'), 5)));
      await d.attempt('scroll', () => d.scroll());
    } else if (current === 'reports.html') {
      for (let i = rng.int(2, 4); i > 0; i--) {
        await d.attempt('period', () => d.click(page.locator('#periods button').nth(rng.int(0, 3))).then(() => d.think(600, 2000)));
      }
      await d.attempt('table scroll', async () => {
        await d.moveTo(page.locator('#report tr').nth(5));
        await d.scroll(rng.int(3, 8));
      });
      await d.attempt('scroll page', () => d.scroll(rng.int(3, 6)));
      for (let i = rng.int(1, 3); i > 0; i--) {
        await d.attempt('accordion', () => d.click(page.locator('.accordion-button').nth(rng.int(0, 5))).then(() => d.think(500, 1500)));
      }
    } else if (current === 'settings.html') {
      await d.attempt('profile form', async () => {
        await d.type(page.locator('#full-name'), personName(rng));
        if (rng.chance(0.5)) await d.click(page.locator('#profile-form button[type=submit]')); // invalid: shows feedback
        await d.type(page.locator('#email'), `${rng.pick(FIRST_NAMES).toLowerCase()}@example.com`);
        await d.type(page.locator('#phone'), `+47 ${rng.int(100, 999)} ${rng.int(10, 99)} ${rng.int(100, 999)}`);
        await page.locator('#country').selectOption(rng.pick(CITIES));
        await d.type(page.locator('#bio'), 'Operations lead. Prefers email over phone calls.');
        await d.click(page.locator('#terms'));
        await d.click(page.locator('#profile-form button[type=submit]'));
        await d.think();
      });
      await d.attempt('notification switches', async () => {
        await d.click(page.getByRole('tab', { name: 'Notifications' }));
        for (let i = rng.int(1, 4); i > 0; i--) await d.click(page.locator('.form-switch input').nth(rng.int(0, 11)));
      });
      if (rng.chance(0.5)) {
        await d.attempt('password', async () => {
          await d.click(page.getByRole('tab', { name: 'Security' }));
          await d.type(page.locator('#current-password'), 'correct horse battery');
          await d.type(page.locator('#new-password'), 'staple-9-horses');
          await d.click(page.locator('#password-form button[type=submit]'));
        });
      }
    }
    if (rng.chance(0.15)) {
      await d.attempt('theme', async () => {
        await d.click(page.locator('#user-menu'));
        await d.click(page.locator('#toggle-theme'));
      });
    }
    if (d.timeLeft <= 0) break;
    const next = rng.pick(pages.filter((p) => p !== current));
    await d.attempt('navigate', () => d.follow(page.locator(`[data-nav="${next}"]`)));
  }
}

// ---- docs ---------------------------------------------------------------------------------

async function docsSession(d: Driver): Promise<void> {
  const { page, rng } = d;
  const start = rng.pick(DOCS_NAV.slice(0, 3)).pages[0]?.slug ?? '';
  await page.goto(`${d.origin}/docs/${start}.html`);
  while (d.timeLeft > 0) {
    await d.wander();
    // Reading: scroll down in bursts, sometimes back up, hover and copy code.
    for (let i = rng.int(2, 6); i > 0 && d.timeLeft > 0; i--) {
      await d.attempt('read', () => d.scroll(rng.int(2, 6), rng.chance(0.85) ? 1 : -1));
      await d.think(800, 3500);
      if (rng.chance(0.4)) {
        await d.attempt('copy code', async () => {
          const blocks = page.locator('.code-block');
          const visible = await blocks.count();
          if (visible === 0) return;
          const block = blocks.nth(rng.int(0, visible - 1));
          await d.moveTo(block);
          await d.click(block.locator('.copy-btn'));
        });
      }
    }
    if (rng.chance(0.5)) await d.attempt('outline', () => d.click(page.locator('.docs-outline a').nth(rng.int(0, 7))).then(() => d.think()));
    if (rng.chance(0.25)) await d.attempt('feedback', () => d.click(page.locator('.feedback').nth(rng.int(0, 1))));
    if (rng.chance(0.3)) await d.attempt('toggle section', () => d.click(page.locator('#sidebar summary').nth(rng.int(0, 18))));
    if (d.timeLeft <= 0) break;
    if (rng.chance(0.6)) {
      // Search, then open one of the results.
      await d.attempt('search', async () => {
        const box = page.locator('#docs-search');
        const section = rng.pick(DOCS_NAV);
        const target = rng.pick(section.pages);
        const query = target.title.split(' ')[0]?.toLowerCase().slice(0, rng.int(3, 7)) ?? 'conf';
        await d.type(box, query);
        await d.think(500, 1500);
        const hits = page.locator('#sidebar li:not([hidden]) a');
        const count = await hits.count();
        if (count === 0) {
          await d.clear(box);
          return;
        }
        await d.follow(hits.nth(rng.int(0, Math.min(count, 8) - 1)));
      });
    } else {
      await d.attempt('sidebar link', async () => d.follow(await d.one(page.locator('#sidebar details[open] a'), 25)));
    }
  }
}

// ---- shop ---------------------------------------------------------------------------------

async function shopSession(d: Driver): Promise<void> {
  const { page, rng } = d;
  await page.goto(`${d.origin}/shop/index.html`);
  let checkedOut = false;
  while (d.timeLeft > 0) {
    const current = new URL(page.url()).pathname.split('/').pop() ?? 'index.html';
    await d.wander();
    if (current === 'index.html') {
      await d.attempt('browse', () => d.scroll(rng.int(3, 8)));
      await d.attempt('hover cards', async () => {
        for (let i = rng.int(2, 5); i > 0; i--) await d.moveTo(page.locator('.product-card').nth(rng.int(0, 11)));
      });
      if (rng.chance(0.5)) await d.attempt('read more', () => d.click(page.locator('.read-more').nth(rng.int(0, 2))));
      if (rng.chance(0.4)) await d.attempt('newsletter', () => d.type(page.locator('#newsletter-email'), `${rng.pick(FIRST_NAMES).toLowerCase()}@example.org`).then(() => d.click(page.locator('#subscribe'))));
      await d.attempt('category menu', async () => {
        await d.moveTo(page.locator('.navbar-item.has-dropdown'));
        await d.think(400, 1200);
        await d.follow(page.locator('.navbar-dropdown a').nth(rng.int(0, 5)));
      });
      continue;
    }
    if (current === 'catalog.html') {
      for (let i = rng.int(1, 4); i > 0; i--) {
        await d.attempt('filter', () => d.click(page.locator(rng.chance(0.5) ? '.cat-filter' : '.brand-filter').nth(rng.int(0, 5))).then(() => d.think()));
      }
      await d.attempt('sort', () => page.locator('#sort').selectOption(rng.pick(['price-asc', 'price-desc', 'rating', 'name'])).then(() => d.think()));
      if (rng.chance(0.4)) await d.attempt('price', () => page.locator('#max-price').fill(String(rng.int(80, 600))));
      await d.attempt('browse', () => d.scroll(rng.int(3, 8)));
      if (rng.chance(0.6) && (await page.locator('#load-more').isEnabled())) await d.attempt('load more', () => d.click(page.locator('#load-more')).then(() => d.scroll(rng.int(2, 6))));
      if (rng.chance(0.5)) await d.attempt('quick add', async () => d.click(await d.one(page.locator('#grid .add-to-cart'))).then(() => d.think()).then(() => d.click(page.locator('#close-cart'))));
      if (rng.chance(0.3)) {
        await d.attempt('search', async () => {
          await d.type(page.locator('#shop-search'), rng.pick(['vid', 'nord', 'tind', 'rype', 'fonn']));
          await d.think();
        });
      }
      if ((await page.locator('#grid .card').count()) === 0) {
        // Filtered down to nothing: start over from all gear, as a person would.
        await d.attempt('all gear', () => d.follow(page.locator('.navbar-start > a.navbar-item').first()));
        continue;
      }
      await d.attempt('open product', async () => d.follow(await d.one(page.locator('#grid .card-content a'))));
      continue;
    }
    if (current.startsWith('product-')) {
      for (let i = rng.int(1, 4); i > 0; i--) await d.attempt('gallery', () => d.click(page.locator('.gallery-thumb').nth(rng.int(0, 3))).then(() => d.think(300, 1000)));
      for (let i = rng.int(1, 3); i > 0; i--) await d.attempt('tabs', () => d.click(page.locator('.tabs a').nth(rng.int(0, 2))).then(() => d.think(800, 2500)));
      await d.attempt('read', () => d.scroll(rng.int(2, 6)));
      if (rng.chance(0.7)) {
        await d.attempt('add to cart', async () => {
          await page.locator('#size').selectOption(rng.pick(['S', 'M', 'L']));
          await page.locator('#qty').fill(String(rng.int(1, 3)));
          await d.click(page.locator('.columns .add-to-cart').first());
          await d.think(800, 2000);
          await d.click(page.locator('#close-cart'));
        });
      }
      const r = rng.next();
      if (r < 0.35) await d.attempt('related', async () => d.follow(await d.one(page.locator('.card-content a'), 4)));
      else if (r < 0.7) await d.attempt('to catalog', () => d.follow(page.locator('.navbar-start > a.navbar-item').first()));
      else await d.attempt('to cart', () => d.click(page.locator('#open-cart')).then(() => d.think()).then(() => d.follow(page.locator('#cart-drawer a.button'))));
      if (new URL(page.url()).pathname.endsWith(current)) await d.attempt('go home', () => d.follow(page.locator('.navbar-brand a')));
      continue;
    }
    if (current === 'cart.html') {
      await d.attempt('qty', async () => {
        const qty = page.locator('.qty-input');
        if ((await qty.count()) === 0) return;
        await d.click(qty.first());
        await qty.first().fill(String(rng.int(1, 4)));
        await qty.first().press('Tab');
      });
      if (rng.chance(0.3)) await d.attempt('remove', () => d.click(page.locator('.remove-line').first()));
      await d.attempt('coupon', () => d.type(page.locator('#coupon'), rng.pick(['WINTER25', 'FJELL10', 'HELLO'])).then(() => d.click(page.locator('#apply-coupon'))));
      await d.think();
      if (checkedOut || rng.chance(0.3)) await d.attempt('keep shopping', () => d.follow(page.locator('.navbar-start > a.navbar-item').first()));
      else await d.attempt('checkout', () => d.follow(page.locator('a[href="checkout.html"]').last()));
      continue;
    }
    if (current === 'checkout.html') {
      await d.attempt('checkout form', async () => {
        const person = personName(rng);
        await d.type(page.locator('#name'), person);
        await d.type(page.locator('#email'), `${person.split(' ')[0]?.toLowerCase()}@example.net`);
        if (rng.chance(0.5)) await d.click(page.locator('#place-order')); // missing fields: errors shown
        await d.type(page.locator('#street'), `${rng.int(1, 200)} ${rng.pick(LAST_NAMES)} gate`);
        await d.type(page.locator('#zip'), String(rng.int(1000, 9999)));
        await d.type(page.locator('#city'), rng.pick(CITIES));
        await page.locator('#country').selectOption(rng.pick(['Norway', 'Sweden', 'Denmark']));
        await d.type(page.locator('#card'), '4242 4242 4242 4242');
        await d.type(page.locator('#expiry'), '12/29');
        await d.type(page.locator('#cvc'), '123');
        await d.click(page.locator('#place-order')); // the payment service answers 503
        await d.think(1000, 2500);
      });
      checkedOut = true;
      await d.attempt('back to shop', () => d.follow(page.locator('.navbar-brand a')));
      continue;
    }
    await d.attempt('home', () => page.goto(`${d.origin}/shop/index.html`).then(() => undefined));
  }
}

const SESSIONS: Record<Site, (d: Driver) => Promise<void>> = { admin: adminSession, docs: docsSession, shop: shopSession };

async function recorderBundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./recorder-entry.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.outputFiles[0]?.text ?? '';
}

interface Recorded {
  events: string[];
  pageLoads: number;
}

async function recordSession(origin: string, bundle: string, site: Site, n: number, seconds: number): Promise<Recorded> {
  const rng = new Rng(`session-${site}-${n}`);
  const viewport = rng.pick([
    { width: 1280, height: 800 },
    { width: 1440, height: 900 },
    { width: 1536, height: 864 },
    { width: 1920, height: 1080 },
  ]);
  const browser = await launchBrowser({ viewport });
  const received: Array<{ pageLoad: number; seq: number; json: string }> = [];
  try {
    const { context, page } = browser;
    await context.exposeFunction('__reelWorkloadEmit', (pageLoad: number, seq: number, json: string) => {
      received.push({ pageLoad, seq, json });
    });
    await context.addInitScript({ content: bundle });
    const duration = seconds * (0.6 + 0.8 * rng.next());
    await SESSIONS[site](new Driver(page, rng, origin, Date.now() + duration * 1000));
    // rrweb sends buffered mouse positions every 500 ms: let the last ones arrive.
    await page.waitForTimeout(1200);
  } finally {
    await browser.close();
  }
  received.sort((a, b) => a.pageLoad - b.pageLoad || a.seq - b.seq);
  return { events: received.map((r) => r.json), pageLoads: new Set(received.map((r) => r.pageLoad)).size };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  const bundle = await recorderBundle();
  const sites = await startSites();
  try {
    for (const site of args.sites) {
      for (let n = 1; n <= args.sessions; n++) {
        const started = Date.now();
        const { events, pageLoads } = await recordSession(sites.origin, bundle, site, n, args.seconds);
        const timestamps = events.map((e) => (JSON.parse(e) as { timestamp: number }).timestamp);
        const raw = events.reduce((sum, e) => sum + Buffer.byteLength(e), 0);
        const file = join(args.out, `${site}-${n}.json.gz`);
        const gz = gzipEvents(events);
        writeFileSync(file, gz);
        console.log(
          `${site}-${n}: ${events.length} events, ${pageLoads} page loads, ${((Math.max(...timestamps) - Math.min(...timestamps)) / 1000).toFixed(1)} s, ` +
            `${(raw / 1e6).toFixed(2)} MB raw, ${(gz.length / 1e6).toFixed(2)} MB gzip -9 (recorded in ${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }
  } finally {
    await sites.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
