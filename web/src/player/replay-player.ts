// The replay player: rrweb's Replayer on windows of a recording, with reel's controls
// (play/pause, ±10 s, speeds 0.5×–16×, skip inactivity, fullscreen, keyboard shortcuts), a
// timeline with markers, inactive and missing stretches, and the page URL of the moment shown.
//
// Any length: the player never fetches a whole long recording. It opens a window at the
// keyframe before the moment to show, continues it while playing (prefetching ahead of the
// playhead), drops what lies far behind (`windows.ts` plans all of it), and for a seek outside
// what it holds either continues the held data or opens a new window (a new Replayer),
// showing a loading state meanwhile. All times here are epoch ms unless named `offset`.
//
// This module is the player's state and what changes it: seeking, playing, pausing, speed and
// skipping, and one frame loop that follows the playhead. Its parts:
// - replayer-window.ts: one Replayer and the window it holds (open, continue, trim, where it is);
// - window-loader.ts: the window reads in flight, at most one seek and one continuation;
// - player-controls.ts, timeline-decorations.ts, player-stage.ts: what the viewer sees and uses;
// - keyboard-shortcuts.ts: the keys.
//
// Security invariant: recordings are untrusted HTML. Every Replayer's iframe stays sandboxed
// WITHOUT allow-scripts, UNSAFE_replayCanvas is never enabled, and every event's URLs are
// confined before rrweb sees it (replayer-window.ts). A snapshot rrweb cannot rebuild or an event
// that throws shows a message in the stage; the controls keep working and the next full snapshot
// that rebuilds clears it.

import { h } from '../dom';
import type { EventWindow, ReplayRef } from './api';
import { listenForShortcuts } from './keyboard-shortcuts';
import { mark } from './marks';
import type { Marker } from './markers';
import { createControls, SPEEDS, type PlayerControls, type Speed } from './player-controls';
import { createStage, type PlayerStage } from './player-stage';
import { describeFailure, MUTATION_FAILED } from './replayer-safety';
import { ReplayerWindow, type ReplayerHooks } from './replayer-window';
import { mergeStretches, skipTarget, stretchAt, type Stretch } from './skip';
import { renderBands, renderMarkers } from './timeline-decorations';
import { WindowLoader } from './window-loader';
import { DEFAULT_WINDOWS, openingRead, planSeek, wantsMore, nextRead, type Plan, type WindowRead, type WindowSettings } from './windows';

const SKIP_MS = 10_000;
/** Seeks from panels and markers land this long before the moment, so it is seen to happen. */
export const JUMP_LEAD_MS = 2_000;
/** The viewport assumed for a recording without a Meta event (rrweb would keep the frame hidden). */
const FALLBACK_VIEWPORT = { width: 1280, height: 800 };
/** How often held data is checked for what can be dropped. */
const EVICT_EVERY_MS = 2_000;

export interface PlayerOptions {
  replay: ReplayRef;
  /** The recording's time span and stored pieces (the manifest). */
  plan: Plan;
  speed: Speed;
  skipInactive: boolean;
  /** Where to start, in ms from the beginning. */
  startAt: number;
  autoplay: boolean;
  /** IANA name the wall-clock time is shown in. */
  timeZone: string;
  /** Stretches where no data arrived while the session went on. */
  gaps: Stretch[];
  live: boolean;
  windows?: WindowSettings;
  /** Called when the user changes a setting worth keeping in the URL. */
  onSettingsChange?: (settings: { speed: Speed; skipInactive: boolean }) => void;
  /** A few times a second while the position or state changes (epoch ms). */
  onTime?: (time: number) => void;
  /** Once, when the first frame is on screen. */
  onFirstFrame?: () => void;
}

export interface PlayerHandle {
  /** Moves to `offset` ms from the start; plays when `play` (default: as before). */
  seek(offset: number, play?: boolean): void;
  /** Shows a moment: lands `JUMP_LEAD_MS` before `time` (epoch ms) and plays. */
  jumpTo(time: number): void;
  /** Position in ms from the start. */
  currentTime(): number;
  /** Position as epoch ms. */
  currentMoment(): number;
  setMarkers(markers: Marker[]): void;
  setInactive(stretches: Stretch[]): void;
  /** A session still recording grew: its new end, pieces and gaps. */
  updatePlan(plan: Plan, gaps: Stretch[]): void;
  setLive(live: boolean): void;
  destroy(): void;
}

export function mountPlayer(host: HTMLElement, options: PlayerOptions): PlayerHandle {
  return new ReplayPlayer(host, options);
}

