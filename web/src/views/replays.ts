// /replays — Session Replay: find the sessions that matter. A date range (presets or a
// calendar, days of the project's timezone), full-text search, filters combined with AND, a
// sort, 100 results a page with "Load more". The whole search lives in the URL
// (search-state.ts), so a copied address shows the same results to another member.

import {
  ApiError,
  deleteSavedSearch,
  getCatalog,
  getMe,
  listCohorts,
  listSavedSearches,
  saveSearch,
  searchReplays,
  type Catalog,
  type Cohort,
  type FilterSpec,
  type Project,
  type Replay,
  type ReplayPage,
  type SavedSearch,
  type SortField,
} from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { countryName, formatDateTime, formatDuration } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import { startLiveList, type LiveList } from '../live-list';
import { openPlayerModal } from '../player/modal';
import { navigate, type ViewContext } from '../router';
import {
  RANGE_PRESETS,
  type SearchState,
  dayInZone,
  describeFilter,
  fromSavedSpec,
  resolveRange,
  stateFromUrl,
  toSavedSpec,
  toSearchRequest,
  urlOf,
} from '../search-state';
import { amplitudeSnippet, reelSnippet, snippetBlock } from '../snippets';
import { filterEditor } from './filter-editor';

const PRESET_LABELS: Record<string, string> = { today: 'Today', '1d': '1 day', '7d': '7 days', '30d': '30 days', '90d': '90 days' };
const SORT_LABELS: Record<SortField, string> = { start_time: 'Start time', duration: 'Duration', active_time: 'Active time', errors: 'Errors' };

