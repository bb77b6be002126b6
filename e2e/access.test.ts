// (c) Nothing about recordings is visible without signing in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorBody } from '../testkit/api-types.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { startReel } from '../testkit/reel-server.ts';
import { describeWithSetUp } from './lib/suite.ts';

describeWithSetUp(
  'access without signing in',
  { timeout: 120_000 },
  async (defer) => {
    const reel = await startReel();
    defer(() => reel.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    return { reel, browser };
  },
  (env) => {
    test('the query API answers 401 with a stable error code', async () => {
      const { reel } = env();
      const response = await fetch(`${reel.baseUrl}/api/v1/replays`);
      assert.equal(response.status, 401);
      const body = (await response.json()) as Partial<ErrorBody>;
      assert.equal(body.error?.code, 'unauthenticated');
      assert.equal(typeof body.error?.message, 'string');
    });

    test('a wrong admin token is refused too', async () => {
      const { reel } = env();
      const response = await fetch(`${reel.baseUrl}/api/v1/replays`, { headers: { Authorization: 'Bearer not-the-token' } });
      assert.equal(response.status, 401);
    });

    test('opening the replay list in a browser leads to the login page', async () => {
      const { reel, browser } = env();
      const { page } = browser;
      await page.goto(`${reel.baseUrl}/replays`);
      await page.waitForURL((url) => url.pathname === '/login');
      await page.locator('input[name=password]').waitFor({ state: 'visible' });
    });

    test('a wrong password is refused with a visible message', async () => {
      const { reel, browser } = env();
      const { page } = browser;
      await page.goto(`${reel.baseUrl}/login`);
      await page.locator('input[name=email]').fill(reel.email);
      await page.locator('input[name=password]').fill(`${reel.password}-wrong`);
      await page.locator('form button[type=submit]').click();
      await page.locator('[data-testid=login-error]').waitFor({ state: 'visible' });
      assert.equal(new URL(page.url()).pathname, '/login');
    });
  },
);
