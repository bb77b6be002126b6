// Checks shared by the recording tests.

import assert from 'node:assert/strict';
import type { PageProblems } from '../../testkit/browser.ts';

/**
 * `typed` must not appear in the stored data, but its masked form must: rrweb's default mask is
 * one `*` per character; Amplitude's SDK keeps spaces and masks every other character.
 */
export function assertMasked(storedJson: string, typed: string): void {
  for (const word of typed.split(/\s+/).filter((w) => w.length >= 4)) {
    assert.ok(!storedJson.includes(word), `typed text "${word}" leaked into the stored recording`);
  }
  const masks = ['*'.repeat(typed.length), typed.replace(/\S/g, '*')];
  assert.ok(
    masks.some((mask) => storedJson.includes(mask)),
    `no masked form of "${typed}" (${masks.map((m) => JSON.stringify(m)).join(' or ')}) in the stored recording`,
  );
}

/**
 * Console errors on the player page, minus Chromium's note that the sandboxed replay iframe may not
 * run scripts: that note is the sandbox doing its job on recorded inline handlers.
 */
export function unexpectedConsoleErrors(problems: PageProblems): string[] {
  return problems.consoleErrors.filter((message) => !/Blocked script execution in .* sandboxed/i.test(message));
}