export function replaysView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url);
  const state = stateFromUrl(url);
  const go = (next: SearchState): void => navigate(urlOf(url, next));

  const summary = h('p', { class: 'page-summary', 'data-testid': 'search-summary' });
  const savedHost = h('div', { class: 'saved-searches' });
  const toolbar = h('div', { class: 'search-toolbar' });
  const filterBar = h('div', { class: 'filter-bar', 'data-testid': 'filter-bar' });
  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading replays…', undefined, 'loading'));
  const more = h('div', { class: 'load-more' });
  main.append(
    h(
      'div',
      { class: 'page' },
      h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title' }, 'Session Replay'), summary), savedHost),
      toolbar,
      filterBar,
      body,
      more,
    ),
  );

  // A search whose range ends today, newest first, refreshes itself (live-list.ts).
  let live: LiveList | undefined;

  void load();

  async function load(): Promise<void> {
    live?.stop();
    try {
      const me = await getMe();
      const project = selectedProject(me, url);
      if (!project) {
        replaceChildren(body, notice('info', 'No project yet', 'Your organization has no project to show replays for.'));
        return;
      }
      const today = dayInZone(new Date(), project.timezone);
      renderToolbar(project, today);
      const [catalog, cohorts] = await Promise.all([
        getCatalog(project.id, signal).catch((): Catalog => ({ event_names: [], user_properties: [] })),
        listCohorts(project.id, signal).catch((): Cohort[] => []),
      ]);
      if (signal.aborted) return;
      renderFilters(catalog, cohorts);
      void renderSaved(project);
      await search(project, today);
    } catch (err) {
      showError(err);
    }
  }

  function showError(err: unknown): void {
    if (signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) return; // on its way to /login
    const message = err instanceof Error ? err.message : String(err);
    const retry = h('button', { type: 'button', class: 'button', onclick: () => void load() }, 'Try again');
    replaceChildren(body, notice('error', 'Could not load replays', message, 'error-state'), h('div', { class: 'center' }, retry));
  }

  /** New sessions can appear at the top: the range reaches today and the newest come first. */
  function followsArrivals(end: string, today: string): boolean {
    return end >= today && state.sort === 'start_time' && state.order === 'desc';
  }

  async function search(project: Project, today: string): Promise<void> {
    const request = toSearchRequest(state, today);
    const { start, end } = resolveRange(state, today);
    const page = await searchReplays(request, project.id, signal);
    if (signal.aborted) return;
    const rows: Replay[] = [...page.replays];
    summary.textContent = describeRange(start, end, page, rows.length);
    if (rows.length === 0) {
      const filtered = state.filters.length > 0 || state.q.trim() !== '';
      replaceChildren(body, filtered ? noMatches() : emptyState(project, start, end));
      replaceChildren(more);
      // The first session to arrive replaces the empty state.
      if (followsArrivals(end, today)) {
        live = startLiveList<Replay>({
          container: body,
          fetchFirstPage: async (s) => (await searchReplays(request, project.id, s)).replays,
          keyOf: (replay) => replay.id,
          render: (replay) => replayItem(replay, project),
          shown: [],
          firstRow: () => null,
          signal,
          onInserted: () => void load(),
        });
      }
      return;
    }
    const table = replayTable(project, rows);
    replaceChildren(body, table.element);
    if (followsArrivals(end, today)) {
      live = startLiveList<Replay>({
        container: table.element,
        fetchFirstPage: async (s) => (await searchReplays(request, project.id, s)).replays,
        keyOf: (replay) => replay.id,
        render: (replay) => replayItem(replay, project),
        shown: rows.map((replay) => replay.id),
        firstRow: () => table.element.querySelector('.replay-item'),
        signal,
        // A session still recording grew: its row shows the new duration (unless focused).
        refresh: (replay, row) => (row.dataset.duration === String(replay.duration_ms) ? null : replayItem(replay, project)),
        onInserted: (items) => {
          rows.unshift(...items);
          if (total !== null) total += items.length;
          summary.textContent = describeRange(start, end, { replays: rows, next_cursor: cursor, total }, rows.length);
        },
      });
    }
    let cursor = page.next_cursor ?? null;
    let total = page.total ?? null;
    const loadMore = async (button: HTMLButtonElement): Promise<void> => {
      if (!cursor) return;
      button.disabled = true;
      try {
        const next = await searchReplays({ ...request, cursor }, project.id, signal);
        if (signal.aborted) return;
        rows.push(...next.replays);
        table.add(next.replays);
        cursor = next.next_cursor ?? null;
        summary.textContent = describeRange(start, end, { ...next, total: total ?? next.total ?? null }, rows.length);
        renderMore();
      } catch (err) {
        button.disabled = false;
        if (!(err instanceof ApiError && err.status === 401)) button.textContent = 'Could not load more; try again';
      }
    };
    const renderMore = (): void => {
      if (!cursor) {
        replaceChildren(more);
        return;
      }
      const button = h('button', { type: 'button', class: 'button', 'data-testid': 'load-more' }, 'Load more');
      button.addEventListener('click', () => void loadMore(button));
      replaceChildren(more, button);
    };
    renderMore();
  }

  function renderToolbar(project: Project, today: string): void {
    const { start, end } = resolveRange(state, today);
    const presets = RANGE_PRESETS.map((preset) => {
      const active = state.range === preset;
      return h(
        'button',
        {
          type: 'button',
          class: `segment${active ? ' active' : ''}`,
          'aria-pressed': String(active),
          'data-testid': `range-${preset}`,
          onclick: () => go({ ...state, range: preset, start: null, end: null }),
        },
        PRESET_LABELS[preset] ?? preset,
      );
    });
    const startInput = h('input', { type: 'date', value: start, max: today, 'aria-label': 'From', 'data-testid': 'range-start' });
    const endInput = h('input', { type: 'date', value: end, max: today, 'aria-label': 'To', 'data-testid': 'range-end' });
    const onDate = (): void => {
      const [a, b] = [startInput.value, endInput.value];
      if (a && b) go({ ...state, range: null, start: a <= b ? a : b, end: a <= b ? b : a });
    };
    startInput.addEventListener('change', onDate);
    endInput.addEventListener('change', onDate);
    const q = h('input', {
      type: 'search',
      class: 'search-input',
      placeholder: 'Search text shown on screen or logged to the console',
      value: state.q,
      'aria-label': 'Search text',
      'data-testid': 'search-text',
    });
    const form = h('form', { class: 'search-form', role: 'search', onsubmit: (e: Event) => {
      e.preventDefault();
      go({ ...state, q: q.value });
    } }, q, h('button', { type: 'submit', class: 'button', 'data-testid': 'search-submit' }, 'Search'));
    const sort = h('select', { 'aria-label': 'Sort by', 'data-testid': 'sort' },
      ...(Object.keys(SORT_LABELS) as SortField[]).map((key) => h('option', { value: key }, SORT_LABELS[key])));
    sort.value = state.sort;
    sort.addEventListener('change', () => go({ ...state, sort: sort.value as SortField }));
    const order = h('button', {
      type: 'button',
      class: 'button button-small',
      'data-testid': 'order',
      title: state.order === 'desc' ? 'Highest / newest first' : 'Lowest / oldest first',
      onclick: () => go({ ...state, order: state.order === 'desc' ? 'asc' : 'desc' }),
    }, state.order === 'desc' ? '↓' : '↑');
    replaceChildren(
      toolbar,
      h('div', { class: 'range-controls' },
        h('div', { class: 'segmented', role: 'group', 'aria-label': 'Date range presets' }, ...presets),
        h('div', { class: 'date-inputs' }, startInput, h('span', { class: 'muted' }, '–'), endInput),
        h('span', { class: 'muted timezone', title: 'Days are the project’s days' }, project.timezone)),
      form,
      h('label', { class: 'sort-control' }, h('span', { class: 'muted' }, 'Sort'), sort, order),
    );
  }

  function renderFilters(catalog: Catalog, cohorts: Cohort[]): void {
    const chips = state.filters.map((f, i) => {
      const edit = h('button', { type: 'button', class: 'chip-label', 'data-testid': 'filter-chip', onclick: () => openEditor(i) }, describeFilter(f, cohorts));
      const remove = h('button', {
        type: 'button',
        class: 'chip-remove',
        'aria-label': 'Remove filter',
        onclick: () => go({ ...state, filters: state.filters.filter((_, j) => j !== i) }),
      }, '×');
      return h('span', { class: 'chip' }, edit, remove);
    });
    const add = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'add-filter', onclick: () => openEditor(null) }, '+ Add filter');
    const editorHost = h('div', { class: 'filter-editor-host' });
    replaceChildren(filterBar, h('div', { class: 'chips' }, ...chips, add), editorHost);

    function openEditor(index: number | null): void {
      const initial = index === null ? null : (state.filters[index] ?? null);
      replaceChildren(
        editorHost,
        filterEditor(
          initial,
          { catalog, cohorts },
          (filter: FilterSpec) => {
            const filters = [...state.filters];
            if (index === null) filters.push(filter);
            else filters[index] = filter;
            go({ ...state, filters });
          },
          () => replaceChildren(editorHost),
        ),
      );
    }
  }

  async function renderSaved(project: Project): Promise<void> {
    let saved: SavedSearch[] = [];
    try {
      saved = await listSavedSearches(project.id, signal);
    } catch {
      // Saved searches are a convenience: the page works without them.
    }
    if (signal.aborted) return;
    const pick = h('select', { 'aria-label': 'Saved searches', 'data-testid': 'saved-searches' },
      h('option', { value: '' }, saved.length ? 'Saved searches…' : 'No saved searches'),
      ...saved.map((s) => h('option', { value: String(s.id) }, s.name)));
    pick.addEventListener('change', () => {
      const chosen = saved.find((s) => String(s.id) === pick.value);
      if (chosen) go(fromSavedSpec(chosen.search));
    });
    const remove = h('button', { type: 'button', class: 'button button-quiet button-small', title: 'Delete the chosen saved search', onclick: async () => {
      const chosen = saved.find((s) => String(s.id) === pick.value);
      if (!chosen || !window.confirm(`Delete the saved search “${chosen.name}” for everyone?`)) return;
      await deleteSavedSearch(project.id, chosen.id).catch(() => undefined);
      void renderSaved(project);
    } }, 'Delete');
    const save = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'save-search', onclick: async () => {
      const name = window.prompt('Save this search as', state.q.trim() || 'My search');
      if (!name?.trim()) return;
      try {
        await saveSearch(project.id, name.trim(), toSavedSpec(state));
        void renderSaved(project);
      } catch (err) {
        window.alert(err instanceof Error ? err.message : String(err));
      }
    } }, 'Save search');
    const copy = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'copy-search-link', onclick: async () => {
      const ok = await copyText(location.href);
      copy.textContent = ok ? 'Link copied' : 'Copy failed';
      window.setTimeout(() => (copy.textContent = 'Copy link'), 2000);
    } }, 'Copy link');
    replaceChildren(savedHost, pick, ...(saved.length ? [remove] : []), save, copy);
  }

  function replayTable(project: Project, first: Replay[]): { element: HTMLElement; add: (replays: Replay[]) => void } {
    const header = (label: string, key?: SortField): HTMLElement => {
      if (!key) return h('span', { role: 'columnheader' }, label);
      const active = state.sort === key;
      return h('span', { role: 'columnheader' }, h('button', {
        type: 'button',
        class: `sort-header${active ? ' active' : ''}`,
        'data-testid': `sort-${key}`,
        onclick: () => go({ ...state, sort: key, order: active && state.order === 'desc' ? 'asc' : 'desc' }),
      }, label, active ? (state.order === 'desc' ? ' ↓' : ' ↑') : ''));
    };
    const head = h(
      'div',
      { class: 'replay-row search-row replay-head', role: 'row' },
      header('Start time', 'start_time'),
      header('User'),
      header('Duration', 'duration'),
      header('Active', 'active_time'),
      header('Country'),
      header('First URL'),
      header('Signals', 'errors'),
    );
    const element = h('div', { class: 'replay-table', role: 'table', 'aria-label': 'Replays', 'data-testid': 'replay-list' }, head);
    const add = (replays: Replay[]): void => {
      element.append(...replays.map((r) => replayItem(r, project)));
    };
    add(first);
    return { element, add };
  }
}

