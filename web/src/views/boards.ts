// /dashboards and /notebooks — lists (create, rename, delete, put in order) and one board: its
// charts run when it opens (with the board's shared date range, if set), its replays play from
// the moment they were added at, a notebook's text sits between them. Items can be moved,
// removed, and (in notebooks) text added. A board's URL shares it.

import { ApiError, getMe, type Project } from '../api';
import { boardRequest, deleteBoard, getBoard, listBoards, orderBoards, putBoard, createBoard, runChart, type Board, type BoardItem, type BoardKind, type ChartSpec } from '../analytics-api';
import { renderAnswer } from '../chart-render';
import { copyText, h, replaceChildren } from '../dom';
import { notice, renderShell, selectedProject } from '../layout';
import { navigate, type ViewContext } from '../router';
import { addDaysToDay, dayInZone } from '../search-state';
import { browseReplays, openMicroscope } from './microscope';

const label = (kind: BoardKind): string => (kind === 'dashboard' ? 'Dashboards' : 'Notebooks');
const path = (kind: BoardKind): string => (kind === 'dashboard' ? '/dashboards' : '/notebooks');

export function boardsView(kind: BoardKind) {
  return ({ root, url, signal }: ViewContext): void => {
    const main = renderShell(root, url, kind === 'dashboard' ? 'dashboards' : 'notebooks');
    const list = h('div', { class: 'list-body' }, notice('loading', 'Loading…'));
    const name = h('input', { type: 'text', placeholder: 'Name', 'data-testid': 'new-board-name' });
    const create = h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'new-board' }, kind === 'dashboard' ? 'New dashboard' : 'New notebook');
    main.append(h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, label(kind)), h('div', { class: 'chart-row' }, name, create)), list));
    let project: Project | undefined;
    const load = async (): Promise<void> => {
      try {
        project = selectedProject(await getMe(), url);
        draw(await listBoards(project?.id, kind, signal));
      } catch (err) {
        if (!signal.aborted && !(err instanceof ApiError && err.status === 401)) replaceChildren(list, notice('error', 'Could not load', err instanceof Error ? err.message : String(err)));
      }
    };
    const draw = (boards: Board[]): void => {
      replaceChildren(list, boards.length
        ? h('ul', { class: 'cohort-list' }, ...boards.map((b, i) => h('li', { class: 'cohort-item', 'data-testid': 'board' },
            h('a', { href: `${path(kind)}/${b.id}${project && url.searchParams.get('project') ? `?project=${project.id}` : ''}` }, b.name),
            h('span', { class: 'muted' }, ` ${b.items.length} items`),
            h('div', { class: 'cohort-actions' },
              h('button', { type: 'button', class: 'button button-small', disabled: i === 0, 'aria-label': 'Move up', onclick: async () => {
                const ids = boards.map((x) => x.id);
                [ids[i - 1], ids[i]] = [ids[i] ?? 0, ids[i - 1] ?? 0];
                draw(await orderBoards(project?.id, kind, ids));
              } }, '↑'),
              h('button', { type: 'button', class: 'button button-small', onclick: async () => {
                const next = window.prompt('New name', b.name);
                if (!next) return;
                await putBoard(project?.id, kind, b.id, { ...boardRequest(b), name: next });
                void load();
              } }, 'Rename'),
              h('button', { type: 'button', class: 'button button-quiet button-small', onclick: async () => {
                if (!window.confirm(`Delete “${b.name}”?`)) return;
                await deleteBoard(project?.id, kind, b.id);
                void load();
              } }, 'Delete')))))
        : notice('info', `No ${kind}s yet`, kind === 'dashboard' ? 'Add charts and replays from a chart, the Microscope, the player or User Look-Up.' : 'A notebook holds text between charts and replays.', 'no-boards'));
    };
    create.addEventListener('click', async () => {
      const board = await createBoard(project?.id, kind, { name: name.value.trim() || `New ${kind}`, items: [] });
      navigate(`${path(kind)}/${board.id}`);
    });
    void load();
  };
}

