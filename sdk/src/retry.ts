/**
 * What to do with an upload after the server (or the network) answered. One table, so the rules
 * from the wire protocol live in one place and are tested as a table.
 */

export interface UploadResponse {
  /** HTTP status; 0 when the request never got an answer (network failure, CORS, offline). */
  status: number;
  body: string;
  retryAfter: string | null;
  /** Value of `X-Session-Replay-Event-Skipped`, if any. */
  skipped: string | null;
}

export type Outcome =
  | { kind: 'sent'; backPressure: 'pause' | 'stop-session' | null }
  | { kind: 'retry'; notBeforeMs: number | null }
  | { kind: 'split' }
  | { kind: 'drop' };

const PAYLOAD_EXCEEDED = /payload.*exceed/i;
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

export interface ClassifyOptions {
  /** `/2/httpapi` answers 413 with its own wording; its batches are halved on any 413. */
  splitOnAny413?: boolean;
}

export function classify(res: UploadResponse, options: ClassifyOptions = {}): Outcome {
  const { status } = res;
  if (status >= 200 && status < 300) {
    const skipped = res.skipped?.trim() ?? null;
    const backPressure = skipped === '429' ? 'pause' : skipped === '4004' || skipped === '4005' ? 'stop-session' : null;
    return { kind: 'sent', backPressure };
  }
  if (status === 0 || status === 408 || status === 429 || status === 499 || (status >= 500 && status < 600)) {
    const notBeforeMs = status === 429 || status === 503 ? parseRetryAfter(res.retryAfter) : null;
    return { kind: 'retry', notBeforeMs };
  }
  if (status === 413) {
    return options.splitOnAny413 || PAYLOAD_EXCEEDED.test(res.body) ? { kind: 'split' } : { kind: 'drop' };
  }
  return { kind: 'drop' };
}

/** `Retry-After` in seconds (the form reel's server sends); other forms are ignored. */
export function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return null;
  return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30_000;

/**
 * Exponential backoff with jitter for the `attempt`-th retry (1-based): the ceiling doubles from
 * one second up to 30 s, and the delay is drawn from the upper half of it so a fleet of clients
 * that failed together does not come back together.
 */
export function backoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}
