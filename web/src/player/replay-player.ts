// The replay player: rrweb's Replayer plus reel's controls (play/pause, ±10 s, speed,
// skip-inactive, scrubbable timeline with markers), fit-to-stage scaling and keyboard shortcuts.
//
// Security invariant: recordings are untrusted HTML. The replay iframe must stay sandboxed
// WITHOUT allow-scripts (rrweb's default is exactly `allow-same-origin`). UNSAFE_replayCanvas is
// never enabled because it adds allow-scripts; `enforceSandbox` checks the iframe after creation.
// Before rrweb sees them, the events' URLs are confined (recorded-urls.ts): nothing the replay
// loads resolves against the player page or reaches reel's host.
//
// Any recording may be broken or hostile: a snapshot rrweb cannot rebuild or an event that
// throws while it is applied shows a message in the stage (`guardReplayer`), the controls keep
// working, and the next full snapshot that rebuilds clears it.

import { Replayer } from '@rrweb/replay';
import type { RecordedEvent } from '../api';
import { h } from '../dom';
import { formatClock } from '../format';
import type { Marker } from './markers';
import { playableEvents } from './playable';
import { confineRecordedUrls } from './recorded-urls';

export const SPEEDS = [1, 2, 4, 8] as const;
export type Speed = (typeof SPEEDS)[number];
const SKIP_MS = 10_000;

export interface PlayerOptions {
  speed: Speed;
  skipInactive: boolean;
  /** Where to start, in ms from the beginning. */
  startAt: number;
  autoplay: boolean;
  markers: Marker[];
  /** Called when the user changes a setting worth keeping in the URL. */
  onSettingsChange: (settings: { speed: Speed; skipInactive: boolean }) => void;
}

export interface PlayerHandle {
  seek(offset: number): void;
  currentTime(): number;
  destroy(): void;
}

type ReplayerEvents = ConstructorParameters<typeof Replayer>[0];

/** The viewport assumed for a recording without a Meta event (rrweb would keep the frame hidden). */
const FALLBACK_VIEWPORT = { width: 1280, height: 800 };