export function boardView(kind: BoardKind) {
  return ({ root, url, params, signal }: ViewContext): void => {
    const main = renderShell(root, url, kind === 'dashboard' ? 'dashboards' : 'notebooks');
    const body = h('div', { class: 'page board-page' }, notice('loading', 'Loading…'));
    main.append(body);
    const id = Number(params.id);
    let project: Project | undefined;
    let board: Board | null = null;

    const save = async (change: (b: Board) => void): Promise<void> => {
      if (!board) return;
      const next = structuredClone(board);
      change(next);
      board = await putBoard(project?.id, kind, id, boardRequest(next));
      draw();
    };

    const draw = (): void => {
      if (!board) return;
      const b = board;
      const today = dayInZone(new Date(), project?.timezone ?? 'UTC');
      const range = b.date_range;
      const days = h('select', { 'data-testid': 'board-range' }, h('option', { value: '' }, 'each chart’s own dates'),
        ...[7, 30, 90].map((d) => h('option', { value: String(d), selected: range?.last_days === d }, `last ${d} days, every chart`)));
      days.addEventListener('change', () => void save((x) => { if (days.value) x.date_range = { last_days: Number(days.value) }; else delete x.date_range; }));
      const copy = h('button', { type: 'button', class: 'button', 'data-testid': 'copy-board-url', onclick: () => void copyText(location.href) }, 'Copy URL');
      const items = h('div', { class: 'board-items' }, ...b.items.map((item, i) => h('section', { class: 'board-item', 'data-testid': `board-item-${item.type}` },
        h('div', { class: 'board-item-tools' },
          h('button', { type: 'button', class: 'button button-quiet button-small', disabled: i === 0, 'aria-label': 'Move up', onclick: () => void save((x) => { const [it] = x.items.splice(i, 1); if (it) x.items.splice(i - 1, 0, it); }) }, '↑'),
          h('button', { type: 'button', class: 'button button-quiet button-small', disabled: i + 1 === b.items.length, 'aria-label': 'Move down', onclick: () => void save((x) => { const [it] = x.items.splice(i, 1); if (it) x.items.splice(i + 1, 0, it); }) }, '↓'),
          h('button', { type: 'button', class: 'button button-quiet button-small', 'aria-label': 'Remove', onclick: () => void save((x) => { x.items.splice(i, 1); }) }, 'Remove')),
        itemView(item, range ? { start: addDaysToDay(today, -(range.last_days ?? 30) + 1), end: today } : null))));
      const addText = kind === 'notebook'
        ? h('button', { type: 'button', class: 'button button-small', 'data-testid': 'add-text', onclick: () => {
            const text = window.prompt('Text');
            if (text) void save((x) => { x.items.push({ type: 'text', text }); });
          } }, '+ Text')
        : null;
      replaceChildren(body,
        h('div', { class: 'page-head' }, h('h1', { class: 'page-title', 'data-testid': 'board-title' }, b.name), h('div', { class: 'chart-row' }, kind === 'dashboard' ? days : null, copy, addText)),
        b.items.length ? items : notice('info', 'Nothing here yet', 'Add a chart from Charts, or a replay from the player, the Microscope or User Look-Up.', 'empty-board'));
    };

    const itemView = (item: BoardItem, shared: { start: string; end: string } | null): HTMLElement => {
      switch (item.type) {
        case 'text':
          return h('div', { class: 'board-text', 'data-testid': 'board-text' }, ...item.text.split('\n').map((line) => h('p', {}, line)));
        case 'replay':
          return h('div', { class: 'board-replay' },
            h('strong', {}, item.title ?? 'Replay'), ' ',
            h('button', { type: 'button', class: 'button button-small button-primary', 'data-testid': 'board-play', onclick: () => browseReplays([{ replay_id: item.replay_id, moment_ms: (item.start_ms ?? 0) + 2_000 }], 0) }, 'Play'),
            ' ', h('a', { href: `/replays/${encodeURIComponent(item.replay_id)}` }, 'Open'));
        case 'chart': {
          const chart: ChartSpec = shared ? { ...item.chart, start: shared.start, end: shared.end } : item.chart;
          const result = h('div', { 'data-testid': 'board-chart' }, notice('loading', 'Counting…'));
          const microscope = h('div', {});
          void runChart(project?.id, chart, signal).then(
            (answer) => replaceChildren(result, renderAnswer(answer, 'line', (point, text) => openMicroscope(microscope, project?.id, chart, point, text, project?.timezone ?? 'UTC'))),
            (err: unknown) => { if (!signal.aborted) replaceChildren(result, notice('error', 'The chart could not be drawn', err instanceof Error ? err.message : String(err))); },
          );
          return h('div', { class: 'board-chart' }, h('h2', {}, item.title ?? chart.kind), h('a', { href: `/charts?chart=${encodeURIComponent(JSON.stringify(item.chart))}`, class: 'muted' }, 'Open in Charts'), result, microscope);
        }
      }
    };

    void (async () => {
      try {
        project = selectedProject(await getMe(), url);
        board = await getBoard(project?.id, kind, id, signal);
        draw();
      } catch (err) {
        if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        replaceChildren(body, notice(err instanceof ApiError && err.status === 404 ? 'info' : 'error', err instanceof ApiError && err.status === 404 ? `No such ${kind}` : 'Could not load', err instanceof Error ? err.message : String(err)));
      }
    })();
  };
}
