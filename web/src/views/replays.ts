// /replays — the Session Replay list: newest first, filtered by a date range kept in the URL
// (?start=&end= as YYYY-MM-DD, local days, both inclusive).

import { ApiError, getMe, listReplays, type Project, type Replay } from '../api';
import { h, replaceChildren } from '../dom';
import { addDays, countryName, formatDateTime, formatDuration, parseDayString, toDayString } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import { startLiveList, type LiveList } from '../live-list';
import { openPlayerModal } from '../player/modal';
import { navigate, type ViewContext } from '../router';
import { amplitudeSnippet, reelSnippet, snippetBlock } from '../snippets';

const PRESETS = [1, 7, 30] as const;
const DEFAULT_DAYS = 30;
const LIST_LIMIT = 100;

interface DayRange {
  start: Date;
  end: Date;
}

/** The range in the URL, or the default (last 30 days); a reversed range is put in order. */
export function rangeFromUrl(url: URL, today: Date): DayRange {
  const start = parseDayString(url.searchParams.get('start'));
  const end = parseDayString(url.searchParams.get('end')) ?? today;
  const from = start ?? addDays(end, -DEFAULT_DAYS);
  return from <= end ? { start: from, end } : { start: end, end: from };
}

export function replaysView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url);
  const today = startOfToday();
  const range = rangeFromUrl(url, today);

  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading replays…', undefined, 'loading'));
  const summary = h('p', { class: 'page-summary' });
  main.append(
    h(
      'div',
      { class: 'page' },
      h(
        'div',
        { class: 'page-head' },
        h('div', {}, h('h1', { class: 'page-title' }, 'Session Replay'), summary),
        rangeControls(url, range, today),
      ),
      body,
    ),
  );

  let live: LiveList | null = null;
  void load();

  async function load(): Promise<void> {
    live?.stop();
    replaceChildren(body, notice('loading', 'Loading replays…', undefined, 'loading'));
    try {
      const me = await getMe();
      const project = selectedProject(me, url);
      if (!project) {
        replaceChildren(body, notice('info', 'No project yet', 'Your organization has no project to show replays for.'));
        return;
      }
      const replays = await listReplays(
        {
          start: range.start.toISOString(),
          // The end day is inclusive: ask for everything before the next local midnight.
          end: addDays(range.end, 1).toISOString(),
          project: project.id,
          limit: LIST_LIMIT,
        },
        signal,
      );
      if (signal.aborted) return;
      summary.textContent = describeRange(range, replays.length);
      const table = replays.length ? replayTable(replays) : null;
      replaceChildren(body, table ?? emptyState(project, range));
      // A range that ends today refreshes itself: new sessions appear at the top (live-list.ts).
      if (toDayString(range.end) === toDayString(today)) {
        let shown = replays.length;
        live = startLiveList<Replay>({
          container: table ?? body,
          fetchFirstPage: (s) => listReplays({ start: range.start.toISOString(), end: addDays(range.end, 1).toISOString(), project: project.id, limit: LIST_LIMIT }, s),
          keyOf: (replay) => replay.id,
          render: replayItem,
          shown: replays.map((replay) => replay.id),
          firstRow: () => table?.querySelector('.replay-item') ?? null,
          signal,
          refresh: (replay, row) => (row.dataset.duration === String(replay.duration_ms) ? null : replayItem(replay)),
          onInserted: (items) => {
            if (!table) {
              void load();
              return;
            }
            shown += items.length;
            summary.textContent = describeRange(range, shown);
          },
        });
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) return; // on its way to /login
      const message = err instanceof Error ? err.message : String(err);
      const retry = h('button', { type: 'button', class: 'button', onclick: () => void load() }, 'Try again');
      replaceChildren(body, notice('error', 'Could not load replays', message, 'error-state'), h('div', { class: 'center' }, retry));
    }
  }
}

function rangeControls(url: URL, range: DayRange, today: Date): HTMLElement {
  const go = (start: Date, end: Date): void => {
    const next = new URL(url.href);
    next.searchParams.set('start', toDayString(start));
    next.searchParams.set('end', toDayString(end));
    navigate(next.pathname + next.search);
  };
  const isToday = toDayString(range.end) === toDayString(today);
  const presets = PRESETS.map((days) => {
    const active = isToday && toDayString(range.start) === toDayString(addDays(today, -days));
    return h(
      'button',
      {
        type: 'button',
        class: `segment${active ? ' active' : ''}`,
        'aria-pressed': String(active),
        'data-testid': `range-${days}d`,
        onclick: () => go(addDays(today, -days), today),
      },
      days === 1 ? '1 day' : `${days} days`,
    );
  });
  const startInput = h('input', {
    type: 'date', value: toDayString(range.start), max: toDayString(today), 'aria-label': 'From', 'data-testid': 'range-start',
  });
  const endInput = h('input', {
    type: 'date', value: toDayString(range.end), max: toDayString(today), 'aria-label': 'To', 'data-testid': 'range-end',
  });
  const onDateChange = (): void => {
    const start = parseDayString(startInput.value);
    const end = parseDayString(endInput.value);
    if (start && end) go(start <= end ? start : end, start <= end ? end : start);
  };
  startInput.addEventListener('change', onDateChange);
  endInput.addEventListener('change', onDateChange);
  return h(
    'div',
    { class: 'range-controls' },
    h('div', { class: 'segmented', role: 'group', 'aria-label': 'Date range presets' }, ...presets),
    h('div', { class: 'date-inputs' }, startInput, h('span', { class: 'muted' }, '–'), endInput),
  );
}

