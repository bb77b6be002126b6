// /feedback — what viewers said about a project's replays (thumbs up/down with a comment),
// newest first. Managers and admins: the server answers 403 to others.

import { ApiError, getMe } from '../api';
import { h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import { listFeedback, type Feedback } from '../player/api';
import type { ViewContext } from '../router';

export function feedbackView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'feedback');
  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading feedback…'));
  main.append(
    h(
      'div',
      { class: 'page' },
      h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title' }, 'Replay feedback'), h('p', { class: 'page-summary' }, 'Thumbs up and down left on replays, with who left them and when.'))),
      body,
    ),
  );
  getMe()
    .then((me) => {
      const project = selectedProject(me, url)?.id;
      return listFeedback(project, signal).then((all) => ({ all, project }));
    })
    .then(
    ({ all, project }) => replaceChildren(body, all.length ? table(all, project) : notice('info', 'No feedback yet', 'Viewers leave it with the thumbs on a replay.', 'feedback-empty')),
    (err: unknown) => {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      const forbidden = err instanceof ApiError && err.status === 403;
      replaceChildren(
        body,
        notice('error', forbidden ? 'Only managers and admins see feedback' : 'Could not load feedback', forbidden ? undefined : err instanceof Error ? err.message : String(err), 'feedback-error'),
      );
    },
  );
}

function table(all: Feedback[], project: number | undefined): HTMLElement {
  return h(
    'table',
    { class: 'feedback-table', 'data-testid': 'feedback-list' },
    h('thead', {}, h('tr', {}, ...['When', 'Who', 'Rating', 'Comment', 'Replay'].map((label) => h('th', {}, label)))),
    h(
      'tbody',
      {},
      ...all.map((f) =>
        h(
          'tr',
          { 'data-testid': 'feedback-row' },
          h('td', { class: 'tabular' }, formatDateTime(new Date(f.created_at), true)),
          h('td', {}, f.user.email),
          h('td', { class: f.rating === 'down' ? 'rating-down' : 'rating-up' }, f.rating === 'down' ? 'Thumbs down' : 'Thumbs up'),
          h('td', { 'data-testid': 'feedback-row-comment' }, f.comment ?? h('span', { class: 'muted' }, '—')),
          h('td', {}, h('a', { href: `/replays/${encodeURIComponent(f.replay_id)}${project === undefined ? '' : `?project=${project}`}` }, 'Watch')),
        ),
      ),
    ),
  );
}
