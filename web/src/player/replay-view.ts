// One replay, everything about it: the player, the activity/console/network panels, the page
// and device, gaps, live follow, copy-link and feedback. The `/replays/{id}` page and the
// player modal (modal.ts) both mount this.

import { ApiError } from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { countryName, formatDuration } from '../format';
import { notice } from '../layout';
import { activityMarkers, mergeActivity } from './activity';
import {
  getActivity,
  getManifest,
  getMeWithSettings,
  getTimeline,
  sendFeedback,
  type ReplayRef,
  type ActivityEvent,
  type Manifest,
  type ReplayDetails,
  type Timeline,
} from './api';
import { consoleMarkers, networkMarkers } from './devtools';
import { icon } from './icons';
import { mark } from './marks';
import { createPanels } from './panels';
import { SPEEDS, type Speed } from './player-controls';
import { mountPlayer, type PlayerHandle } from './replay-player';
import { formatWallDateTime, isTimeZone, parseStartParam } from './time';
import type { Plan } from './windows';
import { addToBoard } from '../add-to-board';

export interface ReplayViewOptions {
  mode: 'page' | 'modal';
  /** The replay's project (none: your first). */
  project?: number | undefined;
  /** `?t=` (ms from the start), `?speed=`, `?skip=0` as on the page's URL. */
  params: URLSearchParams;
  signal: AbortSignal;
  /** Where the title goes (the page's heading or the modal's). */
  onTitle?: (title: string) => void;
  /** The page keeps speed and skip in its URL. */
  onSettingsChange?: (settings: { speed: Speed; skipInactive: boolean }) => void;
}

export interface ReplayViewHandle {
  player(): PlayerHandle | null;
  destroy(): void;
}

/** A session that sent data this recently is shown as live and followed. */
export const LIVE_WITHIN_MS = 90_000;
const LIVE_POLL_MS = 3_000;
const LIVE_DERIVED_REFRESH_MS = 10_000;
/** How long the activity list waits for the first frame before it is shown anyway. */
const ACTIVITY_FALLBACK_MS = 3_000;

