// Headless Chromium (the system's /usr/bin/chromium, never a downloaded browser) with a fresh
// profile per launch, for the e2e tests, the benchmarks and the recording scripts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A desktop Chrome's User-Agent, as reel parses it: Chrome on macOS, a desktop. Headless
 * Chromium's own says "HeadlessChrome", which reel counts as a bot.
 */
export const DESKTOP_CHROME_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** Default 1280 × 800. */
  viewport?: { width: number; height: number };
  /** Default: Chromium's own. */
  userAgent?: string;
  /** How long actions and waits may take unless told otherwise (default 15 s). */
  defaultTimeoutMs?: number;
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'reel-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  context.setDefaultTimeout(options.defaultTimeoutMs ?? 15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Uncaught errors and console errors of one page, gathered while a test runs. Console warnings
 * are kept too, for tests that report them (rrweb's Replayer warns instead of failing).
 */
export interface PageProblems {
  pageErrors: string[];
  consoleErrors: string[];
  consoleWarnings: string[];
}

export function watchPageProblems(page: Page): PageProblems {
  const problems: PageProblems = { pageErrors: [], consoleErrors: [], consoleWarnings: [] };
  page.on('pageerror', (error) => problems.pageErrors.push(`${error.name}: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    const line = `${message.text()} @ ${message.location().url}`;
    if (message.type() === 'error') problems.consoleErrors.push(line);
    else if (message.type() === 'warning') problems.consoleWarnings.push(line);
  });
  return problems;
}
