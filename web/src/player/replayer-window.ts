// One rrweb Replayer and the window of the recording it holds: opened on a fetched window,
// continued by later windows (scheduled on rrweb's running timer when it plays), trimmed of what
// lies far behind the playhead, and asked where it is and which page it shows. A seek outside
// what it holds opens a new one (replay-player.ts decides).
//
// Every Replayer made here is guarded (replayer-safety.ts): its iframe never runs scripts,
// UNSAFE_replayCanvas stays off, every event's URLs are confined (recorded-urls.ts) before
// rrweb sees it, and what rrweb throws is reported through the hooks instead of escaping.

import { Replayer } from '@rrweb/replay';
import type { RecordedEvent } from '../api';
import type { EventWindow } from './api';
import { mark } from './marks';
import { playableEvents } from './playable';
import type { Size } from './player-stage';
import { recordedUrlConfiner } from './recorded-urls';
import { enforceSandbox, guardReplayer, quietMediaPlayback, type ReplayerInternals } from './replayer-safety';
import { evictBefore, type Held, type WindowRead, type WindowSettings } from './windows';

/** Marks the end of held data, so rrweb's clock runs through a quiet end of a window. */
const HELD_END_TAG = 'reel:held-end';

/** What the player hears from a Replayer. */
export interface ReplayerHooks {
  /** rrweb logged a warning (it reports a mutation it could not apply only that way). */
  warned(args: unknown[]): void;
  snapshotFailed(error: unknown): void;
  updateFailed(error: unknown): void;
  /** A full snapshot was rebuilt: the page is on the stage. */
  rebuilt(window: ReplayerWindow): void;
  /** The recording told its viewport size. */
  resized(size: Size): void;
}

/** rrweb 2.1.6 internals the windowing relies on (private in its types). */
interface ReplayerWithState {
  service: { state: { context: { events: RecordedEvent[]; baselineTime: number }; matches(state: string): boolean } };
  timer: { actions: unknown[]; addAction(action: { delay: number; doAction(): void }): void };
  getCastFn(event: RecordedEvent, isSync: boolean): () => void;
}

export class ReplayerWindow {
  /** Held keyframes (a Meta directly followed by a FullSnapshot), ascending. */
  private keyframes: number[] = [];
  /** Held page loads (Meta events), ascending; the one before `held.start` is kept. */
  private pages: Array<{ time: number; href: string }> = [];

  private constructor(
    readonly replayer: Replayer,
    /** What it holds, epoch ms. */
    readonly held: Held,
    private readonly confine: (events: readonly RecordedEvent[]) => void,
    private readonly guard: MutationObserver,
  ) {}

  /** A Replayer on `win` (read with `read`), in `stage`, playing at `speed`. */
  static open(
    win: EventWindow,
    read: WindowRead,
    options: { stage: HTMLElement; speed: number; reelLocation: { origin: string; hostname: string }; hooks: ReplayerHooks },
  ): ReplayerWindow {
    const { hooks } = options;
    const events = playableEvents(win.events);
    const confiner = recordedUrlConfiner(options.reelLocation);
    confiner.confine(events);
    mark('reel:confined');
    const held: Held = { start: Math.min(win.start, events[0]?.timestamp ?? win.start), end: Math.max(read.to, lastTime(events)) };
    const all = [...events, heldEndMarker(held.end)];
    if (all.length < 2) all.unshift(heldEndMarker(held.start));
    const replayer = new Replayer(all as unknown as ConstructorParameters<typeof Replayer>[0], {
      root: options.stage,
      speed: options.speed,
      skipInactive: false,
      mouseTail: { strokeStyle: 'red', lineWidth: 2, duration: 700 },
      UNSAFE_replayCanvas: false,
      // rrweb reports a mutation it could not apply only as a warning; the player turns that one
      // into a message on the stage and drops the rest (rrweb's usual noise).
      showWarning: true,
      logger: { log: () => {}, warn: (...args: unknown[]) => hooks.warned(args) },
      triggerFocus: false,
    });
    let guard: MutationObserver;
    try {
      guard = enforceSandbox(replayer.iframe);
      guardReplayer(replayer, { snapshotFailed: hooks.snapshotFailed, updateFailed: hooks.updateFailed });
    } catch (err) {
      replayer.destroy();
      throw err;
    }
    const opened = new ReplayerWindow(replayer, held, (e) => confiner.confine(e), guard);
    // The iframe's window may not exist yet (or be replaced) before a snapshot is rebuilt.
    quietMediaPlayback(replayer.iframe);
    replayer.on('fullsnapshot-rebuilded', () => {
      quietMediaPlayback(replayer.iframe);
      hooks.rebuilt(opened);
    });
    replayer.on('resize', (dimension) => {
      const { width, height } = dimension as Size;
      if (width > 0 && height > 0) hooks.resized({ width, height });
    });
    opened.index(events);
    return opened;
  }

