// Fetching windows of a recording for the player, at most one of each kind at a time: the
// window a seek waits for (a newer seek replaces it) and the continuation read while playing
// (prefetch). An answer that was replaced or cancelled is dropped, so only the read the player
// still wants reaches it. Which window to read is windows.ts's decision, what to do with it the
// player's.

import { getEventWindow, type EventWindow, type ReplayRef } from './api';
import type { WindowRead } from './windows';

/** More failed reads in a row than this stop prefetching until a read succeeds or play is pressed. */
const MAX_PREFETCH_FAILURES = 2;

export interface PendingSeek {
  /** Where the seek goes, epoch ms. */
  target: number;
  /** When it started waiting (`performance.now()`). */
  since: number;
}

export class WindowLoader {
  private seekRead: (PendingSeek & { controller: AbortController }) | null = null;
  private continuation: AbortController | null = null;
  /** Reads that failed since the last one that succeeded (or since the viewer pressed play). */
  private failures = 0;

  constructor(private readonly replay: ReplayRef) {}

  /** The seek waiting for its window, if any. */
  get pendingSeek(): PendingSeek | null {
    return this.seekRead;
  }

  /**
   * Reads the window a seek to `target` needs, replacing a seek in flight. `loaded` gets the
   * window; `failed` gets why the read failed (not when it was replaced or cancelled).
   */
  loadForSeek(target: number, read: WindowRead, loaded: (win: EventWindow) => void, failed: (error: unknown) => void): void {
    this.seekRead?.controller.abort();
    const current = { target, since: performance.now(), controller: new AbortController() };
    this.seekRead = current;
    const slot = { wanted: () => this.seekRead === current, release: () => (this.seekRead = null) };
    this.fetchWindow(read, current.controller, slot, loaded, failed);
  }

  /** Drops the seek in flight: what the player shows needs no more data. */
  cancelSeek(): void {
    this.seekRead?.controller.abort();
    this.seekRead = null;
  }

  /** Whether a continuation may start: no read in flight, and reads have not kept failing. */
  canContinue(): boolean {
    return !this.seekRead && !this.continuation && this.failures <= MAX_PREFETCH_FAILURES;
  }

  /** Reads the events after what the player holds; `loaded` gets them unless cancelled meanwhile. */
  loadContinuation(read: WindowRead, loaded: (win: EventWindow) => void): void {
    const controller = new AbortController();
    this.continuation = controller;
    const slot = { wanted: () => this.continuation === controller, release: () => (this.continuation = null) };
    this.fetchWindow(read, controller, slot, loaded);
  }

  /** Drops the continuation in flight: the held data it would continue is gone or replaced. */
  cancelContinuation(): void {
    this.continuation?.abort();
    this.continuation = null;
  }

  /** The viewer asked to play: reads get another chance. */
  forgetFailures(): void {
    this.failures = 0;
  }

  cancelAll(): void {
    this.cancelSeek();
    this.cancelContinuation();
  }

  /**
   * Reads a window. Its answer counts only while `slot` still wants it (not replaced, not
   * cancelled): then the slot is released, a success resets the failure count and goes to
   * `loaded`, and a failure that was not a cancellation is counted and goes to `failed`.
   */
  private fetchWindow(
    read: WindowRead,
    controller: AbortController,
    slot: { wanted(): boolean; release(): void },
    loaded: (win: EventWindow) => void,
    failed?: (error: unknown) => void,
  ): void {
    getEventWindow(this.replay, read, controller.signal).then(
      (win) => {
        if (!slot.wanted()) return;
        slot.release();
        this.failures = 0;
        loaded(win);
      },
      (error: unknown) => {
        if (!slot.wanted()) return;
        slot.release();
        if (isAbort(error)) return;
        this.failures += 1;
        failed?.(error);
      },
    );
  }
}

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
