// Starts the real `reel` binary (REEL_BIN) in demo mode on a free port with a throw-away data
// directory and known test credentials, and stops it, reporting a reel that crashed or did not
// stop cleanly.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TEST_ADMIN_EMAIL = 'e2e-admin@reel.test';
export const TEST_ADMIN_PASSWORD = 'e2e-correct-horse-battery';
export const TEST_ADMIN_TOKEN = 'e2e_admin_token_5d41402abc4b2a76b9719d911017c592';
export const TEST_API_KEY = 'e2etestkey0123456789abcdef012345';

const LISTENING_PREFIX = 'reel listening on ';
const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface Reel {
  /** Origin of the server, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  baseUrl: string;
  apiKey: string;
  adminToken: string;
  email: string;
  password: string;
  /** The server's data directory (removed by `stop`). */
  dataDir: string;
  /** Everything the process printed so far, for failure messages. */
  output(): string;
  /**
   * Stops reel with SIGTERM and removes its data directory. Throws when reel had exited before
   * (it crashed during the tests), did not exit cleanly, or needed a SIGKILL.
   */
  stop(): Promise<void>;
}

/** Path of the binary under test: `REEL_BIN`, which must exist. */
export function reelBinary(): string {
  const bin = process.env.REEL_BIN;
  if (!bin) {
    throw new Error(
      'REEL_BIN is not set: point it at the reel binary to test, e.g. ' +
        'REEL_BIN=target/debug/reel node --import tsx --test e2e/*.test.ts (the Makefile sets it)',
    );
  }
  if (!existsSync(bin)) {
    throw new Error(`REEL_BIN=${bin} does not exist: build it first (cargo build)`);
  }
  return bin;
}

/** Starts reel; `settings` are extra `REEL_*` environment variables (see README.md). */
export async function startReel(settings: Record<string, string> = {}): Promise<Reel> {
  const bin = reelBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'reel-e2e-data-'));
  const child = spawn(bin, ['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: {
      ...process.env,
      REEL_ADMIN_EMAIL: TEST_ADMIN_EMAIL,
      REEL_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      REEL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      REEL_API_KEY: TEST_API_KEY,
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk.trimEnd()));
  // Watched for the whole run, not only at start: a reel that dies during the tests is reported
  // by stop(), and an 'error' event (a failed kill, say) never becomes an uncaught exception.
  let stopping = false;
  let diedEarly: string | undefined;
  const processErrors: string[] = [];
  child.on('exit', (code, signal) => {
    if (!stopping) diedEarly = `code ${code}, signal ${signal}`;
  });
  child.on('error', (error) => processErrors.push(error.message));

  const stop = async (): Promise<void> => {
    stopping = true;
    const ending = await terminate(child);
    rmSync(dataDir, { recursive: true, force: true });
    const problems = [
      ...(diedEarly ? [`reel exited while the tests were running (${diedEarly})`] : []),
      ...(!diedEarly && ending !== 'exited 0' ? [`reel did not stop cleanly on SIGTERM: it ${ending}`] : []),
      ...processErrors.map((message) => `reel process error: ${message}`),
    ];
    if (problems.length > 0) {
      throw new Error(`${problems.join('; ')}\n--- reel output (last lines) ---\n${lines.slice(-30).join('\n')}`);
    }
  };

  let baseUrl: string;
  try {
    baseUrl = await waitForListeningLine(child, lines);
  } catch (error) {
    // The start failure is the error to report; stop() would only repeat it.
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    baseUrl,
    apiKey: TEST_API_KEY,
    adminToken: TEST_ADMIN_TOKEN,
    email: TEST_ADMIN_EMAIL,
    password: TEST_ADMIN_PASSWORD,
    dataDir,
    output: () => lines.join('\n'),
    stop,
  };
}

function waitForListeningLine(child: ChildProcess, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdout = createInterface({ input: child.stdout! });
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`reel did not start: ${why}\n--- reel output ---\n${lines.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no "${LISTENING_PREFIX}..." line within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    stdout.on('line', (line) => {
      lines.push(line);
      if (line.startsWith(LISTENING_PREFIX)) {
        clearTimeout(timer);
        resolve(line.slice(LISTENING_PREFIX.length).trim().replace(/\/+$/, ''));
      }
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`it exited early (code ${code}, signal ${signal})`));
  });
}

/** Sends SIGTERM (SIGKILL after a while) and says how the process ended: `exited 0` is clean. */
async function terminate(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return describeEnd(child.exitCode, child.signalCode);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(describeEnd(code, signal))));
  child.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, SHUTDOWN_TIMEOUT_MS);
  const ending = await exited;
  clearTimeout(timer);
  return killed ? `was still running ${SHUTDOWN_TIMEOUT_MS} ms after SIGTERM and was killed` : ending;
}

function describeEnd(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was ended by ${signal}` : `exited ${code}`;
}