  /**
   * Adds a continuation window (it must follow the held data exactly). While rrweb's timer runs
   * and `maySchedule`, the new events are scheduled on it as rrweb's own `addEvent` does, without
   * a state-machine step per event; otherwise the next play schedules them.
   */
  append(win: EventWindow, read: WindowRead, maySchedule: boolean): void {
    const events = playableEvents(win.events);
    this.confine(events);
    const held = this.events();
    this.held.end = Math.max(read.to, lastTime(events));
    const added = [...events, heldEndMarker(this.held.end)];
    for (const event of added) held.push(event);
    this.index(events);
    if (maySchedule && !this.isStalled()) this.schedule(added);
  }

  /** Drops held events far behind `now` (up to a keyframe that stays). */
  dropBehind(now: number, settings: WindowSettings): void {
    const cut = evictBefore(this.held, this.keyframes, now, settings);
    if (cut === null) return;
    const events = this.events();
    let drop = 0;
    while (drop < events.length && (events[drop]?.timestamp ?? Infinity) < cut) drop++;
    if (drop === 0 || drop >= events.length - 1) return;
    events.splice(0, drop);
    this.held.start = cut;
    this.keyframes = this.keyframes.filter((k) => k >= cut);
    const before = this.pages.filter((p) => p.time <= cut);
    this.pages = [...before.slice(-1), ...this.pages.filter((p) => p.time > cut)];
  }

  /** Shows `at` (epoch ms), playing or paused. */
  showAt(at: number, play: boolean): void {
    const base = this.events()[0]?.timestamp ?? at;
    const offset = Math.max(0, at - base);
    if (play) this.replayer.play(offset);
    else this.replayer.pause(offset);
  }

  /** Where rrweb's clock is, epoch ms; undefined while it holds no events. */
  currentTime(): number | undefined {
    const base = this.events()[0]?.timestamp;
    return base === undefined ? undefined : base + this.replayer.getCurrentTime();
  }

  /** rrweb is not playing, or has nothing left to play. */
  isStalled(): boolean {
    const internals = this.replayer as unknown as ReplayerWithState;
    return !internals.service.state.matches('playing') || internals.timer.actions.length === 0;
  }

  /** The URL of the page shown at `now`. */
  hrefAt(now: number): string {
    let href = '';
    for (const page of this.pages) {
      if (page.time > now) break;
      href = page.href;
    }
    return href || this.pages[0]?.href || '';
  }

  /** Gives the recording the viewport it never told (rrweb would keep the frame hidden). */
  assumeViewport(size: Size): void {
    (this.replayer as unknown as ReplayerInternals).handleResize(size);
  }

  close(): void {
    this.guard.disconnect();
    try {
      this.replayer.destroy();
    } catch {
      // A replayer whose page failed to build may not tear down cleanly; it is dropped anyway.
    }
  }

  /** The events rrweb holds (its own list: what is added or dropped here is what it plays). */
  private events(): RecordedEvent[] {
    return (this.replayer as unknown as ReplayerWithState).service.state.context.events;
  }

  /** Records the keyframes and page loads among new held events. */
  private index(events: readonly RecordedEvent[]): void {
    events.forEach((event, i) => {
      if (event.type !== 4) return;
      const href = (event.data as { href?: unknown }).href;
      this.pages.push({ time: event.timestamp, href: typeof href === 'string' ? href : '' });
      if (events[i + 1]?.type === 2) this.keyframes.push(event.timestamp);
    });
  }

  /** Schedules events after the last one rrweb's running timer holds (what rrweb's addEvent does). */
  private schedule(events: readonly RecordedEvent[]): void {
    const internals = this.replayer as unknown as ReplayerWithState;
    const baseline = internals.service.state.context.baselineTime;
    for (const event of events) {
      const delay = eventDelay(event, baseline);
      (event as RecordedEvent & { delay?: number }).delay = delay;
      const cast = internals.getCastFn(event, false);
      internals.timer.addAction({ delay, doAction: cast });
    }
  }
}

/** rrweb's `addDelay`: a mouse move plays from its first position's time. */
function eventDelay(event: RecordedEvent, baseline: number): number {
  const data = event.data as { source?: unknown; positions?: Array<{ timeOffset?: unknown }> };
  if (event.type === 3 && data.source === 1 && Array.isArray(data.positions) && data.positions.length) {
    const first = Number(data.positions[0]?.timeOffset);
    if (Number.isFinite(first)) return event.timestamp + first - baseline;
  }
  return event.timestamp - baseline;
}

function heldEndMarker(time: number): RecordedEvent {
  return { type: 5, timestamp: time, data: { tag: HELD_END_TAG, payload: null } };
}

function lastTime(events: readonly RecordedEvent[]): number {
  return events.length ? (events[events.length - 1]?.timestamp ?? -Infinity) : -Infinity;
}
