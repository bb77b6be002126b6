// The stage the replay is shown on, and what it shows over the replay: the "Skipping
// inactivity…" badge, the loading state, the notice over parts that weren't captured, and a
// problem with the recording. It scales the recorded viewport to fit.

import { h } from '../dom';

export interface Size {
  width: number;
  height: number;
}

export interface PlayerStage {
  /** Where rrweb puts its replay (the `root` of every Replayer), under the overlays. */
  element: HTMLElement;
  flashSkipBadge(): void;
  showLoading(show: boolean): void;
  showGap(inGap: boolean): void;
  /**
   * A blocking problem (no page could be built) covers the stage; a partial one (an update
   * failed, the page may be incomplete) is a banner over it. A blocking one is not downgraded.
   */
  showProblem(reason: string, blocking: boolean): void;
  hideProblem(): void;
  /** The recorded viewport's size, once the recording told it. */
  recordedViewport(): Size | null;
  setRecordedViewport(size: Size): void;
  /** Scales `replay` (a Replayer's wrapper) so the recorded viewport fits the stage, centred. */
  fit(replay: HTMLElement | undefined): void;
}

export function createStage(): PlayerStage {
  const element = h('div', { class: 'player-stage', 'data-testid': 'player' });
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
  element.append(skipBadge, loadingOverlay, gapOverlay, problem);
  let recorded: Size | null = null;

  return {
    element,
    flashSkipBadge() {
      skipBadge.hidden = false;
      window.setTimeout(() => (skipBadge.hidden = true), 1200);
    },
    showLoading(show) {
      if (loadingOverlay.hidden === show) loadingOverlay.hidden = !show;
    },
    showGap(inGap) {
      if (gapOverlay.hidden === inGap) gapOverlay.hidden = !inGap;
    },
    showProblem(reason, blocking) {
      if (!problem.hidden && problem.dataset.kind === 'blocking' && !blocking) return;
      if (problem.hidden || problemReason.textContent !== reason) console.warn(`reel: this part of the recording can't be shown: ${reason}`);
      problem.dataset.kind = blocking ? 'blocking' : 'partial';
      problem.classList.toggle('player-problem-partial', !blocking);
      problemReason.textContent = reason;
      problem.hidden = false;
    },
    hideProblem() {
      problem.hidden = true;
    },
    recordedViewport: () => recorded,
    setRecordedViewport(size) {
      recorded = size;
    },
    fit(replay) {
      if (!recorded || !replay) return;
      const { clientWidth, clientHeight } = element;
      if (clientWidth === 0 || clientHeight === 0) return;
      const scale = Math.min(clientWidth / recorded.width, clientHeight / recorded.height);
      const left = (clientWidth - recorded.width * scale) / 2;
      const top = (clientHeight - recorded.height * scale) / 2;
      replay.style.transform = `translate(${left}px, ${top}px) scale(${scale})`;
    },
  };
}
