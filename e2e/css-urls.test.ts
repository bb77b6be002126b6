// (f) The player finds URLs in recorded CSS with its own tokenizer (web/src/player/css-urls.ts)
// and rewrites them; whatever it misses, Chromium fetches relative to the player page. Here
// Chromium is the judge: CSS written to hide a relative URL (escapes, comments, image-set,
// @import, fonts, custom properties, …) is rebuilt the way rrweb does it, once as recorded and
// once rewritten; as recorded it fetches from the page's own server, rewritten it must not.
// No reel binary needed: the page comes from a throw-away server.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { rewriteCssUrls } from '../web/src/player/css-urls.ts';
import { launchBrowser, type Browser } from '../testkit/browser.ts';
import { pollUntil } from '../testkit/poll.ts';
import { describeWithSetUp } from './lib/suite.ts';

const FOUND = 'http://found.reel.test';

/** Each case's URLs carry its number (`c<k>-`), so a request names the case that made it. */
const URLS = [(k: number) => `c${k}-a.png`, (k: number) => `/abs/c${k}-b.png`, (k: number) => `\\2f c${k}-c.png`, (k: number) => `c${k}-\\64.png`, (k: number) => `//HOST/c${k}-e.png`];
const VALUES = [
  (u: string) => `url(${u})`, (u: string) => `URL(${u})`, (u: string) => `u\\72l(${u})`, (u: string) => `\\75 rl(${u})`,
  (u: string) => `url( "${u}" )`, (u: string) => `url('${u}')`, (u: string) => `url(/**/${u})`, (u: string) => `image-set("${u}" 1x)`,
  (u: string) => `-webkit-image-set('${u}' 1x)`, (u: string) => `image-set("${u}" type("image/png") 1x)`, (u: string) => `im\\61ge-set("${u}" 1x)`,
];
const PLACES = [
  (v: string) => `.e{background:/* c */${v} no-repeat}`,
  (v: string) => `.e{border-style:solid;border-width:5px;border-image:${v} 30}`,
  (v: string) => `.e::after{content:${v}}`,
  (v: string) => `.e{--v:${v};background-image:var(--v)}`,
  (v: string) => `@font-face{font-family:f;src:${v}}.e{font-family:f}`,
  (v: string) => `@media all{.e{cursor:${v},auto}}`,
];
const IMPORTS = [(u: string) => `@import "${u}";`, (u: string) => `@import url(${u}) all;`, (u: string) => `@\\69mport '${u}';`, (u: string) => `@import/**/"${u}";`];

function cases(): string[] {
  const all: string[] = [];
  for (const url of URLS) {
    for (const value of VALUES) for (const place of PLACES) all.push(place(value(url(all.length))));
    for (const statement of IMPORTS) all.push(statement(url(all.length)));
  }
  return all;
}

let server: Server;
let origin: string;
let browser: Browser;
/** Paths requested from the page's server other than the page itself. */
const fromPageServer: string[] = [];
const fromFound: string[] = [];

describeWithSetUp(
  'the CSS URL rewriter against Chromium',
  { timeout: 180_000 },
  async (defer) => {
    server = createServer((request, response) => {
      if (request.url === '/page') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><title>css</title>');
        return;
      }
      fromPageServer.push(decodeURIComponent(request.url ?? ''));
      response.writeHead(404);
      response.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    defer(() => new Promise<void>((done) => server.close(() => done())));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    defer(() => browser.close());
    await browser.context.route(`${FOUND}/**`, async (route) => {
      fromFound.push(decodeURIComponent(new URL(route.request().url()).pathname));
      await route.fulfill({ status: 404, body: '' });
    });
    await browser.page.goto(`${origin}/page`);
  },
  (env) => {
  test('CSS as recorded fetches relative to the page; rewritten, it fetches only what the rewriter found', async () => {
    env();
    const all = cases();
    const host = new URL(origin).host;
    const asRecorded = all.map((css) => css.replaceAll('HOST', host));
    const rewritten = asRecorded.map((css) => rewriteCssUrls(css, (url) => `${FOUND}/${encodeURIComponent(url)}`));

    const requestCount = (): number => fromPageServer.length + fromFound.length;
    await applyAll(browser.page, asRecorded, requestCount);
    const recordedHits = casesIn(fromPageServer);
    // The cases are real: as recorded, most of them make Chromium call the page's server.
    assert.ok(recordedHits.size > all.length / 2, `only ${recordedHits.size} of ${all.length} cases fetched anything as recorded`);

    fromPageServer.length = 0;
    await applyAll(browser.page, rewritten, requestCount);
    const missed = [...casesIn(fromPageServer)].map((k) => asRecorded[k]);
    assert.deepEqual(missed, [], 'CSS whose URL the rewriter missed (Chromium fetched it relative to the page)');
    assert.ok(casesIn(fromFound).size >= recordedHits.size, 'the rewritten URLs were fetched from where the rewriter sent them');
  });
  },
);

/**
 * Rebuilds each piece of CSS as rrweb does (a `<style>` in an about:blank iframe after
 * document.open()), waits until no request has arrived for a while, then removes the frames.
 */
async function applyAll(page: Page, styles: string[], requestCount: () => number): Promise<void> {
  for (let start = 0; start < styles.length; start += 20) {
    await page.evaluate((batch) => {
      for (const css of batch) {
        const iframe = document.createElement('iframe');
        iframe.setAttribute('sandbox', 'allow-same-origin');
        document.body.append(iframe);
        const doc = iframe.contentDocument!;
        doc.open();
        const html = doc.createElement('html');
        const head = doc.createElement('head');
        const style = doc.createElement('style');
        style.textContent = css;
        head.append(style);
        const body = doc.createElement('body');
        const element = doc.createElement('div');
        element.className = 'e';
        element.textContent = 'x';
        body.append(element);
        html.append(head, body);
        doc.append(html);
      }
    }, styles.slice(start, start + 20));
  }
  let seen = -1;
  let quietSince = Date.now();
  await pollUntil(
    async () => {
      if (requestCount() !== seen) {
        seen = requestCount();
        quietSince = Date.now();
      }
      return Date.now() - quietSince >= 750 ? true : undefined;
    },
    { what: 'the frames to stop making requests', timeoutMs: 30_000, intervalMs: 50 },
  );
  await page.evaluate(() => document.querySelectorAll('iframe').forEach((iframe) => iframe.remove()));
}

function casesIn(paths: string[]): Set<number> {
  const found = new Set<number>();
  for (const path of paths) {
    const match = /c(\d+)-/.exec(path);
    if (match) found.add(Number(match[1]));
  }
  return found;
}
