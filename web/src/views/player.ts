// /replays/{id} — one replay: details on the side, the player in the middle.
// URL state: ?t=<seconds> start position, ?speed=1|2|4|8, ?skip=0 turns skip-inactivity off.

import { ApiError, getReplay, getReplayEvents, type RecordedEvent, type Replay } from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { countryName, formatBytes, formatClock, formatDateTime, formatDuration } from '../format';
import { notice, renderShell } from '../layout';
import { findMarkers, type Marker } from '../player/markers';
import { mountPlayer, SPEEDS, type PlayerHandle, type Speed } from '../player/replay-player';
import { updateQuery, type Cleanup, type ViewContext } from '../router';

const FULL_SNAPSHOT = 2;

export function playerView({ root, url, params, signal }: ViewContext): Cleanup {
  const id = params.id ?? '';
  const main = renderShell(root, url);
  let player: PlayerHandle | null = null;

  const title = h('h1', { class: 'page-title' }, 'Replay');
  const subtitle = h('p', { class: 'page-summary' });
  const shareButton = h('button', { type: 'button', class: 'button', 'data-testid': 'copy-link', disabled: true }, 'Copy link at current time');
  const stageHost = h('div', { class: 'player-main' }, notice('loading', 'Loading replay…', undefined, 'player-loading'));
  const side = h('aside', { class: 'player-side' });

  main.append(
    h(
      'div',
      { class: 'page player-page' },
      h(
        'div',
        { class: 'page-head' },
        h('div', {}, h('a', { class: 'back-link', href: '/replays' }, '← All replays'), title, subtitle),
        shareButton,
      ),
      h('div', { class: 'player-layout' }, stageHost, side),
    ),
  );

  shareButton.addEventListener('click', async () => {
    if (!player) return;
    const link = new URL(location.href);
    link.searchParams.set('t', String(Math.floor(player.currentTime() / 1000)));
    const ok = await copyText(link.href);
    shareButton.textContent = ok ? 'Link copied' : 'Copy failed';
    window.setTimeout(() => (shareButton.textContent = 'Copy link at current time'), 2000);
  });

  void load();

  async function load(): Promise<void> {
    const progress = (bytes: number): void => {
      replaceChildren(stageHost, notice('loading', 'Loading recording…', `${formatBytes(bytes)} received`, 'player-loading'));
    };
    const replayPromise = getReplay(id, signal);
    const eventsPromise = getReplayEvents(id, progress, signal);
    // Neither rejection may go unobserved while the other is awaited.
    replayPromise.catch(() => {});
    eventsPromise.catch(() => {});
    let replay: Replay;
    let events: RecordedEvent[];
    try {
      replay = await replayPromise;
      renderDetails(replay, []);
      events = await eventsPromise;
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      showFailure(err);
      return;
    }
    if (signal.aborted) return;
    events = inTimeOrder(events);
    const markers = findMarkers(events);
    renderDetails(replay, markers);

    if (events.length < 2) {
      showMessage(
        'Not enough data to play this replay',
        `The recording has ${events.length} event${events.length === 1 ? '' : 's'}; at least 2 are needed. ` +
          'If the session is still going on, try again in a few seconds.',
      );
      return;
    }
    if (!events.some((event) => event.type === FULL_SNAPSHOT)) {
      showMessage(
        'This recording has no page snapshot',
        'There is no page to show: the start of the session (where the page is captured) was not recorded.',
      );
      return;
    }

    stageHost.replaceChildren();
    const speedParam = Number(url.searchParams.get('speed'));
    try {
      player = mountPlayer(stageHost, events, {
        speed: (SPEEDS as readonly number[]).includes(speedParam) ? (speedParam as Speed) : 1,
        skipInactive: url.searchParams.get('skip') !== '0',
        startAt: Math.max(0, Number(url.searchParams.get('t')) || 0) * 1000,
        autoplay: true,
        markers,
        onSettingsChange: ({ speed, skipInactive }) =>
          updateQuery({ speed: speed === 1 ? null : String(speed), skip: skipInactive ? null : '0' }),
      });
      shareButton.disabled = false;
    } catch (err) {
      showFailure(err);
    }
  }

  function renderDetails(replay: Replay, markers: Marker[]): void {
    const started = new Date(replay.start_time);
    title.textContent = `Replay of ${replay.user_id ?? 'an anonymous user'}`;
    subtitle.textContent = `${formatDateTime(started)} · ${formatDuration(replay.duration_ms)}`;
    const rows: [string, Node | string, string?][] = [
      ['Started', formatDateTime(started, true), 'detail-start'],
      ['Duration', formatDuration(replay.duration_ms)],
      ['User', replay.user_id ?? 'anonymous', 'detail-user'],
      ['Device', replay.device_id, 'detail-device'],
      ['Session', String(replay.session_id)],
      ['Country', countryName(replay.country)],
      ['First URL', replay.first_url ?? '—', 'detail-url'],
      ['Events', `${replay.event_count.toLocaleString()} · ${formatBytes(replay.size_bytes)}`],
    ];
    replaceChildren(
      side,
      h('h2', { class: 'side-title' }, 'Session'),
      h(
        'dl',
        { class: 'details' },
        ...rows.flatMap(([label, value, testId]) => [
          h('dt', {}, label),
          h('dd', { 'data-testid': testId, title: typeof value === 'string' ? value : null }, value),
        ]),
      ),
      markers.length ? markerList(markers) : null,
    );
  }

  function markerList(markers: Marker[]): HTMLElement {
    return h(
      'section',
      { class: 'issues' },
      h('h2', { class: 'side-title' }, `Errors (${markers.length})`),
      h(
        'ol',
        { class: 'issue-list', 'data-testid': 'issue-list' },
        ...markers.map((marker) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: `issue issue-${marker.kind}`,
                onclick: () => player?.seek(marker.offset - 1000),
              },
              h('span', { class: 'issue-time tabular' }, formatClock(marker.offset)),
              h('span', { class: 'issue-kind' }, marker.kind === 'error' ? 'Console' : 'Network'),
              h('span', { class: 'issue-label' }, marker.label),
            ),
          ),
        ),
      ),
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
    const message = err instanceof Error ? err.message : String(err);
    replaceChildren(stageHost, notice('error', 'Could not load this replay', message, 'player-error'));
  }

  return () => player?.destroy();
}

/** The server sends events in time order; re-sort only when it did not (stable on ties). */
function inTimeOrder(events: RecordedEvent[]): RecordedEvent[] {
  const sorted = events.every((event, i) => i === 0 || (events[i - 1]?.timestamp ?? 0) <= event.timestamp);
  if (sorted) return events;
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index)
    .map(({ event }) => event);
}