function replayTable(replays: Replay[]): HTMLElement {
  const sorted = [...replays].sort((a, b) => Date.parse(b.start_time) - Date.parse(a.start_time));
  const head = h(
    'div',
    { class: 'replay-row replay-head', role: 'row' },
    ...['Start time', 'User', 'Duration', 'Country', 'First URL'].map((label) =>
      h('span', { role: 'columnheader' }, label),
    ),
  );
  return h(
    'div',
    { class: 'replay-table', role: 'table', 'aria-label': 'Replays', 'data-testid': 'replay-list' },
    head,
    ...sorted.map(replayItem),
  );
}

/** A row of the list with its "Play" button (the player opens in a modal, player/modal.ts). */
function replayItem(replay: Replay): HTMLElement {
  const play = h('button', {
    type: 'button',
    class: 'row-play',
    title: 'Play here',
    'aria-label': `Play the replay of ${replay.user_id ?? 'an anonymous user'} here`,
    'data-testid': 'row-play',
  });
  play.addEventListener('click', () => openPlayerModal(replay.id));
  return h('div', { class: 'replay-item', role: 'none', 'data-key': replay.id, 'data-duration': replay.duration_ms }, replayRow(replay), play);
}

function replayRow(replay: Replay): HTMLElement {
  const started = new Date(replay.start_time);
  return h(
    'a',
    { class: 'replay-row', role: 'row', href: `/replays/${encodeURIComponent(replay.id)}`, 'data-testid': 'replay-row' },
    h(
      'span',
      { role: 'cell', class: 'cell-time' },
      h('span', { class: 'play-spacer', 'aria-hidden': 'true' }),
      h('span', {}, h('span', { class: 'cell-main' }, formatDateTime(started)), h('span', { class: 'cell-sub' }, relativeTime(started))),
    ),
    h(
      'span',
      { role: 'cell' },
      replay.user_id
        ? h('span', { class: 'cell-main' }, replay.user_id)
        : h('span', { class: 'cell-main muted' }, 'anonymous'),
      h('span', { class: 'cell-sub mono', title: replay.device_id }, `device ${shorten(replay.device_id, 12)}`),
    ),
    h('span', { role: 'cell', class: 'cell-main tabular' }, formatDuration(replay.duration_ms)),
    h('span', { role: 'cell', class: 'cell-main', title: replay.country ?? '' }, countryName(replay.country)),
    h('span', { role: 'cell', class: 'cell-url', title: replay.first_url ?? '' }, replay.first_url ? displayUrl(replay.first_url) : '—'),
  );
}

function emptyState(project: Project, range: DayRange): HTMLElement {
  const origin = location.origin;
  return h(
    'div',
    { class: 'empty-state', 'data-testid': 'empty-state' },
    h('h2', {}, 'No replays yet'),
    h(
      'p',
      { class: 'muted' },
      `Nothing was recorded for ${project.name} between ${formatDay(range.start)} and ${formatDay(range.end)}. `,
      'Add reel to your site and sessions will show up here a few seconds after people visit it.',
    ),
    snippetBlock(
      'reel SDK',
      'Paste before </body> on every page you want to record.',
      reelSnippet(project.api_key, origin),
      'install-snippet',
    ),
    snippetBlock(
      'Already using Amplitude?',
      'Keep Amplitude’s Browser SDK and Session Replay plugin; point them at this server.',
      amplitudeSnippet(project.api_key, origin),
      'install-snippet-amplitude',
    ),
  );
}

function describeRange(range: DayRange, count: number): string {
  const span = `${formatDay(range.start)} – ${formatDay(range.end)}`;
  if (count === 0) return span;
  const shown = count >= LIST_LIMIT ? `newest ${LIST_LIMIT} replays` : `${count} replay${count === 1 ? '' : 's'}`;
  return `${shown} · ${span}`;
}

function formatDay(date: Date): string {
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

function startOfToday(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

function relativeTime(date: Date): string {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

function displayUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return raw;
    return `${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return raw;
  }
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
