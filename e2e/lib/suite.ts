// A describe block whose servers and browsers start in its first test and stop in its last.
//
// node:test counts only failed tests in "# fail". A before/after hook that throws, or a describe
// callback that throws, fails the run (exit code 1) with "# fail 0": a reel that did not start, a
// browser that would not close or a reel process that died during the tests was easy to miss.
// Here starting is a test ("set-up") and stopping is a test ("tear-down"), so each such error is
// a failing test that carries it. Tests in between that need what set-up made fail with
// set-up's error when it failed.

import { after, describe, test } from 'node:test';

/** Registers how to stop something that was started; stopped in reverse order at tear-down. */
export type Defer = (stop: () => Promise<void> | void) => void;

export interface SuiteOptions {
  /** For the whole describe block, set-up and tear-down included. */
  timeout: number;
}

/**
 * `describe(name)` with `setUp` as its first test and a tear-down as its last. `setUp` starts
 * what the tests need, registers how to stop each thing with `defer` as soon as it exists, and
 * returns what the tests use; `body` declares the tests, which call `env()` to get it.
 */
export function describeWithSetUp<T>(
  name: string,
  options: SuiteOptions,
  setUp: (defer: Defer) => Promise<T>,
  body: (env: () => T) => void,
): void {
  describe(name, options, () => {
    const stops: Array<() => Promise<void> | void> = [];
    let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;

    test('set-up', async () => {
      try {
        state = { ok: true, value: await setUp((stop) => stops.push(stop)) };
      } catch (error) {
        state = { ok: false, error };
        throw error;
      }
    });

    body(() => {
      if (state?.ok) return state.value;
      const why = state ? `: ${messageOf(state.error)}` : ' (it has not run)';
      throw new Error(`not run: the suite's set-up failed${why}`);
    });

    test('tear-down: everything started stops cleanly', () => stopAll(stops));

    // Only does something when tear-down did not run (the block's timeout cancelled it); the
    // cancelled tests are the failures then, and an error here fails the block as well.
    after(() => stopAll(stops));
  });
}

/** Runs every stop, newest first, even when one throws; then throws all their errors as one. */
async function stopAll(stops: Array<() => Promise<void> | void>): Promise<void> {
  const errors: unknown[] = [];
  for (let stop = stops.pop(); stop; stop = stops.pop()) {
    try {
      await stop();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`${errors.length} things did not stop cleanly:\n${errors.map(messageOf).join('\n')}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