class ReplayPlayer implements PlayerHandle {
  private readonly settings: WindowSettings;
  private readonly reelLocation = { origin: location.origin, hostname: location.hostname };
  private plan: Plan;
  private gaps: Stretch[];
  private inactive: Stretch[] = [];
  /** Inactive stretches and gaps together: what skipping passes. */
  private skipStretches: Stretch[];
  private markers: Marker[] = [];
  private speed: Speed;
  private skipInactive: boolean;
  private live: boolean;
  /** What the viewer asked for; the replayer follows when it can. */
  private wantPlaying: boolean;
  /** Played to the end; play starts over. */
  private finished = false;
  private session: ReplayerWindow | null = null;
  /** The position while no replayer shows it (loading, or none yet). */
  private position: number;
  private lastEvict = 0;
  private lastNotified = { time: NaN, at: 0 };
  /** The viewer drags the timeline; whether to play again when they let go. */
  private scrubbing: { resume: boolean } | null = null;
  /** Where the timeline was dragged since the last frame, ms from the start. */
  private pendingScrub: number | null = null;
  private firstFrameShown = false;
  private frame: number;
  private readonly loader: WindowLoader;
  private readonly stage: PlayerStage;
  private readonly controls: PlayerControls;
  private readonly shell: HTMLElement;
  private readonly resizeObserver: ResizeObserver;
  private readonly stopShortcuts: () => void;

  constructor(
    host: HTMLElement,
    private readonly options: PlayerOptions,
  ) {
    this.settings = options.windows ?? DEFAULT_WINDOWS;
    this.plan = options.plan;
    this.gaps = mergeStretches(options.gaps);
    this.skipStretches = this.gaps;
    this.speed = options.speed;
    this.skipInactive = options.skipInactive;
    this.live = options.live;
    this.wantPlaying = options.autoplay;
    this.position = this.plan.startMs + options.startAt;
    this.loader = new WindowLoader(options.replay);

    this.stage = createStage();
    this.controls = createControls(
      { timeZone: options.timeZone, live: this.live, skipInactive: this.skipInactive },
      {
        togglePlay: () => this.togglePlay(),
        skipBack: () => this.seekBy(-SKIP_MS),
        skipForward: () => this.seekBy(SKIP_MS),
        setSpeed: (speed) => this.setSpeed(speed),
        setSkipInactive: (on) => this.setSkip(on),
        toggleFullscreen: () => this.toggleFullscreen(),
        scrub: (offset) => this.scrub(offset),
        scrubEnd: (offset) => this.scrubEnd(offset),
      },
    );
    this.shell = h(
      'div',
      { class: 'player-shell', 'data-testid': 'player-shell', 'data-state': 'loading' },
      this.controls.urlBar,
      this.stage.element,
      this.controls.element,
    );
    host.append(this.shell);

    this.resizeObserver = new ResizeObserver(() => {
      this.fit();
      this.renderMarkers();
    });
    this.resizeObserver.observe(this.stage.element);
    this.resizeObserver.observe(this.controls.timeline.wrap);
    this.stopShortcuts = listenForShortcuts(this.shell, {
      togglePlay: () => this.togglePlay(),
      skipBack: () => this.seekBy(-SKIP_MS),
      skipForward: () => this.seekBy(SKIP_MS),
      stepSpeed: (direction) => this.stepSpeed(direction),
      toggleFullscreen: () => this.toggleFullscreen(),
      toggleSkipInactive: () => this.setSkip(!this.skipInactive),
      toggleHelp: () => this.controls.toggleHelp(),
    });
    document.addEventListener('fullscreenchange', this.onFullscreenChange);

    this.controls.showTotal(this.plan.endMs - this.plan.startMs);
    this.renderState();
    this.renderBands();
    this.frame = requestAnimationFrame(this.tick);
    // The first window.
    this.seekTo(this.position, this.wantPlaying);
  }

  // ---- the handle ------------------------------------------------------------------------

  seek(offset: number, play?: boolean): void {
    this.seekTo(this.plan.startMs + offset, play ?? this.wantPlaying);
  }

  jumpTo(time: number): void {
    this.seekTo(time - JUMP_LEAD_MS, true);
  }

  currentTime(): number {
    return this.clock() - this.plan.startMs;
  }

  currentMoment(): number {
    return this.clock();
  }

  setMarkers(markers: Marker[]): void {
    this.markers = markers;
    this.renderMarkers();
  }

  setInactive(stretches: Stretch[]): void {
    this.inactive = mergeStretches(stretches);
    this.skipStretches = mergeStretches(this.inactive, this.gaps);
    this.renderBands();
  }

