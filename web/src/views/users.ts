// /users — User Look-Up: find a user by user id, device id or a property; /users/{id} shows
// their current properties, first and last seen, devices, and their event stream grouped by
// session, newest first. "Play Session" docks the replay to the right, synced with the stream:
// the playing event is highlighted and clicking an event seeks there. "Copy URL" shares the
// user, the session playing and the moment.

import { ApiError, getMe, type Project } from '../api';
import { findUsers, getUser, type StreamSession, type UserProfile } from '../analytics-api';
import { copyText, h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { notice, renderShell, selectedProject } from '../layout';
import { readableLabel } from '../player/activity';
import { mountReplayView, type ReplayViewHandle } from '../player/replay-view';
import { navigate, type ViewContext } from '../router';
import { addToBoard } from '../add-to-board';

const projectSuffix = (url: URL): string => (url.searchParams.get('project') ? `project=${encodeURIComponent(url.searchParams.get('project') ?? '')}` : '');

export function usersView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'users');
  const by = h('select', { 'data-testid': 'lookup-by' }, h('option', { value: 'user_id' }, 'User id'), h('option', { value: 'device_id' }, 'Device id'), h('option', { value: 'property' }, 'User property'));
  const text = h('input', { type: 'search', placeholder: 'user id, device id or property name', 'data-testid': 'lookup-text', value: url.searchParams.get('q') ?? '' });
  const value = h('input', { type: 'text', placeholder: 'value', hidden: true, 'data-testid': 'lookup-value' });
  const results = h('div', { class: 'list-body', 'data-testid': 'lookup-results' });
  const form = h('form', { class: 'search-form', 'data-testid': 'lookup-form' }, by, text, value, h('button', { type: 'submit', class: 'button button-primary' }, 'Find'));
  by.addEventListener('change', () => (value.hidden = by.value !== 'property'));
  main.append(h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, 'User Look-Up')), form, results));
  // Before a search, and for an empty one: who was active last.
  async function show(kind: 'user_id' | 'device_id' | 'property' | 'recent', q: string): Promise<void> {
    try {
      const project = selectedProject(await getMe(), url);
      const found = await findUsers(project?.id, kind, q, value.value.trim(), signal);
      if (signal.aborted) return;
      const suffix = projectSuffix(url);
      const list = found.users.length
        ? h('ul', { class: 'cohort-list' }, ...found.users.map((u) => {
            const href = u.user_id ? `/users/${encodeURIComponent(u.user_id)}${suffix ? `?${suffix}` : ''}` : `/users/${encodeURIComponent(u.device_ids[0] ?? '')}?by=device_id${suffix ? `&${suffix}` : ''}`;
            return h('li', { class: 'cohort-item', 'data-testid': 'found-user' },
              h('a', { href }, u.user_id ?? `anonymous (${u.device_ids[0] ?? '?'})`),
              h('span', { class: 'muted' }, ` ${u.event_count} events, last seen ${formatDateTime(new Date(u.last_seen), false, project?.timezone)}`));
          }))
        : kind === 'recent'
          ? notice('info', 'No users yet', 'Users appear here once events with a user or device id arrive, from Amplitude\'s SDKs, reel\'s SDK or the HTTP API.', 'no-user')
          : notice('info', 'No user found', undefined, 'no-user');
      replaceChildren(results, kind === 'recent' && found.users.length ? h('h2', { 'data-testid': 'recent-users' }, 'Active last') : null, list);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) replaceChildren(results, notice('error', 'Could not search', err instanceof Error ? err.message : String(err)));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = text.value.trim();
    void (q ? show(by.value as 'user_id' | 'device_id' | 'property', q) : show('recent', ''));
  });
  const initial = text.value.trim();
  void (initial ? show(by.value as 'user_id' | 'device_id' | 'property', initial) : show('recent', ''));
}