/** A row of the list with its "Play" button (the player opens in a modal, player/modal.ts). */
function replayItem(replay: Replay, project: Project): HTMLElement {
  const play = h('button', {
    type: 'button',
    class: 'row-play',
    title: 'Play here',
    'aria-label': `Play the replay of ${replay.user_id ?? 'an anonymous user'} here`,
    'data-testid': 'row-play',
  });
  play.addEventListener('click', () => openPlayerModal(replay.id, { project: project.id }));
  return h(
    'div',
    { class: 'replay-item', role: 'none', 'data-key': replay.id, 'data-duration': String(replay.duration_ms) },
    replayRow(replay, project),
    play,
  );
}

function replayRow(replay: Replay, project: Project): HTMLElement {
  const timeZone = project.timezone;
  const started = new Date(replay.start_time);
  const errors = replay.console_error_count + replay.network_error_count;
  const badges = [
    errors > 0 ? h('span', { class: 'badge badge-error', title: `${replay.console_error_count} console, ${replay.network_error_count} network` }, `${errors} error${errors === 1 ? '' : 's'}`) : null,
    replay.rage_click_count > 0 ? h('span', { class: 'badge badge-rage' }, `${replay.rage_click_count} rage`) : null,
    replay.dead_click_count > 0 ? h('span', { class: 'badge badge-dead' }, `${replay.dead_click_count} dead`) : null,
  ];
  return h(
    'a',
    { class: 'replay-row search-row', role: 'row', href: `/replays/${encodeURIComponent(replay.id)}?project=${project.id}`, 'data-testid': 'replay-row', 'data-device': replay.device_id },
    h(
      'span',
      { role: 'cell', class: 'cell-time' },
      h('span', { class: 'play-spacer', 'aria-hidden': 'true' }),
      h('span', {}, h('span', { class: 'cell-main' }, formatDateTime(started, false, timeZone)), h('span', { class: 'cell-sub' }, relativeTime(started))),
    ),
    h(
      'span',
      { role: 'cell' },
      replay.user_id ? h('span', { class: 'cell-main' }, replay.user_id) : h('span', { class: 'cell-main muted' }, 'anonymous'),
      h('span', { class: 'cell-sub mono', title: replay.device_id }, `device ${shorten(replay.device_id, 12)}`),
    ),
    h('span', { role: 'cell', class: 'cell-main tabular' }, formatDuration(replay.duration_ms)),
    h('span', { role: 'cell', class: 'cell-main tabular' }, formatDuration(replay.active_ms)),
    h('span', { role: 'cell', class: 'cell-main', title: replay.country ?? '' }, countryName(replay.country)),
    h('span', { role: 'cell', class: 'cell-url', title: replay.first_url ?? '' }, replay.first_url ? displayUrl(replay.first_url) : '—'),
    h('span', { role: 'cell', class: 'cell-badges' }, ...badges),
  );
}

