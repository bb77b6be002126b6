// The Microscope: the users and sessions behind one data point of a chart, with "Watch Session
// Replays" and the "Streams with session replays" box; the replay modal then browses those
// sessions one after another (previous / next), each from the moment the data point's first
// event happened in it.

import { ApiError, getReplay } from '../api';
import { chartSessions, type ChartSpec, type DataPoint, type MicroscopeSession } from '../analytics-api';
import { h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { notice } from '../layout';
import { openPlayerModal, type PlayerModal } from '../player/modal';
import { addToBoard } from '../add-to-board';

/** How long before the moment of interest a replay starts. */
const LEAD_MS = 2_000;

export function openMicroscope(host: HTMLElement, project: number | undefined, chart: ChartSpec, point: DataPoint, label: string, timeZone: string): void {
  const withReplays = h('input', { type: 'checkbox', 'data-testid': 'with-replays' });
  const watch = h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'watch-replays', disabled: true }, 'Watch Session Replays');
  const summary = h('p', { class: 'muted', 'data-testid': 'microscope-summary' });
  const list = h('div', { class: 'microscope-list' }, notice('loading', 'Finding the sessions…'));
  const more = h('button', { type: 'button', class: 'button button-small', hidden: true }, 'More');
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', 'data-testid': 'microscope-close' }, '×');
  const panel = h('section', { class: 'microscope', 'data-testid': 'microscope', role: 'dialog', 'aria-label': 'Microscope' },
    h('div', { class: 'microscope-head' }, h('h2', {}, label), close),
    h('div', { class: 'chart-row' }, h('label', {}, withReplays, ' Streams with session replays'), watch),
    summary, list, more);
  host.replaceChildren(panel);
  close.addEventListener('click', () => host.replaceChildren());
  let sessions: MicroscopeSession[] = [];
  let cursor: string | undefined;
  let controller = new AbortController();

  const load = async (reset: boolean): Promise<void> => {
    if (reset) {
      controller.abort();
      controller = new AbortController();
      sessions = [];
      cursor = undefined;
      replaceChildren(list, notice('loading', 'Finding the sessions…'));
    }
    try {
      const page = await chartSessions(project, chart, point, withReplays.checked, cursor, controller.signal);
      sessions = sessions.concat(page.sessions);
      cursor = page.next_cursor ?? undefined;
      summary.textContent = `${page.users} users, ${page.total} sessions${withReplays.checked ? ' with a replay' : ''}.`;
      more.hidden = !cursor;
      watch.disabled = !sessions.some((s) => s.has_replay);
      replaceChildren(list, sessions.length
        ? h('table', { class: 'chart-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'User'), h('th', {}, 'Events, oldest first'), h('th', {}, ''))),
            h('tbody', {}, ...sessions.map((s, i) => h('tr', { 'data-testid': 'microscope-session' },
              h('td', {}, formatDateTime(new Date(s.moment_ms), true, timeZone)),
              h('td', {}, s.user_id ? h('a', { href: `/users/${encodeURIComponent(s.user_id)}${project !== undefined ? `?project=${project}` : ''}` }, s.user_id) : h('span', { class: 'muted' }, s.device_id)),
              h('td', { class: 'microscope-moments' }, ...s.moments.map((m) => s.has_replay
                ? h('button', { type: 'button', class: 'chip', title: 'Play from here', 'data-testid': 'microscope-moment', onclick: () => browseReplays([{ replay_id: s.replay_id, moment_ms: m.time_ms }], 0) }, `${formatDateTime(new Date(m.time_ms), true, timeZone).slice(-8)} ${m.event_type}`)
                : h('span', { class: 'chip' }, `${formatDateTime(new Date(m.time_ms), true, timeZone).slice(-8)} ${m.event_type}`)),
                s.events > s.moments.length ? h('span', { class: 'muted' }, ` +${s.events - s.moments.length}`) : null),
              h('td', {}, s.has_replay
                ? h('span', {},
                    h('button', { type: 'button', class: 'button button-small', onclick: () => browseReplays(sessions.filter((x) => x.has_replay), sessions.filter((x) => x.has_replay).indexOf(s)) }, 'Play'),
                    ' ',
                    h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => void addToBoard(project, { type: 'replay', replay_id: s.replay_id, start_ms: s.moment_ms }) }, 'Add to dashboard'))
                : h('span', { class: 'muted', title: `session ${i + 1} has no recording` }, 'no replay'))))))
        : notice('info', 'No sessions', withReplays.checked ? 'None of these sessions has a replay.' : 'Nothing behind this point.'));
    } catch (err) {
      if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(list, notice('error', 'Could not find the sessions', err instanceof Error ? err.message : String(err)));
    }
  };
  withReplays.addEventListener('change', () => void load(true));
  more.addEventListener('click', () => void load(false));
  watch.addEventListener('click', () => {
    const playable = sessions.filter((s) => s.has_replay);
    if (playable.length) browseReplays(playable, 0);
  });
  void load(true);
}

/** A replay to browse: its id and the moment (epoch ms) it should start at. */
export interface Browsable {
  replay_id: string;
  moment_ms: number;
}

/** Opens the replay modal on `list[index]`, with previous / next to the others. */
export function browseReplays(list: readonly Browsable[], index: number): void {
  let modal: PlayerModal | null = null;
  const open = async (i: number): Promise<void> => {
    const item = list[i];
    if (!item) return;
    let startAt: number | undefined;
    try {
      const replay = await getReplay(item.replay_id);
      startAt = Math.max(0, item.moment_ms - Date.parse(replay.start_time) - LEAD_MS);
    } catch {
      startAt = undefined;
    }
    modal?.close();
    modal = openPlayerModal(item.replay_id, startAt !== undefined ? { startAt } : {});
    const bar = modal.element.querySelector('.modal-bar');
    const position = h('span', { class: 'muted', 'data-testid': 'replay-position' }, `${i + 1} of ${list.length}`);
    const previous = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'replay-previous', disabled: i === 0, onclick: () => void open(i - 1) }, '← Previous');
    const next = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'replay-next', disabled: i + 1 >= list.length, onclick: () => void open(i + 1) }, 'Next →');
    bar?.insertBefore(h('span', { class: 'replay-browse' }, previous, position, next), bar.querySelector('[data-testid="modal-open-page"]'));
  };
  void open(index);
}