export function userView({ root, url, params, signal }: ViewContext): void {
  const main = renderShell(root, url, 'users');
  const id = params.id ?? '';
  const byDevice = url.searchParams.get('by') === 'device_id';
  const body = h('div', { class: 'page user-page' }, notice('loading', 'Loading the user…'));
  main.append(body);
  let project: Project | undefined;
  let dock: { handle: ReplayViewHandle; session: StreamSession; timer: number } | null = null;
  const rows = new Map<StreamSession, { time: number; row: HTMLElement }[]>();
  signal.addEventListener('abort', () => undock());

  function undock(): void {
    if (!dock) return;
    window.clearInterval(dock.timer);
    dock.handle.destroy();
    dock = null;
  }

  function play(session: StreamSession, at: number | null, dockHost: HTMLElement, controller: AbortController): void {
    if (!session.replay_id) return;
    undock();
    dockHost.replaceChildren();
    const params = new URLSearchParams();
    const host = h('div', { class: 'user-dock', 'data-testid': 'user-dock' });
    dockHost.append(host);
    const handle = mountReplayView(host, session.replay_id, { mode: 'modal', params, signal: controller.signal });
    const timer = window.setInterval(() => {
      const player = handle.player();
      if (!player) return;
      const moment = player.currentMoment();
      let playing: HTMLElement | null = null;
      for (const r of rows.get(session) ?? []) {
        r.row.classList.remove('playing');
        if (r.time <= moment && !playing) playing = r.row;
      }
      playing?.classList.add('playing');
    }, 300);
    dock = { handle, session, timer };
    if (at !== null) {
      const seek = window.setInterval(() => {
        const player = handle.player();
        if (!player) return;
        window.clearInterval(seek);
        player.jumpTo(at);
      }, 100);
      controller.signal.addEventListener('abort', () => window.clearInterval(seek));
    }
    const address = new URL(location.href);
    address.searchParams.set('play', session.replay_id);
    history.replaceState(null, '', address.pathname + address.search);
  }

  void (async () => {
    try {
      project = selectedProject(await getMe(), url);
      const user: UserProfile = await getUser(project?.id, id, byDevice, undefined, signal);
      if (signal.aborted) return;
      const timeZone = project?.timezone ?? 'UTC';
      const dockHost = h('aside', { class: 'user-dock-host' }, h('p', { class: 'muted' }, 'Press “Play Session” beside a session to watch it here.'));
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort());
      const copy = h('button', { type: 'button', class: 'button', 'data-testid': 'copy-user-url' }, 'Copy URL');
      const copied = h('input', { type: 'text', class: 'copied-link', readonly: true, hidden: true, 'data-testid': 'copied-user-url' });
      copy.addEventListener('click', async () => {
        const link = new URL(location.href);
        const at = dock?.handle.player()?.currentMoment();
        if (dock && at !== undefined) link.searchParams.set('t', String(Math.round(at)));
        copied.value = link.href;
        copied.hidden = false;
        await copyText(link.href);
        copy.textContent = 'URL copied';
      });
      const properties = Object.entries(user.properties as Record<string, unknown>);
      const stream = h('div', { class: 'user-stream', 'data-testid': 'user-stream' }, ...user.sessions.map((s, si) => {
        const header = h('div', { class: 'stream-session-head' },
          h('strong', {}, s.session_id ? `Session ${formatDateTime(new Date(s.session_id), false, timeZone)}` : 'Outside a session'),
          s.has_replay
            ? h('span', {},
                ' ',
                h('button', { type: 'button', class: 'button button-small button-primary', 'data-testid': `play-session-${si}`, onclick: () => play(s, null, dockHost, controller) }, 'Play Session'),
                ' ',
                h('button', { type: 'button', class: 'button button-quiet button-small', onclick: () => void addToBoard(project?.id, { type: 'replay', replay_id: s.replay_id ?? '', start_ms: dock?.session === s ? Math.round(dock.handle.player()?.currentMoment() ?? 0) : (s.events[s.events.length - 1]?.time_ms ?? null) }) }, 'Add to dashboard'))
            : h('span', { class: 'muted' }, s.session_id ? ' no replay' : ''));
        const list: { time: number; row: HTMLElement }[] = [];
        const events = h('ol', { class: 'stream-events' }, ...s.events.map((e) => {
          const row = h('li', { class: 'stream-event', 'data-testid': 'stream-event', title: JSON.stringify(e.properties) },
            h('span', { class: 'item-time' }, formatDateTime(new Date(e.time_ms), true, timeZone)), ' ',
            h('span', { title: e.event_type }, readableLabel({ event_type: e.event_type, display_name: e.display_name ?? '', event_properties: e.properties as Record<string, unknown> })));
          if (s.has_replay) row.addEventListener('click', () => {
            const player = dock?.session === s ? dock.handle.player() : null;
            if (player) player.jumpTo(e.time_ms);
            else play(s, e.time_ms, dockHost, controller);
          });
          list.push({ time: e.time_ms, row });
          return row;
        }));
        rows.set(s, list);
        return h('section', { class: 'stream-session', 'data-testid': 'stream-session' }, header, events);
      }));
      replaceChildren(body,
        h('div', { class: 'page-head' },
          h('div', {}, h('h1', { class: 'page-title', 'data-testid': 'user-title' }, user.user.user_id ?? `Anonymous device ${id}`),
            h('p', { class: 'page-summary' }, `First seen ${formatDateTime(new Date(user.user.first_seen), false, timeZone)} · last seen ${formatDateTime(new Date(user.user.last_seen), false, timeZone)} · ${user.user.event_count} events · devices ${user.user.device_ids.join(', ')}`)),
          h('div', {}, copy)),
        copied,
        h('div', { class: 'user-layout' },
          h('div', { class: 'user-main' },
            h('h2', {}, 'Properties'),
            properties.length
              ? h('table', { class: 'property-table', 'data-testid': 'user-properties' }, h('tbody', {}, ...properties.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, typeof v === 'string' ? v : JSON.stringify(v))))))
              : h('p', { class: 'muted' }, 'No properties.'),
            h('h2', {}, 'Activity'),
            user.sessions.length ? stream : h('p', { class: 'muted' }, 'No events.')),
          dockHost));
      const wanted = url.searchParams.get('play');
      const session = user.sessions.find((s) => s.replay_id === wanted && s.has_replay);
      if (session) {
        const t = Number(url.searchParams.get('t'));
        play(session, Number.isFinite(t) && t > 0 ? t : null, dockHost, controller);
      }
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      if (err instanceof ApiError && err.status === 404) {
        replaceChildren(body, notice('info', 'No such user', `Nobody with ${byDevice ? 'device id' : 'user id'} ${id} in this project.`, 'no-user'), h('p', {}, h('a', { href: '/users', onclick: (e: Event) => { e.preventDefault(); navigate('/users'); } }, 'Find another user')));
        return;
      }
      replaceChildren(body, notice('error', 'Could not load the user', err instanceof Error ? err.message : String(err)));
    }
  })();
}
