// Signing in to reel's UI the way a person does, for tests and benchmarks that then use it.

import type { Page } from 'playwright-core';
import type { Reel } from './reel-server.ts';

/** Fills in the login form with the admin's email and password and waits for the replay list. */
export async function logInThroughUi(page: Page, reel: Pick<Reel, 'baseUrl' | 'email' | 'password'>): Promise<void> {
  await page.goto(`${reel.baseUrl}/login`);
  await page.locator('input[name=email]').fill(reel.email);
  await page.locator('input[name=password]').fill(reel.password);
  await page.locator('form button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === '/replays');
}
