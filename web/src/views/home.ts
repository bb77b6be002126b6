// / — Home: the Session Replay widget, like the product we follow: 100 sessions of the past 7
// days (start time, user id, length, country), each with Play, and "See all" for the list with
// that range.

import { ApiError, getMe, searchReplays, type Project, type Replay } from '../api';
import { h, replaceChildren } from '../dom';
import { countryName, formatDateTime, formatDuration } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import { openPlayerModal } from '../player/modal';
import type { ViewContext } from '../router';
import { dayInZone, presetRange } from '../search-state';

const WIDGET_SESSIONS = 100;

export function homeView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'home');
  const project = url.searchParams.get('project');
  const seeAll = h('a', { class: 'button button-small', href: `/replays?${new URLSearchParams({ ...(project ? { project } : {}), range: '7d' })}`, 'data-testid': 'see-all' }, 'See all');
  const body = h('div', { class: 'widget-body' }, notice('loading', 'Loading sessions…', undefined, 'loading'));
  main.append(
    h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, 'Home')),
      h('section', { class: 'widget', 'data-testid': 'replay-widget', 'aria-labelledby': 'replay-widget-title' },
        h('div', { class: 'widget-head' },
          h('div', {}, h('h2', { id: 'replay-widget-title' }, 'Session Replay'), h('p', { class: 'muted' }, 'Sessions captured over the past 7 days')),
          seeAll),
        body)),
  );
  void load();

  async function load(): Promise<void> {
    try {
      const me = await getMe();
      const chosen = selectedProject(me, url);
      if (!chosen) {
        replaceChildren(body, notice('info', 'No project yet', 'Your organization has no project to show sessions for.'));
        return;
      }
      const { start, end } = presetRange('7d', dayInZone(new Date(), chosen.timezone));
      const page = await searchReplays({ start, end, limit: WIDGET_SESSIONS, count: false }, chosen.id, signal);
      if (signal.aborted) return;
      replaceChildren(body, page.replays.length ? widgetTable(chosen, page.replays) : notice('info', 'No sessions in the past 7 days', 'Sessions show up here a few seconds after people visit your site.', 'widget-empty'));
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(body, notice('error', 'Could not load sessions', err instanceof Error ? err.message : String(err), 'error-state'));
    }
  }
}

function widgetTable(project: Project, replays: Replay[]): HTMLElement {
  return h('div', { class: 'widget-table', role: 'table', 'aria-label': 'Sessions of the past 7 days' },
    h('div', { class: 'widget-row widget-head-row', role: 'row' },
      ...['', 'Start time', 'User', 'Length', 'Country'].map((label) => h('span', { role: 'columnheader' }, label))),
    ...replays.map((replay) =>
      h('div', { class: 'widget-row', role: 'row', 'data-testid': 'widget-row' },
        h('span', { role: 'cell' }, playControl(project, replay)),
        h('span', { role: 'cell', class: 'cell-main' }, formatDateTime(new Date(replay.start_time), false, project.timezone)),
        h('span', { role: 'cell', class: `cell-main${replay.user_id ? '' : ' muted'}` }, replay.user_id ?? 'anonymous'),
        h('span', { role: 'cell', class: 'cell-main tabular' }, formatDuration(replay.duration_ms)),
        h('span', { role: 'cell', class: 'cell-main' }, countryName(replay.country)))),
  );
}

/**
 * Play: opens the player in a modal over the home page. It stays a link to the player page, so
 * it works without script and with ctrl-click (a new tab).
 */
function playControl(project: Project, replay: Replay): HTMLElement {
  return h('a', {
    class: 'button button-small play-button',
    href: `/replays/${encodeURIComponent(replay.id)}?project=${project.id}`,
    'data-testid': 'widget-play',
    'aria-label': `Play the session of ${replay.user_id ?? 'an anonymous user'}`,
    onclick: (event: Event) => {
      if (!(event instanceof MouseEvent)) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      openPlayerModal(replay.id, { project: project.id });
    },
  }, '▶ Play');
}
