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
// Security invariant: recordings are untrusted HTML. Every Replayer's iframe stays sandboxed
// WITHOUT allow-scripts (`enforceSandbox`), UNSAFE_replayCanvas is never enabled, and every
// event's URLs are confined (recorded-urls.ts) before rrweb sees it. A snapshot rrweb cannot
// rebuild or an event that throws shows a message in the stage (`guardReplayer`); the controls
// keep working and the next full snapshot that rebuilds clears it.

import { Replayer } from '@rrweb/replay';
import type { RecordedEvent } from '../api';
import { h } from '../dom';
import { formatClock } from '../format';
import { getEventWindow, type EventWindow } from './api';
import { mark } from './marks';
import { icon } from './icons';
import { describeGroup, layoutMarkers, MARKER_KINDS, type Marker, type MarkerGroup } from './markers';
import { playableEvents } from './playable';
import { recordedUrlConfiner } from './recorded-urls';
import {
  describeFailure,
  enforceSandbox,
  guardReplayer,
  isPlayerShortcut,
  MUTATION_FAILED,
  quietMediaPlayback,
  type ReplayerInternals,
} from './replayer-safety';
import { mergeStretches, skipTarget, stretchAt, type Stretch } from './skip';
import { formatWallClock } from './time';
import { DEFAULT_WINDOWS, evictBefore, openingRead, planSeek, wantsMore, nextRead, type Held, type Plan, type WindowRead, type WindowSettings } from './windows';

export { describeFailure, quietMediaPlayback } from './replayer-safety';

export const SPEEDS = [0.5, 1, 2, 4, 8, 16] as const;
export type Speed = (typeof SPEEDS)[number];
const SKIP_MS = 10_000;
/** Seeks from panels and markers land this long before the moment, so it is seen to happen. */
export const JUMP_LEAD_MS = 2_000;

export const SHORTCUTS: ReadonlyArray<[keys: string, what: string]> = [
  ['Space', 'Play or pause'],
  ['← / →', 'Back or forward 10 seconds'],
  ['< / >', 'Slower or faster'],
  ['S', 'Skip inactivity on or off'],
  ['F', 'Fullscreen'],
  ['?', 'This list'],
];