/** Mounts a player for `events`, which must be in time order; it takes ownership of them (rewrites them). */
export function mountPlayer(host: HTMLElement, events: RecordedEvent[], options: PlayerOptions): PlayerHandle {
  let speed = options.speed;
  let skipInactive = options.skipInactive;
  let playing = false;
  let finished = false;
  let scrubbing: { resume: boolean } | null = null;
  let pendingScrub: number | null = null;
  let recorded: { width: number; height: number } | null = null;

  const stage = h('div', { class: 'player-stage', 'data-testid': 'player' });
  const skipBadge = h('div', { class: 'skip-badge', hidden: true }, 'Skipping inactivity…');
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
  const timeline = h('input', {
    type: 'range', class: 'timeline', min: 0, step: 1, value: 0, 'aria-label': 'Seek', 'data-testid': 'timeline',
  });
  const markerLayer = h('div', { class: 'timeline-markers' });
  const speedButtons = SPEEDS.map((value) =>
    h('button', { type: 'button', class: 'segment', 'data-speed': value, 'data-testid': `speed-${value}x` }, `${value}x`),
  );
  const skipToggle = h('input', { type: 'checkbox', 'data-testid': 'skip-inactive' });
  skipToggle.checked = skipInactive;

  const controls = h(
    'div',
    { class: 'controls' },
    h('div', { class: 'timeline-wrap' }, markerLayer, timeline),
    h(
      'div',
      { class: 'controls-row' },
      backButton,
      playButton,
      forwardButton,
      timeDisplay,
      h('div', { class: 'controls-spacer' }),
      h('label', { class: 'toggle' }, skipToggle, h('span', {}, 'Skip inactivity')),
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Playback speed' }, ...speedButtons),
    ),
  );
  stage.append(skipBadge, problem);
  host.append(stage, controls);

  const playable = playableEvents(events);
  confineRecordedUrls(playable, { origin: location.origin, hostname: location.hostname });
  const replayer = new Replayer(playable as unknown as ReplayerEvents, {
    root: stage,
    speed,
    skipInactive,
    mouseTail: { strokeStyle: 'red', lineWidth: 2, duration: 700 },
    UNSAFE_replayCanvas: false,
    // rrweb reports a mutation it could not apply only as a warning; the logger turns that one
    // into a message on the stage and drops the rest (rrweb's usual noise).
    showWarning: true,
    logger: { log: () => {}, warn: (...args: unknown[]) => onReplayerWarning(args) },
    triggerFocus: false,
  });
  let sandboxGuard: MutationObserver;
  try {
    sandboxGuard = enforceSandbox(replayer.iframe);
    guardReplayer(replayer, {
      snapshotFailed: (error) => showProblem(describeFailure(error, 'snapshot'), true),
      updateFailed: (error) => showProblem(describeFailure(error, 'update'), false),
    });
  } catch (err) {
    replayer.destroy();
    host.replaceChildren();
    throw err;
  }
  // The iframe's window may not exist yet (or be replaced) before a snapshot is rebuilt.
  quietMediaPlayback(replayer.iframe);
  replayer.on('fullsnapshot-rebuilded', () => {
    quietMediaPlayback(replayer.iframe);
    hideProblem();
    if (!recorded) showAtSize(FALLBACK_VIEWPORT);
  });
  const total = Math.max(0, replayer.getMetaData().totalTime);
  timeline.max = String(total);
  renderMarkers();

  replayer.on('resize', (dimension) => {
    const { width, height } = dimension as { width: number; height: number };
    if (width > 0 && height > 0) {
      recorded = { width, height };
      fit();
    }
  });
  replayer.on('finish', () => {
    playing = false;
    finished = true;
    renderState();
  });
  replayer.on('skip-start', () => (skipBadge.hidden = false));
  replayer.on('skip-end', () => (skipBadge.hidden = true));

  const resizeObserver = new ResizeObserver(fit);
  resizeObserver.observe(stage);

  playButton.addEventListener('click', togglePlay);
  backButton.addEventListener('click', () => seekBy(-SKIP_MS));
  forwardButton.addEventListener('click', () => seekBy(SKIP_MS));
  for (const button of speedButtons) {
    button.addEventListener('click', () => {
      speed = Number(button.dataset.speed) as Speed;
      replayer.setConfig({ speed });
      options.onSettingsChange({ speed, skipInactive });
      renderState();
    });
  }
  skipToggle.addEventListener('change', () => {
    skipInactive = skipToggle.checked;
    replayer.setConfig({ skipInactive });
    options.onSettingsChange({ speed, skipInactive });
  });
  timeline.addEventListener('input', () => {
    scrubbing ??= { resume: playing };
    playing = false;
    pendingScrub = Number(timeline.value);
  });
  timeline.addEventListener('change', () => {
    const resume = scrubbing?.resume ?? playing;
    scrubbing = null;
    pendingScrub = null;
    seek(Number(timeline.value), resume);
  });
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);

  const startAt = clamp(options.startAt);
  if (options.autoplay) {
    play(startAt);
  } else {
    safely(() => replayer.pause(startAt));
  }
  let frame = requestAnimationFrame(tick);
  renderState();

  function play(offset: number): void {
    safely(() => replayer.play(offset));
    playing = true;
    finished = false;
    renderState();
  }

  function pause(): void {
    safely(() => replayer.pause());
    playing = false;
    renderState();
  }

  function togglePlay(): void {
    if (playing) pause();
    else play(finished || now() >= total ? 0 : now());
  }

  function seek(offset: number, resume = playing): void {
    const target = clamp(offset);
    finished = false;
    if (resume) {
      play(target);
    } else {
      safely(() => replayer.pause(target));
      playing = false;
      renderState();
    }
  }

  function seekBy(delta: number): void {
    seek(now() + delta);
  }

  function now(): number {
    return clamp(replayer.getCurrentTime());
  }

  function clamp(offset: number): number {
    return Math.min(Math.max(0, Number.isFinite(offset) ? offset : 0), total);
  }

  /** One frame: apply a pending scrub (at most one seek per frame) and refresh the clock. */
  function tick(): void {
    if (pendingScrub !== null) {
      const target = clamp(pendingScrub);
      safely(() => replayer.pause(target));
      pendingScrub = null;
    }
    const position = scrubbing ? Number(timeline.value) : finished ? total : now();
    if (!scrubbing) timeline.value = String(position);
    timeline.style.setProperty('--progress', total > 0 ? `${(position / total) * 100}%` : '0%');
    const text = `${formatClock(position)} / ${formatClock(total)}`;
    if (timeDisplay.textContent !== text) timeDisplay.textContent = text;
    frame = requestAnimationFrame(tick);
  }

  function renderState(): void {
    playButton.textContent = playing ? '❚❚' : '▶';
    playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    playButton.title = playing ? 'Pause (space)' : 'Play (space)';
    playButton.dataset.state = playing ? 'playing' : 'paused';
    for (const button of speedButtons) {
      const active = Number(button.dataset.speed) === speed;
      button.classList.toggle('active', active);
      button.setAttribute('aria-pressed', String(active));
    }
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
  function showAtSize(viewport: { width: number; height: number }): void {
    (replayer as unknown as ReplayerInternals).handleResize(viewport);
    recorded = viewport;
    fit();
  }

  /** Scales the recorded viewport to fit the stage, centred, keeping its aspect ratio. */
  function fit(): void {
    if (!recorded) return;
    const { clientWidth, clientHeight } = stage;
    if (clientWidth === 0 || clientHeight === 0) return;
    const scale = Math.min(clientWidth / recorded.width, clientHeight / recorded.height);
    const left = (clientWidth - recorded.width * scale) / 2;
    const top = (clientHeight - recorded.height * scale) / 2;
    replayer.wrapper.style.transform = `translate(${left}px, ${top}px) scale(${scale})`;
  }

  function renderMarkers(): void {
    if (total <= 0) return;
    for (const marker of options.markers) {
      const button = h('button', {
        type: 'button',
        class: `timeline-marker marker-${marker.kind}`,
        title: `${formatClock(marker.offset)} ${marker.label}`,
        'aria-label': `Jump to ${marker.kind} at ${formatClock(marker.offset)}`,
        onclick: () => seek(marker.offset - 1000),
      });
      button.style.left = `${(marker.offset / total) * 100}%`;
      markerLayer.append(button);
    }
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (!isPlayerShortcut(event)) return;
    event.preventDefault();
    if (event.repeat && event.key === ' ') return;
    if (event.key === ' ') togglePlay();
    else if (event.key === 'ArrowLeft') seekBy(-SKIP_MS);
    else if (event.key === 'ArrowRight') seekBy(SKIP_MS);
  }

  /** A focused button or checkbox activates on space *up*; the shortcut already acted on down. */
  function onKeyUp(event: KeyboardEvent): void {
    if (isPlayerShortcut(event) && event.key === ' ') event.preventDefault();
  }

  return {
    seek: (offset) => seek(offset),
    currentTime: now,
    destroy(): void {
      cancelAnimationFrame(frame);
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('keyup', onKeyUp);
      resizeObserver.disconnect();
      sandboxGuard.disconnect();
      replayer.destroy();
    },
  };
}

