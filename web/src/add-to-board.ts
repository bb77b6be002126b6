// "Add to dashboard": puts a chart or a replay (with the moment it starts at) on a dashboard or
// notebook the person picks, or on a new one.

import { ApiError } from './api';
import { boardRequest, createBoard, listBoards, putBoard, type BoardItem, type BoardKind } from './analytics-api';
import { h } from './dom';

export async function addToBoard(project: number | undefined, item: BoardItem): Promise<void> {
  const dialog = h('dialog', { class: 'board-picker', 'data-testid': 'board-picker' });
  const kind = h('select', { 'data-testid': 'board-kind' }, h('option', { value: 'dashboard' }, 'Dashboard'), h('option', { value: 'notebook' }, 'Notebook'));
  const target = h('select', { 'data-testid': 'board-target' });
  const name = h('input', { type: 'text', placeholder: 'Name of a new one', 'data-testid': 'board-new-name' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const add = h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'board-add' }, 'Add');
  const cancel = h('button', { type: 'button', class: 'button button-quiet' }, 'Cancel');
  dialog.append(h('h2', {}, item.type === 'chart' ? 'Add the chart to…' : 'Add the replay to…'),
    h('div', { class: 'chart-row' }, kind, target), h('div', { class: 'chart-row' }, name), error, h('div', { class: 'chart-row' }, add, cancel));
  document.body.append(dialog);
  dialog.showModal();
  const fill = async (): Promise<void> => {
    const boards = await listBoards(project, kind.value as BoardKind).catch(() => []);
    target.replaceChildren(h('option', { value: '' }, '— a new one —'), ...boards.map((b) => h('option', { value: String(b.id) }, b.name)));
    if (boards.length) target.value = String(boards[boards.length - 1]?.id ?? '');
  };
  kind.addEventListener('change', () => void fill());
  await fill();
  await new Promise<void>((done) => {
    const finish = (): void => { dialog.close(); dialog.remove(); done(); };
    cancel.addEventListener('click', finish);
    dialog.addEventListener('cancel', finish);
    add.addEventListener('click', async () => {
      const boardKind = kind.value as BoardKind;
      try {
        if (target.value) {
          const boards = await listBoards(project, boardKind);
          const board = boards.find((b) => String(b.id) === target.value);
          if (board) {
            const body = boardRequest(board);
            body.items = [...(body.items ?? []), item];
            await putBoard(project, boardKind, board.id, body);
          }
        } else {
          await createBoard(project, boardKind, { name: name.value.trim() || (item.type === 'chart' ? 'New dashboard' : 'Replays'), items: [item] });
        }
        finish();
      } catch (err) {
        error.hidden = false;
        error.textContent = err instanceof ApiError ? err.message : String(err);
      }
    });
  });
}