  updatePlan(plan: Plan, gaps: Stretch[]): void {
    const grew = plan.endMs > this.plan.endMs;
    this.plan = { ...plan, startMs: this.plan.startMs };
    this.gaps = mergeStretches(gaps);
    this.skipStretches = mergeStretches(this.inactive, this.gaps);
    this.controls.showTotal(this.plan.endMs - this.plan.startMs);
    this.renderBands();
    this.renderMarkers();
    if (grew && this.finished && !this.wantPlaying) this.finished = false;
  }

  setLive(live: boolean): void {
    this.live = live;
    this.controls.showLive(live);
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.loader.cancelAll();
    this.stopShortcuts();
    document.removeEventListener('fullscreenchange', this.onFullscreenChange);
    this.resizeObserver.disconnect();
    this.closeSession();
    this.shell.remove();
  }

  // ---- seeking and loading ---------------------------------------------------------------

  /** Moves to `target` (epoch ms) and plays or pauses there, fetching what it needs. */
  private seekTo(target: number, play: boolean): void {
    const at = this.clampTime(target);
    this.wantPlaying = play;
    this.finished = false;
    const decision = planSeek(this.plan, this.session?.held ?? null, at, this.settings);
    if (decision.kind === 'near' && this.session) {
      this.loader.cancelSeek();
      this.position = at;
      this.showAt(this.session, at, play);
      this.renderState();
      return;
    }
    this.position = at;
    const shown = this.session;
    if (shown) this.safely(() => shown.replayer.pause());
    this.renderState();
    const read = decision.kind === 'near' ? openingRead(this.plan, at, this.settings) : decision.read;
    // Continuing the held data up to the moment replaces a continuation in flight.
    const extending = decision.kind === 'extend';
    if (extending) this.loader.cancelContinuation();
    const opening = this.withFirstKeyframe(read);
    this.loader.loadForSeek(
      at,
      extending ? read : opening,
      (win) => this.showLoadedWindow(win, at, extending ? read : null, opening),
      (error) => this.reportLoadFailure(error),
    );
  }

  /**
   * A seek's window arrived: it continues the held data (`continued`, when that still ends
   * where the read starts) or opens a new Replayer on it; then the moment is shown.
   */
  private showLoadedWindow(win: EventWindow, at: number, continued: WindowRead | null, opening: WindowRead): void {
    mark('reel:window');
    if (continued && this.session && this.session.held.end === continued.from - 1) {
      this.session.append(win, continued, true);
    } else {
      this.openSession(win, continued ? openingRead(this.plan, at, this.settings) : opening);
    }
    if (this.session) this.showAt(this.session, this.clampTime(at), this.wantPlaying);
    mark('reel:shown');
    this.renderState();
    if (!this.firstFrameShown) {
      this.firstFrameShown = true;
      this.options.onFirstFrame?.();
    }
  }

  private reportLoadFailure(error: unknown): void {
    this.wantPlaying = false;
    this.stage.showProblem(`Loading this part of the recording failed (${messageOf(error)}). Press play to try again.`, !this.session);
    this.renderState();
  }

  /** An opening read reaches at least the recording's first keyframe, so it has a page to show. */
  private withFirstKeyframe(read: WindowRead): WindowRead {
    const first = this.plan.keyframes?.[0];
    if (first === undefined || read.exact || read.to >= first) return read;
    return { ...read, to: Math.min(this.plan.endMs, first + 1_000) };
  }

  /** Replaces the current replayer with one holding `win`. */
  private openSession(win: EventWindow, read: WindowRead): void {
    this.closeSession();
    this.loader.cancelContinuation();
    this.session = ReplayerWindow.open(win, read, {
      stage: this.stage.element,
      speed: this.speed,
      reelLocation: this.reelLocation,
      hooks: this.replayerHooks,
    });
    this.fit();
  }

  private closeSession(): void {
    const old = this.session;
    this.session = null;
    old?.close();
  }

  private readonly replayerHooks: ReplayerHooks = {
    warned: (args) => {
      const message = args.find((arg): arg is string => typeof arg === 'string' && arg.startsWith(MUTATION_FAILED));
      if (message) this.stage.showProblem(describeFailure(new Error(message.slice(MUTATION_FAILED.length).trim()), 'update'), false);
    },
    snapshotFailed: (error) => this.stage.showProblem(describeFailure(error, 'snapshot'), true),
    updateFailed: (error) => this.stage.showProblem(describeFailure(error, 'update'), false),
    rebuilt: (window) => {
      this.stage.hideProblem();
      if (!this.stage.recordedViewport()) {
        window.assumeViewport(FALLBACK_VIEWPORT);
        this.stage.setRecordedViewport(FALLBACK_VIEWPORT);
        this.fit();
      }
    },
    resized: (size) => {
      this.stage.setRecordedViewport(size);
      this.fit();
    },
  };