export function mountReplayView(host: HTMLElement, replayId: string, options: ReplayViewOptions): ReplayViewHandle {
  const replay: ReplayRef = { id: replayId, project: options.project };
  let player: PlayerHandle | null = null;
  let destroyed = false;
  let pollTimer: number | undefined;
  let timeZone = 'UTC';
  let manifest: Manifest | null = null;
  let activity: ActivityEvent[] = [];
  let timeline: Timeline | null = null;
  let lastDerivedRefresh = 0;

  const title = h('h1', { class: 'page-title replay-title', 'data-testid': 'replay-title' }, 'Replay');
  const subtitle = h('p', { class: 'page-summary', 'data-testid': 'replay-summary' });
  const liveBadge = h('span', { class: 'live-badge', hidden: true, 'data-testid': 'header-live-badge' }, 'Live');
  const copyButton = h('button', { type: 'button', class: 'button', 'data-testid': 'copy-link', disabled: true }, 'Copy link');
  // The replay, from the moment being watched, on a dashboard or notebook.
  const boardButton = h('button', { type: 'button', class: 'button', 'data-testid': 'add-replay-to-board', onclick: () => {
    const at = player?.currentMoment();
    const project = Number(new URL(location.href).searchParams.get('project')) || undefined;
    void addToBoard(project, { type: 'replay', replay_id: replayId, ...(at !== undefined ? { start_ms: Math.round(at) } : {}) });
  } }, 'Add to dashboard');
  const copiedLink = h('input', { type: 'text', class: 'copied-link', readonly: true, hidden: true, 'aria-label': 'Link to this moment', 'data-testid': 'copied-link' });
  const feedback = feedbackControls(replay);
  const gapNotice = h('div', { class: 'gap-notice', role: 'note', hidden: true, 'data-testid': 'gap-notice' });
  const stageHost = h('div', { class: 'player-main' }, notice('loading', 'Loading replay…', undefined, 'player-loading-notice'));
  const details = h('dl', { class: 'session-details', 'data-testid': 'session-details' });
  const panels = createPanels({ startMs: () => manifest?.start_ms ?? 0, jumpTo: (t) => player?.jumpTo(t) });
  const mainColumn = h('div', { class: 'player-column' }, gapNotice, stageHost, details);
  host.append(
    h(
      'div',
      { class: `replay-view replay-view-${options.mode}` },
      h(
        'div',
        { class: 'page-head replay-view-head' },
        h('div', { class: 'replay-heading' }, options.mode === 'page' ? h('a', { class: 'back-link', href: replay.project === undefined ? '/replays' : `/replays?project=${replay.project}` }, '← All replays') : null, h('div', { class: 'title-row' }, title, liveBadge), subtitle),
        h('div', { class: 'replay-actions' }, feedback.element, h('div', { class: 'copy-wrap' }, boardButton, copyButton, copiedLink)),
      ),
      h('div', { class: 'player-layout' }, mainColumn, panels.element),
    ),
  );

  copyButton.addEventListener('click', async () => {
    if (!player) return;
    const link = new URL(`/replays/${encodeURIComponent(replayId)}`, location.origin);
    if (replay.project !== undefined) link.searchParams.set('project', String(replay.project));
    link.searchParams.set('t', String(Math.max(0, Math.round(player.currentTime()))));
    copiedLink.value = link.href;
    copiedLink.hidden = false;
    const ok = await copyText(link.href);
    copyButton.textContent = ok ? 'Link copied' : 'Copy failed';
    copyButton.dataset.copied = String(ok);
    window.setTimeout(() => (copyButton.textContent = 'Copy link'), 2000);
  });

  void load();

  async function load(): Promise<void> {
    const signal = options.signal;
    const mePromise = getMeWithSettings();
    const manifestPromise = getManifest(replay, signal);
    const activityPromise = getActivity(replay, signal);
    for (const p of [mePromise, manifestPromise, activityPromise]) p.catch(() => {});
    try {
      const me = await mePromise.catch(() => null);
      const project = me?.projects?.find((p) => p.id === replay.project) ?? me?.projects?.[0];
      const zone = project?.timezone;
      timeZone = zone && isTimeZone(zone) ? zone : 'UTC';
      manifest = await manifestPromise;
      mark('reel:manifest');
    } catch (err) {
      if (signal.aborted || destroyed || (err instanceof ApiError && err.status === 401)) return;
      showFailure(err);
      return;
    }
    if (signal.aborted || destroyed) return;
    renderDetails(manifest.replay);
    renderGaps(manifest);
    const live = isLive(manifest.replay);
    setLive(live);

    const eventCount = manifest.pieces.reduce((sum, p) => sum + p.event_count, 0);
    if (eventCount < 2) {
      showMessage(
        'Not enough data to play this replay',
        `The recording has ${eventCount} event${eventCount === 1 ? '' : 's'}; at least 2 are needed. ` +
          'If the session is still going on, try again in a few seconds.',
      );
      if (live) schedulePoll();
      return;
    }
    if (manifest.keyframes.length === 0) {
      showMessage(
        'This recording has no page snapshot',
        'There is no page to show: the start of the session (where the page is captured) was not recorded.',
      );
      return;
    }

    stageHost.replaceChildren();
    const speedParam = Number(options.params.get('speed'));
    const plan = planOf(manifest);
    try {
      player = mountPlayer(stageHost, {
        replay,
        plan,
        speed: (SPEEDS as readonly number[]).includes(speedParam) ? (speedParam as Speed) : 1,
        skipInactive: options.params.get('skip') !== '0',
        startAt: parseStartParam(options.params.get('t'), plan.endMs - plan.startMs),
        autoplay: true,
        timeZone,
        gaps: manifest.gaps,
        live,
        onSettingsChange: options.onSettingsChange,
        onTime: (t) => panels.setTime(t),
        // The timeline reads the whole recording on the server, and a long session's activity
        // list takes a while to lay out: neither before the first frame.
        onFirstFrame: () => {
          // After the frame is painted, not in the same task.
          requestAnimationFrame(() =>
            window.setTimeout(() => {
              loadTimeline();
              showActivity();
            }, 0),
          );
        },
      });
      copyButton.disabled = false;
    } catch (err) {
      showFailure(err);
      return;
    }

    // Shown after the first frame, or after a while if no frame comes (the recording fails).
    const fallback = window.setTimeout(showActivity, ACTIVITY_FALLBACK_MS);
    let activityShown = false;
    function showActivity(): void {
      window.clearTimeout(fallback);
      if (activityShown) return;
      activityShown = true;
      activityPromise.then(
        (events) => {
          if (destroyed) return;
          activity = events;
          renderActivity();
        },
        (err: unknown) => {
          if (!signal.aborted) panels.setFailed('activity', messageOf(err));
        },
      );
    }
    if (live) schedulePoll();
  }

  function loadTimeline(): void {
    getTimeline(replay, options.signal).then(
      (t) => {
        if (destroyed) return;
        timeline = t;
        player?.setInactive(t.inactive);
        panels.setConsole(t.console, t.truncated.console === true);
        panels.setNetwork(t.network, t.truncated.network === true);
        renderActivity();
      },
      (err: unknown) => {
        if (!options.signal.aborted && !destroyed) panels.setFailed('timeline', messageOf(err));
      },
    );
  }

  function renderActivity(): void {
    const items = mergeActivity(activity, timeline?.custom ?? [], timeline?.pages ?? []);
    panels.setActivity(items, manifest?.replay.processing_pending && items.length === 0 ? 'Still working out what happened: more may appear shortly.' : undefined);
    const markers = [
      ...activityMarkers(items),
      ...(timeline ? consoleMarkers(timeline.console) : []),
      ...(timeline ? networkMarkers(timeline.network) : []),
    ];
    player?.setMarkers(markers);
  }

  /** While the session records: follow its manifest, refresh what was derived now and then. */
  function schedulePoll(): void {
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(() => void poll(), LIVE_POLL_MS);
  }

  async function poll(): Promise<void> {
    if (destroyed || options.signal.aborted) return;
    try {
      const next = await getManifest(replay, options.signal);
      if (destroyed) return;
      const grew = !manifest || next.end_ms > manifest.end_ms;
      const hadPlayer = !!player;
      manifest = next;
      renderDetails(next.replay);
      renderGaps(next);
      const live = isLive(next.replay);
      setLive(live);
      if (!hadPlayer) {
        // It had too little to play: try again now that more arrived.
        if (grew) {
          stageHost.replaceChildren(notice('loading', 'Loading replay…', undefined, 'player-loading-notice'));
          void load();
        } else if (live) schedulePoll();
        return;
      }
      player?.updatePlan(planOf(next), next.gaps);
      const now = Date.now();
      if ((grew && now - lastDerivedRefresh > LIVE_DERIVED_REFRESH_MS) || (!live && grew)) {
        lastDerivedRefresh = now;
        getActivity(replay, options.signal).then((events) => {
          activity = events;
          renderActivity();
        }, () => {});
        loadTimeline();
      }
      if (live) schedulePoll();
    } catch {
      if (!destroyed && !options.signal.aborted) schedulePoll();
    }
  }

  function setLive(live: boolean): void {
    liveBadge.hidden = !live;
    player?.setLive(live);
  }

  function renderDetails(replay: ReplayDetails): void {
    const started = Date.parse(replay.start_time);
    const durationMs = Math.floor(replay.duration_ms / 1000) * 1000;
    const who = replay.user_id ?? 'an anonymous user';
    title.textContent = `Replay of ${who}`;
    options.onTitle?.(title.textContent);
    subtitle.textContent = `${formatWallDateTime(started, timeZone)} · ${formatDuration(durationMs)}`;
    subtitle.dataset.durationMs = String(replay.duration_ms);
    const viewport = replay.viewport ? `${replay.viewport.width} × ${replay.viewport.height}` : '—';
    const rows: Array<[string, string, string]> = [
      ['User', replay.user_id ?? 'anonymous', 'detail-user'],
      ['Country', countryName(replay.country), 'detail-country'],
      ['Started', formatWallDateTime(started, timeZone), 'detail-start'],
      ['Browser', replay.browser ?? '—', 'detail-browser'],
      ['OS', replay.os ?? '—', 'detail-os'],
      ['Device', replay.device ?? '—', 'detail-device'],
      ['Viewport', viewport, 'detail-viewport'],
      ['Device ID', replay.device_id, 'detail-device-id'],
    ];
    replaceChildren(
      details,
      ...rows.map(([label, value, testId]) =>
        h('div', { class: 'detail' }, h('dt', {}, label), h('dd', { 'data-testid': testId, title: value }, value)),
      ),
    );
  }

  function renderGaps(m: Manifest): void {
    if (m.gaps.length === 0) {
      gapNotice.hidden = true;
      return;
    }
    const missing = m.gaps.reduce((sum, g) => sum + (g.end_ms - g.start_ms), 0);
    gapNotice.hidden = false;
    replaceChildren(
      gapNotice,
      h('strong', {}, "Parts of this session weren't captured."),
      ` No data arrived for ${formatDuration(missing)} in ${m.gaps.length} stretch${m.gaps.length === 1 ? '' : 'es'} while the session went on ` +
        '(the browser was closed or offline, or uploads failed). They are shaded on the timeline.',
    );
  }

  function showMessage(heading: string, detail: string): void {
    replaceChildren(stageHost, notice('info', heading, detail, 'player-message'));
  }

  function showFailure(err: unknown): void {
    if (err instanceof ApiError && err.status === 404) {
      title.textContent = 'Replay not found';
      replaceChildren(stageHost, notice('error', 'Replay not found', 'It may have been deleted, or the link is wrong.', 'player-error'));
      return;
    }
    replaceChildren(stageHost, notice('error', 'Could not load this replay', messageOf(err), 'player-error'));
  }

  return {
    player: () => player,
    destroy() {
      destroyed = true;
      window.clearTimeout(pollTimer);
      player?.destroy();
      player = null;
    },
  };
}