/** How rrweb words a mutation that threw (`Replayer.applyIncremental` catches and warns). */
const MUTATION_FAILED = 'Exception in mutation';

/** The parts of rrweb 2.1.6's Replayer that `guardReplayer` wraps (private in its types). */
interface ReplayerInternals {
  rebuildFullSnapshot(event: unknown, isSync?: boolean): void;
  applyIncremental(event: unknown, isSync: boolean): void;
  handleResize(dimension: { width: number; height: number }): void;
  timer: { addAction(action: TimerAction): void };
}

interface TimerAction {
  delay: number;
  doAction(): void;
}

/**
 * Catches what recorded content makes rrweb throw, where it would otherwise escape as an
 * uncaught error and stop the replay: rebuilding a full snapshot (the first one runs in a
 * timer of rrweb's constructor), applying one incremental event (during a seek one failure
 * would abort applying all later events), and every timed action of playback (a throw there
 * stops rrweb's animation-frame loop for good). The methods are replaced on this instance only.
 */
function guardReplayer(
  replayer: Replayer,
  report: { snapshotFailed(error: unknown): void; updateFailed(error: unknown): void },
): void {
  const internals = replayer as unknown as ReplayerInternals;
  for (const name of ['rebuildFullSnapshot', 'applyIncremental', 'handleResize'] as const) {
    if (typeof internals[name] !== 'function') throw new Error(`rrweb's Replayer changed: it has no ${name}`);
  }
  const timer = internals.timer;
  if (typeof timer?.addAction !== 'function') throw new Error("rrweb's Replayer changed: its timer has no addAction");

  const rebuild = internals.rebuildFullSnapshot.bind(replayer);
  internals.rebuildFullSnapshot = (event, isSync) => {
    try {
      rebuild(event, isSync);
    } catch (error) {
      report.snapshotFailed(error);
    }
  };
  const apply = internals.applyIncremental.bind(replayer);
  internals.applyIncremental = (event, isSync) => {
    try {
      apply(event, isSync);
    } catch (error) {
      report.updateFailed(error);
    }
  };
  const addAction = timer.addAction.bind(timer);
  timer.addAction = (action) =>
    addAction({
      delay: action.delay,
      doAction: () => {
        try {
          action.doAction();
        } catch (error) {
          report.updateFailed(error);
        }
      },
    });
}

