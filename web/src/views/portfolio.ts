// /portfolio — the newest replays across every project you may watch, each with its project.
// Like the product we follow, sessions are not stitched across projects: one person's visits to
// two projects are two replays.

import { ApiError } from '../api';
import { h, replaceChildren } from '../dom';
import { countryName, formatDateTime, formatDuration } from '../format';
import { notice, renderShell } from '../layout';
import { openPlayerModal } from '../player/modal';
import type { ViewContext } from '../router';
import { listPortfolio, type PortfolioReplay } from '../team-api';

export function portfolioView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'portfolio');
  const days = Math.min(90, Math.max(1, Number(url.searchParams.get('days') ?? 7) || 7));
  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading sessions…'));
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {},
      h('h1', { class: 'page-title' }, 'Portfolio'),
      h('p', { class: 'page-summary' }, `Sessions of the past ${days} days across your projects.`))),
    body));
  listPortfolio(days, signal).then(
    (replays) => replaceChildren(body, replays.length ? table(replays) : notice('info', 'No sessions yet', undefined, 'portfolio-empty')),
    (err: unknown) => {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(body, notice('error', 'Could not load sessions', err instanceof Error ? err.message : String(err)));
    },
  );
}

function table(replays: PortfolioReplay[]): HTMLElement {
  return h('table', { class: 'data-table', 'data-testid': 'portfolio' },
    h('thead', {}, h('tr', {}, ...['', 'Project', 'Start time', 'User', 'Length', 'Country'].map((t) => h('th', {}, t)))),
    h('tbody', {}, ...replays.map((r) =>
      h('tr', { 'data-testid': 'portfolio-row', 'data-project': String(r.project_id) },
        h('td', {}, h('a', {
          class: 'button button-small play-button',
          href: `/replays/${encodeURIComponent(r.id)}?project=${r.project_id}`,
          onclick: (event: Event) => {
            if (!(event instanceof MouseEvent) || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
            event.preventDefault();
            openPlayerModal(r.id, { project: r.project_id });
          },
        }, '▶ Play')),
        h('td', {}, r.project_name),
        h('td', { class: 'tabular' }, formatDateTime(new Date(r.start_time))),
        h('td', { class: r.user_id ? '' : 'muted' }, r.user_id ?? 'anonymous'),
        h('td', { class: 'tabular' }, formatDuration(r.duration_ms)),
        h('td', {}, countryName(r.country))))));
}
