/**
 * Turns a stream of serialized events into upload batches: one batch per key (the replay id, so
 * a batch never mixes sessions), sealed when the flush timer fires, when adding an event would
 * pass the size cap, or when the key changes. Sizes are counted in UTF-16 code units of the JSON,
 * a cheap stand-in for bytes that is exact for the ASCII that dominates rrweb output.
 */
import type { Clock } from './env';

export interface BatcherOptions {
  maxBatchSize: number;
  maxEventSize: number;
  flushIntervalMs: number;
  clock: Clock;
  onBatch(key: string, events: string[], size: number): void;
  onOversizeEvent?(key: string, size: number): void;
}

export class Batcher {
  private key: string | null = null;
  private events: string[] = [];
  private size = 0;
  private timer: unknown = null;

  constructor(private readonly options: BatcherOptions) {}

  get pendingCount(): number {
    return this.events.length;
  }

  add(key: string, event: string): void {
    const size = event.length;
    if (size > this.options.maxEventSize) {
      this.options.onOversizeEvent?.(key, size);
      return;
    }
    if (this.key !== null && (this.key !== key || this.size + size > this.options.maxBatchSize)) {
      this.flush();
    }
    this.key = key;
    this.events.push(event);
    this.size += size;
    if (this.size >= this.options.maxBatchSize) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.options.flushIntervalMs);
    }
  }

  /** Seals whatever is pending into a batch now. */
  flush(): void {
    const pending = this.take();
    if (pending) this.options.onBatch(pending.key, pending.events, pending.size);
  }

  /** Removes and returns what is pending without sealing it (the page-exit path sends it itself). */
  take(): { key: string; events: string[]; size: number } | null {
    if (this.timer !== null) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const { key, events, size } = this;
    this.key = null;
    this.events = [];
    this.size = 0;
    return key !== null && events.length > 0 ? { key, events, size } : null;
  }
}

export interface BeaconPacking {
  /** Event groups, in order, each of which fits one beacon body. */
  chunks: string[][];
  /** Events that cannot travel by beacon at all (bigger than a beacon on their own). */
  tooLarge: string[];
}

/**
 * Packs events greedily, in order, into groups whose beacon body stays within `limitBytes`.
 * `bodyOverhead` is the byte size of the body with an empty event list; `itemBytes` is the
 * byte size an event adds to the list (its commas counted generously, one per event).
 */
export function packForBeacon(
  events: readonly string[],
  itemBytes: (event: string) => number,
  bodyOverhead: number,
  limitBytes: number,
): BeaconPacking {
  const budget = limitBytes - bodyOverhead;
  const chunks: string[][] = [];
  const tooLarge: string[] = [];
  let current: string[] = [];
  let used = 0;
  for (const event of events) {
    const cost = itemBytes(event) + 1;
    if (cost > budget) {
      tooLarge.push(event);
      continue;
    }
    if (used + cost > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(event);
    used += cost;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooLarge };
}