  /** Starts fetching the next window when the playhead gets close to the end of held data. */
  private prefetch(now: number): void {
    const owner = this.session;
    if (!owner || !this.loader.canContinue()) return;
    if (!wantsMore(this.plan, owner.held, now, this.speed, this.settings)) return;
    const read = nextRead(this.plan, owner.held, this.settings);
    if (!read) return;
    this.loader.loadContinuation(read, (win) => {
      if (this.session !== owner || owner.held.end !== read.from - 1) return;
      owner.append(win, read, !this.loader.pendingSeek);
    });
  }

  /** Drops held events far behind the playhead, every `EVICT_EVERY_MS`. */
  private evict(now: number): void {
    const t = performance.now();
    if (t - this.lastEvict <= EVICT_EVERY_MS) return;
    this.lastEvict = t;
    this.session?.dropBehind(now, this.settings);
  }

  // ---- playback --------------------------------------------------------------------------

  /** Shows `at` in `target`'s replayer, playing or paused. */
  private showAt(target: ReplayerWindow, at: number, play: boolean): void {
    this.safely(() => target.showAt(at, play));
    // Where the last seek landed, in ms from the start (tests and the benchmark read it).
    this.shell.dataset.shown = String(Math.round(at - this.plan.startMs));
  }

  /** The playhead, epoch ms: where a seek goes while it loads, else where rrweb is. */
  private clock(): number {
    const pending = this.loader.pendingSeek;
    if (pending) return pending.target;
    const t = this.session?.currentTime();
    if (t === undefined) return this.position;
    return Number.isFinite(t) ? this.clampTime(t) : this.position;
  }

  private play(): void {
    if (this.finished || this.clock() >= this.plan.endMs) {
      this.finished = false;
      this.seekTo(this.plan.startMs, true);
      return;
    }
    this.loader.forgetFailures();
    this.seekTo(this.clock(), true);
  }

  private pausePlayback(): void {
    this.position = this.clock();
    this.wantPlaying = false;
    const shown = this.session;
    if (shown && !this.loader.pendingSeek) this.safely(() => shown.replayer.pause());
    this.renderState();
  }

  private togglePlay(): void {
    if (this.wantPlaying) this.pausePlayback();
    else this.play();
  }

  private seekBy(delta: number): void {
    this.seekTo(this.clock() + delta, this.wantPlaying);
  }

  private setSpeed(value: Speed): void {
    this.speed = value;
    this.session?.replayer.setConfig({ speed: value });
    this.options.onSettingsChange?.({ speed: value, skipInactive: this.skipInactive });
    this.renderState();
  }