export interface PlayerOptions {
  replayId: string;
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

/** The viewport assumed for a recording without a Meta event (rrweb would keep the frame hidden). */
const FALLBACK_VIEWPORT = { width: 1280, height: 800 };
/** Marks the end of held data, so rrweb's clock runs through a quiet end of a window. */
const HELD_END_TAG = 'reel:held-end';
/** How often held data is checked for what can be dropped. */
const EVICT_EVERY_MS = 2_000;

interface Session {
  replayer: Replayer;
  held: Held;
  /** Held keyframes (a Meta directly followed by a FullSnapshot), ascending. */
  keyframes: number[];
  /** Held page loads (Meta events), ascending; the one before `held.start` is kept. */
  pages: Array<{ time: number; href: string }>;
  confine(events: readonly RecordedEvent[]): void;
  guard: MutationObserver;
}

interface ReplayerWithState {
  service: { state: { context: { events: RecordedEvent[]; baselineTime: number }; matches(state: string): boolean } };
  timer: { actions: unknown[]; addAction(action: { delay: number; doAction(): void }): void };
  getCastFn(event: RecordedEvent, isSync: boolean): () => void;
}

export function mountPlayer(host: HTMLElement, options: PlayerOptions): PlayerHandle {
  const settings = options.windows ?? DEFAULT_WINDOWS;
  const reelLocation = { origin: location.origin, hostname: location.hostname };
  let plan: Plan = options.plan;
  let gaps = mergeStretches(options.gaps);
  let inactive: Stretch[] = [];
  let skipStretches = gaps;
  let markers: Marker[] = [];
  let speed: Speed = options.speed;
  let skipInactive = options.skipInactive;
  let live = options.live;
  /** What the viewer asked for; the replayer follows when it can. */
  let wantPlaying = options.autoplay;
  let finished = false;
  let session: Session | null = null;
  /** The position while no replayer shows it (loading, or none yet). */
  let position = plan.startMs + options.startAt;
  /** A seek waiting for data: what it shows and how to cancel it. */
  let loading: { target: number; controller: AbortController; since: number } | null = null;
  let continuing: { controller: AbortController; read: WindowRead } | null = null;
  let failures = 0;
  let lastEvict = 0;
  let lastNotified = { time: NaN, at: 0 };
  let scrubbing: { resume: boolean } | null = null;
  let pendingScrub: number | null = null;
  let recorded: { width: number; height: number } | null = null;
  let destroyed = false;
  let firstFrameShown = false;

  // ---- DOM -------------------------------------------------------------------------------
  const urlText = h('span', { class: 'player-url-text', 'data-testid': 'current-url' }, '—');
  const liveBadge = h('span', { class: 'live-badge', 'data-testid': 'live-badge', hidden: !live }, 'Live');
  const urlBar = h('div', { class: 'player-urlbar' }, h('span', { class: 'player-url-lock', 'aria-hidden': 'true' }), urlText, liveBadge);
  const stage = h('div', { class: 'player-stage', 'data-testid': 'player' });
  const skipBadge = h('div', { class: 'skip-badge', hidden: true, 'data-testid': 'skip-badge' }, 'Skipping inactivity…');
  const loadingOverlay = h(
    'div',
    { class: 'player-loading', hidden: true, role: 'status', 'data-testid': 'player-loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', {}, 'Loading this part of the recording…'),
  );
  const gapOverlay = h('div', { class: 'gap-overlay', hidden: true, 'data-testid': 'gap-overlay' }, "This part of the session wasn't captured");
  const problemTitle = h('p', { class: 'player-problem-title' }, "This part of the recording can't be shown");
  const problemReason = h('p', { class: 'player-problem-reason' });
  const problem = h('div', { class: 'player-problem', role: 'alert', hidden: true, 'data-testid': 'player-problem' }, problemTitle, problemReason);
  const playButton = h('button', { type: 'button', class: 'icon-button play-toggle', 'data-testid': 'play-toggle' });
  const backButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Back 10 seconds (←)', 'aria-label': 'Back 10 seconds', 'data-testid': 'skip-back' },
    '↺ 10',
  );
  const forwardButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Forward 10 seconds (→)', 'aria-label': 'Forward 10 seconds', 'data-testid': 'skip-forward' },
    '10 ↻',
  );
  const timeDisplay = h('span', { class: 'time-display tabular', 'data-testid': 'time-display' });
  const wallClock = h('span', { class: 'wall-clock tabular', 'data-testid': 'wall-clock', title: `Time of day in ${options.timeZone}` });
  const timeline = h('input', {
    type: 'range', class: 'timeline', min: 0, step: 1, value: 0, 'aria-label': 'Seek', 'data-testid': 'timeline',
  });
  const bandLayer = h('div', { class: 'timeline-bands', 'aria-hidden': 'true' });
  const markerLayer = h('div', { class: 'timeline-markers', 'data-testid': 'timeline-markers' });
  const tooltip = h('div', { class: 'marker-tooltip', role: 'tooltip', hidden: true, 'data-testid': 'marker-tooltip' });
  const speedButtons = SPEEDS.map((value) =>
    h('button', { type: 'button', class: 'segment', 'data-speed': value, 'data-testid': `speed-${value}x` }, `${value}×`),
  );
  const skipToggle = h('input', { type: 'checkbox', 'data-testid': 'skip-inactive' });
  skipToggle.checked = skipInactive;
  const fullscreenButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Fullscreen (F)', 'aria-label': 'Fullscreen', 'data-testid': 'fullscreen' },
    icon('fullscreen'),
  );
  const helpButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts', 'aria-expanded': 'false', 'data-testid': 'shortcuts-button' },
    '?',
  );
  const helpPopover = h(
    'div',
    { class: 'shortcuts-popover', role: 'dialog', 'aria-label': 'Keyboard shortcuts', hidden: true, 'data-testid': 'shortcuts-help' },
    h('h3', {}, 'Keyboard shortcuts'),
    h('dl', {}, ...SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
  );
  const timelineWrap = h('div', { class: 'timeline-wrap' }, bandLayer, markerLayer, timeline, tooltip);
  const controls = h(
    'div',
    { class: 'controls' },
    timelineWrap,
    h(
      'div',
      { class: 'controls-row' },
      backButton,
      playButton,
      forwardButton,
      timeDisplay,
      wallClock,
      h('div', { class: 'controls-spacer' }),
      h('label', { class: 'toggle', title: 'Pass stretches without activity quickly (S)' }, skipToggle, h('span', {}, 'Skip inactivity')),
      h('div', { class: 'segmented speed-group', role: 'group', 'aria-label': 'Playback speed' }, ...speedButtons),
      h('div', { class: 'help-wrap' }, helpButton, helpPopover),
      fullscreenButton,
    ),
  );
  const shell = h('div', { class: 'player-shell', 'data-testid': 'player-shell', 'data-state': 'loading' }, urlBar, stage, controls);
  stage.append(skipBadge, loadingOverlay, gapOverlay, problem);
  host.append(shell);

  const resizeObserver = new ResizeObserver(() => {
    fit();
    renderMarkers();
  });
  resizeObserver.observe(stage);
  resizeObserver.observe(timelineWrap);

  playButton.addEventListener('click', togglePlay);
  backButton.addEventListener('click', () => seekBy(-SKIP_MS));
  forwardButton.addEventListener('click', () => seekBy(SKIP_MS));
  for (const button of speedButtons) button.addEventListener('click', () => setSpeed(Number(button.dataset.speed) as Speed));
  skipToggle.addEventListener('change', () => setSkip(skipToggle.checked));
  fullscreenButton.addEventListener('click', toggleFullscreen);
  helpButton.addEventListener('click', () => toggleHelp());
  timeline.addEventListener('input', () => {
    scrubbing ??= { resume: wantPlaying };
    if (wantPlaying) pausePlayback();
    pendingScrub = Number(timeline.value);
  });
  timeline.addEventListener('change', () => {
    const resume = scrubbing?.resume ?? wantPlaying;
    scrubbing = null;
    pendingScrub = null;
    seekTo(plan.startMs + Number(timeline.value), resume);
  });
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);
  document.addEventListener('fullscreenchange', onFullscreenChange);

  setTotal();
  renderState();
  renderBands();
  let frame = requestAnimationFrame(tick);
  // The first window.
  seekTo(position, wantPlaying);

  // ---- loading ---------------------------------------------------------------------------

  /** Moves to `target` (epoch ms) and plays or pauses there, fetching what it needs. */
  function seekTo(target: number, play: boolean): void {
    const at = clampTime(target);
    wantPlaying = play;
    finished = false;
    const held = session?.held ?? null;
    const decision = planSeek(plan, held, at, settings);
    if (decision.kind === 'near' && session) {
      loading?.controller.abort();
      loading = null;
      position = at;
      applyAt(session, at, play);
      renderState();
      return;
    }
    // Cancel a load in flight: this seek replaces it.
    loading?.controller.abort();
    const controller = new AbortController();
    loading = { target: at, controller, since: performance.now() };
    position = at;
    if (session) safely(() => session!.replayer.pause());
    renderState();
    const read = decision.kind === 'near' ? openingRead(plan, at, settings) : decision.read;
    const extending = decision.kind === 'extend';
    if (extending) {
      // Continue the held data up to the moment; a continuation in flight is replaced.
      continuing?.controller.abort();
      continuing = null;
    }
    const opening = withFirstKeyframe(read);
    getEventWindow(options.replayId, extending ? read : opening, controller.signal).then(
      (win) => {
        if (destroyed || loading?.controller !== controller) return;
        mark('reel:window');
        loading = null;
        failures = 0;
        if (extending && session && session.held.end === read.from - 1) {
          append(session, win, read);
        } else {
          openSession(win, extending ? openingRead(plan, at, settings) : opening);
        }
        if (session) applyAt(session, clampTime(at), wantPlaying);
        mark('reel:shown');
        renderState();
        if (!firstFrameShown) {
          firstFrameShown = true;
          options.onFirstFrame?.();
        }
      },
      (error: unknown) => {
        if (destroyed || loading?.controller !== controller) return;
        loading = null;
        if (isAbort(error)) return;
        failures += 1;
        wantPlaying = false;
        showProblem(`Loading this part of the recording failed (${messageOf(error)}). Press play to try again.`, !session);
        renderState();
      },
    );
  }

  /** An opening read reaches at least the recording's first keyframe, so it has a page to show. */
  function withFirstKeyframe(read: WindowRead): WindowRead {
    const first = plan.keyframes?.[0];
    if (first === undefined || read.exact || read.to >= first) return read;
    return { ...read, to: Math.min(plan.endMs, first + 1_000) };
  }

  /** Replaces the current replayer with one holding `win`. */
  function openSession(win: EventWindow, read: WindowRead): void {
    closeSession();
    continuing?.controller.abort();
    continuing = null;
    const events = playableEvents(win.events);
    const confiner = recordedUrlConfiner(reelLocation);
    confiner.confine(events);
    mark('reel:confined');
    const held: Held = { start: Math.min(win.start, events[0]?.timestamp ?? win.start), end: Math.max(read.to, lastTime(events)) };
    const all = [...events, heldEndMarker(held.end)];
    if (all.length < 2) all.unshift(heldEndMarker(held.start));
    const replayer = new Replayer(all as unknown as ConstructorParameters<typeof Replayer>[0], {
      root: stage,
      speed,
      skipInactive: false,
      mouseTail: { strokeStyle: 'red', lineWidth: 2, duration: 700 },
      UNSAFE_replayCanvas: false,
      // rrweb reports a mutation it could not apply only as a warning; the logger turns that one
      // into a message on the stage and drops the rest (rrweb's usual noise).
      showWarning: true,
      logger: { log: () => {}, warn: (...args: unknown[]) => onReplayerWarning(args) },
      triggerFocus: false,
    });
    let guard: MutationObserver;
    try {
      guard = enforceSandbox(replayer.iframe);
      guardReplayer(replayer, {
        snapshotFailed: (error) => showProblem(describeFailure(error, 'snapshot'), true),
        updateFailed: (error) => showProblem(describeFailure(error, 'update'), false),
      });
    } catch (err) {
      replayer.destroy();
      throw err;
    }
    // The iframe's window may not exist yet (or be replaced) before a snapshot is rebuilt.
    quietMediaPlayback(replayer.iframe);
    replayer.on('fullsnapshot-rebuilded', () => {
      quietMediaPlayback(replayer.iframe);
      hideProblem();
      if (!recorded) showAtSize(replayer, FALLBACK_VIEWPORT);
    });
    replayer.on('resize', (dimension) => {
      const { width, height } = dimension as { width: number; height: number };
      if (width > 0 && height > 0) {
        recorded = { width, height };
        fit();
      }
    });
    const next: Session = { replayer, held, keyframes: [], pages: [], confine: (e) => confiner.confine(e), guard };
    index(next, events);
    session = next;
    fit();
  }

  function closeSession(): void {
    if (!session) return;
    const old = session;
    session = null;
    old.guard.disconnect();
    try {
      old.replayer.destroy();
    } catch {
      // A replayer whose page failed to build may not tear down cleanly; it is dropped anyway.
    }
  }

  /**
   * Adds a continuation window to the held data (it must follow it exactly). While rrweb's
   * timer runs, the new events are scheduled on it as rrweb's own `addEvent` does, without a
   * state-machine step per event; otherwise the next play schedules them.
   */
  function append(target: Session, win: EventWindow, read: WindowRead): void {
    const events = playableEvents(win.events);
    target.confine(events);
    const held = contextEvents(target.replayer);
    target.held.end = Math.max(read.to, lastTime(events));
    const added = [...events, heldEndMarker(target.held.end)];
    for (const event of added) held.push(event);
    index(target, events);
    const internals = target.replayer as unknown as ReplayerWithState;
    const running = internals.service.state.matches('playing') && internals.timer.actions.length > 0;
    if (running && target === session && !loading) schedule(target.replayer, added);
  }

  /** Records the keyframes and page loads among new held events. */
  function index(target: Session, events: readonly RecordedEvent[]): void {
    events.forEach((event, i) => {
      if (event.type !== 4) return;
      const href = (event.data as { href?: unknown }).href;
      target.pages.push({ time: event.timestamp, href: typeof href === 'string' ? href : '' });
      if (events[i + 1]?.type === 2) target.keyframes.push(event.timestamp);
    });
  }

  /** Starts fetching the next window when the playhead gets close to the end of held data. */
  function prefetch(now: number): void {
    if (!session || loading || continuing || failures > 2) return;
    if (!wantsMore(plan, session.held, now, speed, settings)) return;
    const read = nextRead(plan, session.held, settings);
    if (!read) return;
    const controller = new AbortController();
    const owner = session;
    continuing = { controller, read };
    getEventWindow(options.replayId, read, controller.signal).then(
      (win) => {
        if (continuing?.controller !== controller) return;
        continuing = null;
        failures = 0;
        if (destroyed || session !== owner || owner.held.end !== read.from - 1) return;
        append(owner, win, read);
      },
      (error: unknown) => {
        if (continuing?.controller !== controller) return;
        continuing = null;
        if (!isAbort(error)) failures += 1;
      },
    );
  }

  /** Drops held events far behind the playhead (up to a keyframe that stays). */
  function evict(now: number): void {
    if (!session) return;
    const cut = evictBefore(session.held, session.keyframes, now, settings);
    if (cut === null) return;
    const events = contextEvents(session.replayer);
    let drop = 0;
    while (drop < events.length && (events[drop]?.timestamp ?? Infinity) < cut) drop++;
    if (drop === 0 || drop >= events.length - 1) return;
    events.splice(0, drop);
    session.held.start = cut;
    session.keyframes = session.keyframes.filter((k) => k >= cut);
    const before = session.pages.filter((p) => p.time <= cut);
    session.pages = [...before.slice(-1), ...session.pages.filter((p) => p.time > cut)];
  }

  // ---- playback --------------------------------------------------------------------------

  /** Shows `at` in `target`'s replayer, playing or paused. */
  function applyAt(target: Session, at: number, play: boolean): void {
    const base = contextEvents(target.replayer)[0]?.timestamp ?? at;
    const offset = Math.max(0, at - base);
    safely(() => (play ? target.replayer.play(offset) : target.replayer.pause(offset)));
    // Where the last seek landed, in ms from the start (tests and the benchmark read it).
    shell.dataset.shown = String(Math.round(at - plan.startMs));
  }

  function clock(): number {
    if (loading) return loading.target;
    if (!session) return position;
    const events = contextEvents(session.replayer);
    const base = events[0]?.timestamp;
    if (base === undefined) return position;
    const t = base + session.replayer.getCurrentTime();
    return Number.isFinite(t) ? clampTime(t) : position;
  }

  function play(): void {
    if (finished || clock() >= plan.endMs) {
      finished = false;
      seekTo(plan.startMs, true);
      return;
    }
    failures = 0;
    seekTo(clock(), true);
  }

  function pausePlayback(): void {
    position = clock();
    wantPlaying = false;
    if (session && !loading) safely(() => session!.replayer.pause());
    renderState();
  }

  function togglePlay(): void {
    if (wantPlaying) pausePlayback();
    else play();
  }

  function seekBy(delta: number): void {
    seekTo(clock() + delta, wantPlaying);
  }

  function setSpeed(value: Speed): void {
    speed = value;
    session?.replayer.setConfig({ speed });
    options.onSettingsChange?.({ speed, skipInactive });
    renderState();
  }

  function stepSpeed(direction: 1 | -1): void {
    const index = SPEEDS.indexOf(speed);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, index + direction))];
    if (next !== undefined) setSpeed(next);
  }

  function setSkip(value: boolean): void {
    skipInactive = value;
    skipToggle.checked = value;
    options.onSettingsChange?.({ speed, skipInactive });
  }

  /** One frame: scrubbing, end and stall handling, skipping, prefetch, eviction, the clock. */
  function tick(): void {
    frame = requestAnimationFrame(tick);
    if (pendingScrub !== null) {
      const target = clampTime(plan.startMs + pendingScrub);
      pendingScrub = null;
      if (session && !loading && planSeek(plan, session.held, target, settings).kind === 'near') applyAt(session, target, false);
      position = target;
    }
    const now = scrubbing ? clampTime(plan.startMs + Number(timeline.value)) : clock();
    if (wantPlaying && session && !loading && !scrubbing) {
      const state = session.replayer as unknown as ReplayerWithState;
      const stalled = !state.service.state.matches('playing') || state.timer.actions.length === 0;
      if (now >= plan.endMs - 1 && !live) {
        finish();
      } else if (stalled) {
        if (session.held.end > now + 1) applyAt(session, now, true);
        else if (session.held.end >= plan.endMs && !live) finish();
        // Otherwise waiting for data (prefetch below); `renderState` shows it after a moment.
      } else if (skipInactive) {
        const target = skipTarget(skipStretches, now);
        if (target !== null) {
          flashSkipBadge();
          seekTo(target, true);
        }
      }
    }
    if (session && !loading) {
      prefetch(now);
      const t = performance.now();
      if (t - lastEvict > EVICT_EVERY_MS) {
        lastEvict = t;
        evict(now);
      }
    }
    renderClock(now);
  }

  function finish(): void {
    wantPlaying = false;
    finished = true;
    position = plan.endMs;
    if (session) safely(() => session!.replayer.pause());
    renderState();
  }

  // ---- rendering -------------------------------------------------------------------------

  function renderClock(now: number): void {
    const offset = now - plan.startMs;
    const total = plan.endMs - plan.startMs;
    if (!scrubbing) timeline.value = String(Math.round(offset));
    timeline.style.setProperty('--progress', total > 0 ? `${(offset / total) * 100}%` : '0%');
    const text = `${formatClock(offset)} / ${formatClock(total)}`;
    if (timeDisplay.textContent !== text) timeDisplay.textContent = text;
    const wall = formatWallClock(now, options.timeZone);
    if (wallClock.textContent !== wall) wallClock.textContent = wall;
    const href = currentHref(now);
    if (urlText.textContent !== href) {
      urlText.textContent = href || '—';
      urlText.title = href;
    }
    const inGap = stretchAt(gaps, now) !== undefined;
    if (gapOverlay.hidden === inGap) gapOverlay.hidden = !inGap;
    const buffering = !!loading || (wantPlaying && !!session && session.held.end < plan.endMs && now >= session.held.end - 1);
    const waitedFor = loading ? performance.now() - loading.since : buffering ? 300 : 0;
    const showLoading = buffering && (waitedFor >= 200 || !session);
    if (loadingOverlay.hidden === showLoading) loadingOverlay.hidden = !showLoading;
    const state = loading ? 'loading' : buffering ? 'buffering' : session ? 'ready' : 'loading';
    if (shell.dataset.state !== state) shell.dataset.state = state;
    // What the player holds, in ms from the start: what windowed loading keeps in memory.
    const heldStart = session ? String(Math.round(session.held.start - plan.startMs)) : '';
    const heldEnd = session ? String(Math.round(session.held.end - plan.startMs)) : '';
    if (shell.dataset.heldStart !== heldStart) shell.dataset.heldStart = heldStart;
    if (shell.dataset.heldEnd !== heldEnd) shell.dataset.heldEnd = heldEnd;
    const t = performance.now();
    if (options.onTime && (now !== lastNotified.time) && t - lastNotified.at > 200) {
      lastNotified = { time: now, at: t };
      options.onTime(now);
    }
  }

  function currentHref(now: number): string {
    const pages = session?.pages ?? [];
    let href = '';
    for (const page of pages) {
      if (page.time > now) break;
      href = page.href;
    }
    return href || pages[0]?.href || '';
  }

  function renderState(): void {
    const playing = wantPlaying;
    playButton.textContent = playing ? '❚❚' : '▶';
    playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    playButton.title = playing ? 'Pause (space)' : 'Play (space)';
    playButton.dataset.state = playing ? 'playing' : 'paused';
    for (const button of speedButtons) {
      const active = Number(button.dataset.speed) === speed;
      button.classList.toggle('active', active);
      button.setAttribute('aria-pressed', String(active));
    }
    shell.dataset.speed = String(speed);
  }

  function setTotal(): void {
    timeline.max = String(Math.max(0, plan.endMs - plan.startMs));
  }

  function renderBands(): void {
    const total = plan.endMs - plan.startMs;
    bandLayer.replaceChildren();
    if (total <= 0) return;
    const band = (s: Stretch, kind: 'idle' | 'gap'): HTMLElement => {
      const el = h('div', {
        class: `timeline-band band-${kind}`,
        'data-testid': `band-${kind}`,
        'data-start': s.start_ms,
        'data-end': s.end_ms,
        title: kind === 'gap' ? "Not captured: no data arrived" : 'No activity',
      });
      el.style.left = `${((s.start_ms - plan.startMs) / total) * 100}%`;
      el.style.width = `${((s.end_ms - s.start_ms) / total) * 100}%`;
      return el;
    };
    for (const s of inactive) bandLayer.append(band(s, 'idle'));
    for (const s of gaps) bandLayer.append(band(s, 'gap'));
  }

  function renderMarkers(): void {
    const width = markerLayer.clientWidth;
    markerLayer.replaceChildren();
    if (width <= 0) return;
    for (const group of layoutMarkers(markers, plan.startMs, plan.endMs, width)) {
      const first = group.markers[0]!;
      const description = describeGroup(group);
      const label = group.markers.length === 1 ? first.label : `${description}: ${first.label}`;
      const button = h('button', {
        type: 'button',
        class: `timeline-marker marker-${group.kind} lane-${group.lane}`,
        'data-kind': group.kind,
        'data-time': first.time,
        'aria-label': `${label} at ${formatClock(first.time - plan.startMs)}`,
        onclick: () => jumpTo(first.time),
        onmouseenter: () => showTooltip(group, button),
        onfocus: () => showTooltip(group, button),
        onmouseleave: hideTooltip,
        onblur: hideTooltip,
      });
      button.style.left = `${group.position * 100}%`;
      markerLayer.append(button);
    }
  }

  function showTooltip(group: MarkerGroup, anchor: HTMLElement): void {
    const lines = group.markers.slice(0, 6).map((m) =>
      h('li', {}, h('span', { class: `tooltip-kind marker-${m.kind}` }), `${formatClock(m.time - plan.startMs)} · ${MARKER_KINDS[m.kind].name}: ${m.label}`),
    );
    const more = group.markers.length > 6 ? h('li', { class: 'muted' }, `and ${group.markers.length - 6} more`) : null;
    tooltip.replaceChildren(h('ul', {}, ...lines, more));
    tooltip.hidden = false;
    const wrap = timelineWrap.getBoundingClientRect();
    const at = anchor.getBoundingClientRect();
    const left = Math.min(Math.max(0, at.left - wrap.left - 20), Math.max(0, wrap.width - 320));
    tooltip.style.left = `${left}px`;
  }

  function hideTooltip(): void {
    tooltip.hidden = true;
  }

  function flashSkipBadge(): void {
    skipBadge.hidden = false;
    window.setTimeout(() => (skipBadge.hidden = true), 1200);
  }

  function toggleHelp(show = helpPopover.hidden): void {
    helpPopover.hidden = !show;
    helpButton.setAttribute('aria-expanded', String(show));
  }

  function toggleFullscreen(): void {
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => {});
    } else {
      void shell.requestFullscreen?.().catch(() => {});
    }
  }

  function onFullscreenChange(): void {
    shell.classList.toggle('is-fullscreen', document.fullscreenElement === shell);
    fullscreenButton.setAttribute('aria-pressed', String(document.fullscreenElement === shell));
    fit();
  }

  /**
   * Seeking or starting applies everything up to that point synchronously; what throws there
   * (beyond the guarded snapshot and event paths) is reported the same way.
   */
  function safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      showProblem(describeFailure(error, 'update'), false);
    }
  }

  /**
   * A blocking problem (no page could be built) covers the stage; a partial one (an update
   * failed, the page may be incomplete) is a banner over it. A blocking one is not downgraded.
   */
  function showProblem(reason: string, blocking: boolean): void {
    if (!problem.hidden && problem.dataset.kind === 'blocking' && !blocking) return;
    if (problem.hidden || problemReason.textContent !== reason) console.warn(`reel: this part of the recording can't be shown: ${reason}`);
    problem.dataset.kind = blocking ? 'blocking' : 'partial';
    problem.classList.toggle('player-problem-partial', !blocking);
    problemReason.textContent = reason;
    problem.hidden = false;
  }

  function hideProblem(): void {
    problem.hidden = true;
  }

  function onReplayerWarning(args: unknown[]): void {
    const message = args.find((arg): arg is string => typeof arg === 'string' && arg.startsWith(MUTATION_FAILED));
    if (message) showProblem(describeFailure(new Error(message.slice(MUTATION_FAILED.length).trim()), 'update'), false);
  }

  /** Shows the frame of a recording that never told its viewport size. */
  function showAtSize(replayer: Replayer, viewport: { width: number; height: number }): void {
    (replayer as unknown as ReplayerInternals).handleResize(viewport);
    recorded = viewport;
    fit();
  }

  /** Scales the recorded viewport to fit the stage, centred, keeping its aspect ratio. */
  function fit(): void {
    if (!recorded || !session) return;
    const { clientWidth, clientHeight } = stage;
    if (clientWidth === 0 || clientHeight === 0) return;
    const scale = Math.min(clientWidth / recorded.width, clientHeight / recorded.height);
    const left = (clientWidth - recorded.width * scale) / 2;
    const top = (clientHeight - recorded.height * scale) / 2;
    session.replayer.wrapper.style.transform = `translate(${left}px, ${top}px) scale(${scale})`;
  }

  function jumpTo(time: number): void {
    seekTo(time - JUMP_LEAD_MS, true);
  }

  function clampTime(t: number): number {
    return Math.min(Math.max(plan.startMs, Number.isFinite(t) ? t : plan.startMs), Math.max(plan.startMs, plan.endMs));
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (!isPlayerShortcut(event) || !shell.isConnected) return;
    event.preventDefault();
    if (event.repeat && event.key === ' ') return;
    switch (event.key) {
      case ' ':
        togglePlay();
        break;
      case 'ArrowLeft':
        seekBy(-SKIP_MS);
        break;
      case 'ArrowRight':
        seekBy(SKIP_MS);
        break;
      case '<':
      case ',':
        stepSpeed(-1);
        break;
      case '>':
      case '.':
        stepSpeed(1);
        break;
      case 'f':
      case 'F':
        toggleFullscreen();
        break;
      case 's':
      case 'S':
        setSkip(!skipInactive);
        break;
      case '?':
        toggleHelp();
        break;
    }
  }

  /** A focused button or checkbox activates on space *up*; the shortcut already acted on down. */
  function onKeyUp(event: KeyboardEvent): void {
    if (isPlayerShortcut(event) && event.key === ' ') event.preventDefault();
  }

  return {
    seek: (offset, playNow) => seekTo(plan.startMs + offset, playNow ?? wantPlaying),
    jumpTo,
    currentTime: () => clock() - plan.startMs,
    currentMoment: clock,
    setMarkers(next) {
      markers = next;
      renderMarkers();
    },
    setInactive(stretches) {
      inactive = mergeStretches(stretches);
      skipStretches = mergeStretches(inactive, gaps);
      renderBands();
    },
    updatePlan(next, nextGaps) {
      const grew = next.endMs > plan.endMs;
      plan = { ...next, startMs: plan.startMs };
      gaps = mergeStretches(nextGaps);
      skipStretches = mergeStretches(inactive, gaps);
      setTotal();
      renderBands();
      renderMarkers();
      if (grew && finished && !wantPlaying) finished = false;
    },
    setLive(value) {
      live = value;
      liveBadge.hidden = !value;
    },
    destroy(): void {
      destroyed = true;
      cancelAnimationFrame(frame);
      loading?.controller.abort();
      continuing?.controller.abort();
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('keyup', onKeyUp);
      document.removeEventListener('fullscreenchange', onFullscreenChange);
      resizeObserver.disconnect();
      closeSession();
      shell.remove();
    },
  };
}

function contextEvents(replayer: Replayer): RecordedEvent[] {
  return (replayer as unknown as ReplayerWithState).service.state.context.events;
}

/** Schedules events after the last one rrweb's running timer holds (what rrweb's addEvent does). */
function schedule(replayer: Replayer, events: readonly RecordedEvent[]): void {
  const internals = replayer as unknown as ReplayerWithState;
  const baseline = internals.service.state.context.baselineTime;
  for (const event of events) {
    const delay = eventDelay(event, baseline);
    (event as RecordedEvent & { delay?: number }).delay = delay;
    const cast = internals.getCastFn(event, false);
    internals.timer.addAction({ delay, doAction: cast });
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

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