/** A short, readable reason for the stage ("This part of the recording can't be shown: …"). */
export function describeFailure(error: unknown, during: 'snapshot' | 'update'): string {
  // Errors thrown by the replay document's own DOM methods come from its realm: no instanceof.
  const { name, message } = isRecord(error) ? error : { name: undefined, message: undefined };
  if (name === 'RangeError' && typeof message === 'string' && /call stack/i.test(message)) {
    return 'The page is nested too deeply to rebuild.';
  }
  const what = during === 'snapshot' ? 'The page snapshot could not be rebuilt' : 'A change to the page could not be applied, so it may be incomplete';
  const detail = typeof name === 'string' && typeof message === 'string' ? `${name}: ${message}` : String(error);
  return `${what} (${detail.length > 160 ? `${detail.slice(0, 159)}…` : detail}).`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * rrweb starts replayed `<video>`/`<audio>` with `play()` and never handles the promise it
 * returns. The browser rejects it when a pause (seek, finish) interrupts it or autoplay is
 * refused — both expected while replaying — and the rejection would surface as an uncaught
 * error on the player page. Other failures are reported as warnings.
 */
const QUIETED = Symbol('reel.quietMediaPlayback');

export function quietMediaPlayback(iframe: HTMLIFrameElement): void {
  const media = (iframe.contentWindow as (Window & typeof globalThis) | null)?.HTMLMediaElement;
  if (!media) return;
  const play = media.prototype.play as HTMLMediaElement['play'] & { [QUIETED]?: true };
  if (play[QUIETED]) return;
  const quiet = function (this: HTMLMediaElement): Promise<void> {
    const started = play.call(this);
    started?.catch((error: unknown) => {
      const name = (error as { name?: unknown } | null)?.name;
      if (name !== 'AbortError' && name !== 'NotAllowedError') console.warn('replayed media did not play', error);
    });
    return started;
  };
  media.prototype.play = Object.assign(quiet, { [QUIETED]: true as const });
}

function isPlayerShortcut(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  if (event.key !== ' ' && event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return false;
  const target = event.target;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return false;
  if (target instanceof HTMLInputElement) {
    return target.type === 'range' || target.type === 'checkbox';
  }
  return true;
}

/**
 * Asserts the replay iframe cannot run scripts and keeps it that way. Sandbox flags only take
 * effect on the next navigation, so finding `allow-scripts` is treated as fatal (the caller
 * shows an error) after stripping it; the observer strips it again if anything re-adds it.
 */
function enforceSandbox(iframe: HTMLIFrameElement): MutationObserver {
  const strip = (): boolean => {
    const hadScripts = !iframe.hasAttribute('sandbox') || iframe.sandbox.contains('allow-scripts');
    if (hadScripts) iframe.setAttribute('sandbox', 'allow-same-origin');
    return hadScripts;
  };
  const observer = new MutationObserver(() => void strip());
  observer.observe(iframe, { attributes: true, attributeFilter: ['sandbox'] });
  if (strip()) {
    observer.disconnect();
    throw new Error('refusing to replay: the replay iframe was allowed to run scripts');
  }
  return observer;
}
