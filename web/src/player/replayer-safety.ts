// What keeps a replay safe and alive whatever the recording holds: the replay iframe never
// runs scripts (`enforceSandbox`), what rrweb throws while rebuilding or applying recorded
// content is caught and reported (`guardReplayer`), replayed media never rejects into the
// player page (`quietMediaPlayback`). Used for every Replayer the player creates.

import type { Replayer } from '@rrweb/replay';

/** How rrweb words a mutation that threw (`Replayer.applyIncremental` catches and warns). */
export const MUTATION_FAILED = 'Exception in mutation';

/** The parts of rrweb 2.1.6's Replayer that `guardReplayer` wraps (private in its types). */
export interface ReplayerInternals {
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
export function guardReplayer(
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

/**
 * Asserts the replay iframe cannot run scripts and keeps it that way. Sandbox flags only take
 * effect on the next navigation, so finding `allow-scripts` is treated as fatal (the caller
 * shows an error) after stripping it; the observer strips it again if anything re-adds it.
 */
export function enforceSandbox(iframe: HTMLIFrameElement): MutationObserver {
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