function noMatches(): HTMLElement {
  return h('div', { class: 'empty-state', 'data-testid': 'no-matches' },
    h('h2', {}, 'No replays match'),
    h('p', { class: 'muted' }, 'Try a longer date range, or remove a filter.'));
}

function emptyState(project: Project, start: string, end: string): HTMLElement {
  const origin = location.origin;
  return h(
    'div',
    { class: 'empty-state', 'data-testid': 'empty-state' },
    h('h2', {}, 'No replays yet'),
    h(
      'p',
      { class: 'muted' },
      `Nothing was recorded for ${project.name} between ${formatDay(start)} and ${formatDay(end)}. `,
      'Add reel to your site and sessions will show up here a few seconds after people visit it.',
    ),
    snippetBlock('reel SDK', 'Paste before </body> on every page you want to record.', reelSnippet(project.api_key, origin), 'install-snippet'),
    snippetBlock(
      'Already using Amplitude?',
      'Keep Amplitude’s Browser SDK and Session Replay plugin; point them at this server.',
      amplitudeSnippet(project.api_key, origin),
      'install-snippet-amplitude',
    ),
  );
}

/** "1,234 replays · Mar 1 – Mar 7, 2026", or "100 of more than 100" when the count gave up. */
function describeRange(start: string, end: string, page: ReplayPage, shown: number): string {
  const span = start === end ? formatDay(start) : `${formatDay(start)} – ${formatDay(end)}`;
  if (shown === 0) return span;
  const total = page.total ?? null;
  const count = total !== null
    ? `${total.toLocaleString()} replay${total === 1 ? '' : 's'}${shown < total ? ` (showing ${shown.toLocaleString()})` : ''}`
    : `${shown.toLocaleString()}${page.next_cursor ? '+' : ''} replays`;
  return `${count} · ${span}`;
}

/** A YYYY-MM-DD day for people ("Mar 4, 2026"), read as that calendar day wherever the viewer is. */
function formatDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}

export function relativeTime(date: Date): string {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

export function displayUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return raw;
    return `${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return raw;
  }
}

export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
