/**
 * Sends stored batches of one kind, one request at a time and oldest first, and applies the
 * outcome table of `retry.ts`: delete after a 2xx, back off and retry, halve on "payload
 * exceeded", drop what the server refuses for good, pause on back-pressure.
 */
import { isMetaEvent, splitPoint } from './batch';
import type { Clock } from './env';
import { debug } from './env';
import { backoffMs, classify, type ClassifyOptions, type UploadResponse } from './retry';
import type { BatchStore, StoredBatch } from './store';

export interface UploadRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Compress the body with gzip (and say so in `Content-Encoding`) when the browser can. */
  gzip: boolean;
}

export type Send = (request: UploadRequest) => Promise<UploadResponse>;

export interface UploaderOptions extends ClassifyOptions {
  clock: Clock;
  random: () => number;
  store: BatchStore;
  send: Send;
  buildRequest(batch: StoredBatch): UploadRequest;
  /** How long a page may keep a batch to itself before other pages may claim it. */
  leaseMs: number;
  /** Attempts on this page before the batch is left in storage for a later page or claim. */
  maxAttempts: number;
  pauseMs: number;
  /**
   * Bytes of batches kept in memory; beyond it the oldest waiting ones are left to storage (whose
   * own bound drops the oldest first) and come back through a later claim. Default: unbounded.
   */
  maxQueuedSize?: number;
  onStopSession?(replayId: string): void;
}

export class Uploader {
  private queue: StoredBatch[] = [];
  private attempts = new Map<string, number>();
  private inFlight: StoredBatch | null = null;
  private retryTimer: unknown = null;
  private pausedUntil = 0;
  /** Failed attempts in a row, whatever the batch: the backoff keeps growing across batches. */
  private failures = 0;
  /** Nothing is sent before this (the backoff still due when a batch was given up). */
  private notBefore = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: UploaderOptions) {}

  /** Stores a new batch and queues it for sending. */
  enqueue(batch: StoredBatch): void {
    this.queue.push(batch);
    this.persist(batch);
    this.trim();
    this.pump();
  }

  /** Queues batches already persisted (claimed from storage). */
  adopt(batches: readonly StoredBatch[]): void {
    const known = new Set(this.queue.map((b) => b.id));
    if (this.inFlight) known.add(this.inFlight.id);
    for (const b of batches) if (!known.has(b.id)) this.queue.push(b);
    this.queue.sort((a, b) => a.createdAt - b.createdAt);
    this.trim();
    this.pump();
  }

  has(id: string): boolean {
    return this.inFlight?.id === id || this.queue.some((b) => b.id === id);
  }

  /** Sends now, skipping any backoff wait; resolves once every queued batch got an attempt. */
  flush(): Promise<void> {
    if (this.retryTimer !== null) {
      this.options.clock.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.notBefore = 0;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.pump();
    return idle;
  }

  /**
   * Hands over the batches not currently on the wire, for the page-exit beacon; the uploader
   * forgets them. The batch in flight stays: its request may still complete.
   */
  takeWaiting(): StoredBatch[] {
    const inFlightId = this.inFlight?.id;
    const taken = this.queue.filter((b) => b.id !== inFlightId);
    this.queue = this.queue.filter((b) => b.id === inFlightId);
    return taken;
  }

  /** The batch whose request is on the wire, if any. */
  get sending(): StoredBatch | null {
    return this.inFlight;
  }

  get paused(): boolean {
    return this.options.clock.now() < this.pausedUntil;
  }

  private persist(batch: StoredBatch): void {
    this.options.store.put(batch).catch((error) => debug('could not persist batch', error));
  }

  private forget(batch: StoredBatch, deleteStored: boolean): void {
    this.queue = this.queue.filter((b) => b.id !== batch.id);
    this.attempts.delete(batch.id);
    if (deleteStored) this.options.store.remove(batch.id).catch((error) => debug('could not delete batch', error));
  }

  private pump(): void {
    if (this.inFlight) return;
    const next = this.queue[0];
    const now = this.options.clock.now();
    if (!next || this.retryTimer !== null) return this.settle();
    const notBefore = Math.max(this.pausedUntil, this.notBefore);
    if (now < notBefore) {
      this.wakeAt(notBefore - now);
      return this.settle();
    }
    this.inFlight = next;
    let request: UploadRequest;
    try {
      request = this.options.buildRequest(next);
    } catch (error) {
      debug('could not build upload', error);
      this.inFlight = null;
      this.forget(next, true);
      return this.pump();
    }
    this.options
      .send(request)
      .catch((error: unknown): UploadResponse => ({ status: 0, body: String(error), retryAfter: null, skipped: null }))
      .then((response) => this.handle(next, response))
      .catch((error: unknown) => debug('upload handling failed', error))
      .finally(() => {
        this.inFlight = null;
        this.pump();
      });
  }

  private handle(batch: StoredBatch, response: UploadResponse): void {
    if (!this.queue.includes(batch)) return;
    const outcome = classify(response, this.options);
    if (outcome.kind !== 'retry') this.failures = 0;
    switch (outcome.kind) {
      case 'sent':
        this.forget(batch, true);
        if (outcome.backPressure === 'pause') this.pausedUntil = this.options.clock.now() + this.options.pauseMs;
        if (outcome.backPressure === 'stop-session') this.options.onStopSession?.(batch.replayId);
        return;
      case 'drop':
        debug(`upload rejected with status ${response.status}; dropping ${batch.events.length} events`);
        this.forget(batch, true);
        return;
      case 'split': {
        this.forget(batch, true);
        if (batch.events.length < 2) return;
        const [first, second] = halve(batch);
        this.queue.unshift(first, second);
        this.persist(first);
        this.persist(second);
        return;
      }
      case 'retry': {
        this.failures++;
        const delayMs = Math.max(backoffMs(this.failures, this.options.random), outcome.notBeforeMs ?? 0);
        const attempt = (this.attempts.get(batch.id) ?? 0) + 1;
        if (attempt >= this.options.maxAttempts) {
          // Leave it in storage with its lease running out, for a later claim (this page's or another's).
          this.forget(batch, false);
          // The server is still failing (or asked to wait): the next batch waits too.
          this.notBefore = this.options.clock.now() + delayMs;
          return;
        }
        this.attempts.set(batch.id, attempt);
        const renewed = { ...batch, leaseUntil: this.options.clock.now() + this.options.leaseMs };
        this.queue[this.queue.indexOf(batch)] = renewed;
        this.persist(renewed);
        this.wakeAt(delayMs);
        return;
      }
    }
  }

  /** Keeps the batches held in memory within `maxQueuedSize`, letting go of the oldest waiting ones. */
  private trim(): void {
    const max = this.options.maxQueuedSize;
    if (max === undefined) return;
    let total = this.queue.reduce((n, b) => n + b.size, 0);
    for (const b of [...this.queue]) {
      if (total <= max) break;
      if (b.id === this.inFlight?.id) continue;
      this.forget(b, false);
      total -= b.size;
    }
  }

  private wakeAt(delayMs: number): void {
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delayMs);
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Two halves of a batch the server found too large; a replay's Meta stays with its snapshot where it can. */
function halve(batch: StoredBatch): [StoredBatch, StoredBatch] {
  const middle = splitPoint(batch.events, batch.kind === 'replay' ? isMetaEvent : undefined);
  const part = (events: string[], suffix: string): StoredBatch => ({
    ...batch,
    id: `${batch.id}.${suffix}`,
    events,
    size: events.reduce((n, e) => n + e.length, 0),
  });
  return [part(batch.events.slice(0, middle), 'a'), part(batch.events.slice(middle), 'b')];
}
