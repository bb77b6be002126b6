/**
 * Turns a stream of serialized events into upload batches: one batch per key (the replay id, so
 * a batch never mixes sessions), sealed when the flush timer fires, when adding an event would
 * pass the size cap, or when the key changes. Sizes are counted in UTF-16 code units of the JSON,
 * a cheap stand-in for bytes that is exact for the ASCII that dominates rrweb output.
 *
 * Some events must not end a batch (`holdWithNext`): a Meta is useless without the FullSnapshot
 * rrweb emits right after it, and the server starts a playable chunk only where an upload holds
 * both. So neither the size cap nor the flush timer seals a batch right after such an event; it
 * waits for the next one and goes in its batch, even when that batch then passes the cap (as a
 * single event over the cap already does). Only an explicit `flush()`, `take()` or a new key send
 * it on its own.
 */
import type { Clock } from './env';

/**
 * True for the JSON of an rrweb Meta event. reel's recorder serializes rrweb's own event objects,
 * which rrweb builds as `{type, data, timestamp}`, so a Meta's JSON starts with `{"type":4,`.
 */
export function isMetaEvent(json: string): boolean {
  return json.startsWith('{"type":4,');
}

export interface BatcherOptions {
  maxBatchSize: number;
  maxEventSize: number;
  flushIntervalMs: number;
  clock: Clock;
  onBatch(key: string, events: string[], size: number): void;
  onOversizeEvent?(key: string, size: number): void;
  /** Events that must travel in the same batch as the event after them (see above). */
  holdWithNext?(event: string): boolean;
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
    if (this.key !== null && this.key !== key) {
      this.flush();
    } else if (this.key !== null && this.size + size > this.options.maxBatchSize) {
      this.sealBeforeHeld();
    }
    this.key = key;
    this.events.push(event);
    this.size += size;
    if (this.size >= this.options.maxBatchSize && !this.endsHeld()) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = null;
        this.sealBeforeHeld();
      }, this.options.flushIntervalMs);
    }
  }

  /** Seals whatever is pending into a batch now, a held event included. */
  flush(): void {
    const pending = this.take();
    if (pending) this.options.onBatch(pending.key, pending.events, pending.size);
  }

  private endsHeld(): boolean {
    const last = this.events[this.events.length - 1];
    return last !== undefined && this.options.holdWithNext?.(last) === true;
  }

  /** Seals what is pending except a trailing run of held events, which waits for the next event. */
  private sealBeforeHeld(): void {
    let cut = this.events.length;
    while (cut > 0 && this.options.holdWithNext?.(this.events[cut - 1] as string) === true) cut--;
    if (cut === this.events.length) return this.flush();
    if (cut === 0) return;
    const key = this.key as string;
    const sealed = this.events.slice(0, cut);
    const sealedSize = sealed.reduce((n, e) => n + e.length, 0);
    this.events = this.events.slice(cut);
    this.size -= sealedSize;
    // The held events stay without a timer: the next event arms one.
    if (this.timer !== null) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    this.options.onBatch(key, sealed, sealedSize);
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
 * byte size an event adds to the list (its commas counted generously, one per event). A held
 * event (`holdWithNext`) is packed as one unit with the event after it: both in one beacon, or
 * both in `tooLarge` when the pair fits no beacon.
 */
export function packForBeacon(
  events: readonly string[],
  itemBytes: (event: string) => number,
  bodyOverhead: number,
  limitBytes: number,
  holdWithNext?: (event: string) => boolean,
): BeaconPacking {
  const budget = limitBytes - bodyOverhead;
  const chunks: string[][] = [];
  const tooLarge: string[] = [];
  let current: string[] = [];
  let used = 0;
  for (let i = 0; i < events.length; i++) {
    const unit = [events[i] as string];
    while (i + 1 < events.length && holdWithNext?.(unit[unit.length - 1] as string) === true) unit.push(events[++i] as string);
    const cost = unit.reduce((n, e) => n + itemBytes(e) + 1, 0);
    if (cost > budget) {
      tooLarge.push(...unit);
      continue;
    }
    if (used + cost > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(...unit);
    used += cost;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooLarge };
}

/**
 * Where to cut a batch in two (for a server that found it too large): the middle, moved to the
 * nearest place that is not right after a held event. A batch that is nothing but a held event
 * and its follower can only be cut between them.
 */
export function splitPoint(events: readonly string[], holdWithNext?: (event: string) => boolean): number {
  const middle = Math.ceil(events.length / 2);
  const allowed = (cut: number): boolean => cut > 0 && cut < events.length && holdWithNext?.(events[cut - 1] as string) !== true;
  for (let d = 0; d < events.length; d++) {
    if (allowed(middle - d)) return middle - d;
    if (allowed(middle + d)) return middle + d;
  }
  return middle;
}