function planOf(m: Manifest): Plan {
  return { startMs: m.start_ms, endMs: m.end_ms, pieces: m.pieces, keyframes: m.keyframes };
}

/** Still recording: data arrived lately, and it was recorded lately (not an old session uploaded now). */
export function isLive(replay: Pick<ReplayDetails, 'last_upload_time' | 'end_time'>, now = Date.now()): boolean {
  const last = replay.last_upload_time ? Date.parse(replay.last_upload_time) : NaN;
  const end = Date.parse(replay.end_time);
  return Number.isFinite(last) && now - last < LIVE_WITHIN_MS && Number.isFinite(end) && now - end < LIVE_WITHIN_MS;
}

/** Thumbs up, or thumbs down with an optional comment; stored with who and when. */
function feedbackControls(replay: ReplayRef): { element: HTMLElement } {
  const status = h('span', { class: 'feedback-status muted', 'data-testid': 'feedback-status', role: 'status' });
  const up = h('button', { type: 'button', class: 'icon-button feedback-button', title: 'This replay looks right', 'aria-label': 'Thumbs up', 'data-testid': 'feedback-up' }, icon('thumb-up'));
  const down = h('button', { type: 'button', class: 'icon-button feedback-button', title: 'Something is wrong with this replay', 'aria-label': 'Thumbs down', 'aria-expanded': 'false', 'data-testid': 'feedback-down' }, icon('thumb-down'));
  const comment = h('textarea', { class: 'feedback-comment', rows: 3, maxlength: 2000, placeholder: 'What is wrong? (optional)', 'aria-label': 'Comment', 'data-testid': 'feedback-comment' });
  const send = h('button', { type: 'button', class: 'button button-primary button-small', 'data-testid': 'feedback-send' }, 'Send');
  const cancel = h('button', { type: 'button', class: 'button button-quiet button-small' }, 'Cancel');
  const form = h('div', { class: 'feedback-form', hidden: true, 'data-testid': 'feedback-form' }, comment, h('div', { class: 'feedback-form-actions' }, cancel, send));
  const submit = async (rating: 'up' | 'down', text: string): Promise<void> => {
    for (const b of [up, down, send]) b.disabled = true;
    status.textContent = 'Sending…';
    try {
      await sendFeedback(replay, rating, text);
      status.textContent = 'Thanks, feedback sent';
      form.hidden = true;
      comment.value = '';
    } catch (err) {
      status.textContent = `Not sent: ${messageOf(err)}`;
    } finally {
      for (const b of [up, down, send]) b.disabled = false;
    }
  };
  up.addEventListener('click', () => void submit('up', ''));
  down.addEventListener('click', () => {
    form.hidden = !form.hidden;
    down.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) comment.focus();
  });
  cancel.addEventListener('click', () => {
    form.hidden = true;
    down.setAttribute('aria-expanded', 'false');
  });
  send.addEventListener('click', () => void submit('down', comment.value));
  return { element: h('div', { class: 'feedback', 'data-testid': 'feedback' }, up, down, status, form) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