  private stepSpeed(direction: 1 | -1): void {
    const index = SPEEDS.indexOf(this.speed);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, index + direction))];
    if (next !== undefined) this.setSpeed(next);
  }

  private setSkip(value: boolean): void {
    this.skipInactive = value;
    this.controls.showSkipInactive(value);
    this.options.onSettingsChange?.({ speed: this.speed, skipInactive: value });
  }

  /** The viewer drags the timeline: playing pauses until they let go; the next frame shows the spot. */
  private scrub(offset: number): void {
    this.scrubbing ??= { resume: this.wantPlaying };
    if (this.wantPlaying) this.pausePlayback();
    this.pendingScrub = offset;
  }

  private scrubEnd(offset: number): void {
    const resume = this.scrubbing?.resume ?? this.wantPlaying;
    this.scrubbing = null;
    this.pendingScrub = null;
    this.seekTo(this.plan.startMs + offset, resume);
  }

  /** One frame: scrubbing, end and stall handling, skipping, prefetch, eviction, the clock. */
  private readonly tick = (): void => {
    this.frame = requestAnimationFrame(this.tick);
    this.showScrubbedSpot();
    const now = this.scrubbing ? this.clampTime(this.plan.startMs + this.controls.timelineOffset()) : this.clock();
    if (this.wantPlaying && this.session && !this.loader.pendingSeek && !this.scrubbing) this.keepPlaying(this.session, now);
    if (this.session && !this.loader.pendingSeek) {
      this.prefetch(now);
      this.evict(now);
    }
    this.renderClock(now);
  };

  /** While the timeline is dragged, what is held is shown paused at the spot. */
  private showScrubbedSpot(): void {
    if (this.pendingScrub === null) return;
    const target = this.clampTime(this.plan.startMs + this.pendingScrub);
    this.pendingScrub = null;
    const shown = this.session;
    if (shown && !this.loader.pendingSeek && planSeek(this.plan, shown.held, target, this.settings).kind === 'near') this.showAt(shown, target, false);
    this.position = target;
  }

  /** Playing: stops at the end (not of a live session), restarts a stalled replayer, skips idle stretches. */
  private keepPlaying(shown: ReplayerWindow, now: number): void {
    if (now >= this.plan.endMs - 1 && !this.live) {
      this.finish();
    } else if (shown.isStalled()) {
      if (shown.held.end > now + 1) this.showAt(shown, now, true);
      else if (shown.held.end >= this.plan.endMs && !this.live) this.finish();
      // Otherwise waiting for data (prefetch); `renderClock` shows it after a moment.
    } else if (this.skipInactive) {
      const target = skipTarget(this.skipStretches, now);
      if (target !== null) {
        this.stage.flashSkipBadge();
        this.seekTo(target, true);
      }
    }
  }

  private finish(): void {
    this.wantPlaying = false;
    this.finished = true;
    this.position = this.plan.endMs;
    const shown = this.session;
    if (shown) this.safely(() => shown.replayer.pause());
    this.renderState();
  }

  /**
   * Seeking or starting applies everything up to that point synchronously; what throws there
   * (beyond the guarded snapshot and event paths) is reported the same way.
   */
  private safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.stage.showProblem(describeFailure(error, 'update'), false);
    }
  }

  private clampTime(t: number): number {
    const { startMs, endMs } = this.plan;
    return Math.min(Math.max(startMs, Number.isFinite(t) ? t : startMs), Math.max(startMs, endMs));
  }

  // ---- showing ---------------------------------------------------------------------------

  /** The playhead and everything that follows it: time, page URL, gap, loading state, what is held. */
  private renderClock(now: number): void {
    const { plan, session } = this;
    const pending = this.loader.pendingSeek;
    this.controls.showPosition(now - plan.startMs, plan.endMs - plan.startMs, this.scrubbing !== null);
    this.controls.showWallClock(now);
    this.controls.showUrl(session?.hrefAt(now) ?? '');
    this.stage.showGap(stretchAt(this.gaps, now) !== undefined);
    const buffering = !!pending || (this.wantPlaying && !!session && session.held.end < plan.endMs && now >= session.held.end - 1);
    const waitedFor = pending ? performance.now() - pending.since : buffering ? 300 : 0;
    this.stage.showLoading(buffering && (waitedFor >= 200 || !session));
    const state = pending ? 'loading' : buffering ? 'buffering' : session ? 'ready' : 'loading';
    const { dataset } = this.shell;
    if (dataset.state !== state) dataset.state = state;
    // What the player holds, in ms from the start: what windowed loading keeps in memory.
    const heldStart = session ? String(Math.round(session.held.start - plan.startMs)) : '';
    const heldEnd = session ? String(Math.round(session.held.end - plan.startMs)) : '';
    if (dataset.heldStart !== heldStart) dataset.heldStart = heldStart;
    if (dataset.heldEnd !== heldEnd) dataset.heldEnd = heldEnd;
    this.notifyTime(now);
  }

  /** `onTime`, at most every 200 ms and only when the moment changed. */
  private notifyTime(now: number): void {
    const t = performance.now();
    if (this.options.onTime && now !== this.lastNotified.time && t - this.lastNotified.at > 200) {
      this.lastNotified = { time: now, at: t };
      this.options.onTime(now);
    }
  }

  private renderState(): void {
    this.controls.showPlayState(this.wantPlaying, this.speed);
    this.shell.dataset.speed = String(this.speed);
  }

  private renderBands(): void {
    renderBands(this.controls.timeline.bands, this.plan, this.inactive, this.gaps);
  }

  private renderMarkers(): void {
    renderMarkers(this.controls.timeline, this.plan, this.markers, (time) => this.jumpTo(time));
  }

  private toggleFullscreen(): void {
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => {});
    } else {
      void this.shell.requestFullscreen?.().catch(() => {});
    }
  }

  private readonly onFullscreenChange = (): void => {
    const on = document.fullscreenElement === this.shell;
    this.shell.classList.toggle('is-fullscreen', on);
    this.controls.showFullscreen(on);
    this.fit();
  };

  /** Scales the recorded viewport to fit the stage, centred, keeping its aspect ratio. */
  private fit(): void {
    this.stage.fit(this.session?.replayer.wrapper);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
