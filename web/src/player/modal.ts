// The player in a modal: what the replay list (and later the home page and charts) open with
// "Play". Same component as the `/replays/{id}` page (replay-view.ts); a link goes to that page
// at the moment being watched.

import { h } from '../dom';
import { icon } from './icons';
import { mountReplayView, type ReplayViewHandle } from './replay-view';

export interface PlayerModalOptions {
  /** Where to start, in ms from the beginning of the replay. */
  startAt?: number;
  /** The replay's project (none: your first). */
  project?: number | undefined;
  /** Called once the modal is closed (by its button, Escape, or navigation). */
  onClose?: () => void;
}

export interface PlayerModal {
  close(): void;
  view: ReplayViewHandle;
  element: HTMLDialogElement;
}

export function openPlayerModal(replayId: string, options: PlayerModalOptions = {}): PlayerModal {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const controller = new AbortController();
  const title = h('h2', { class: 'modal-title', id: `modal-title-${Date.now()}` }, 'Replay');
  const pageHref = (at?: number): string => {
    const params = new URLSearchParams();
    if (options.project !== undefined) params.set('project', String(options.project));
    if (at !== undefined) params.set('t', String(Math.round(at)));
    const query = params.toString();
    return `/replays/${encodeURIComponent(replayId)}${query ? `?${query}` : ''}`;
  };
  const pageLink = h('a', { class: 'button button-small', href: pageHref(), 'data-testid': 'modal-open-page' }, 'Open replay page');
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', title: 'Close (Esc)', 'data-testid': 'modal-close' }, icon('close'));
  const body = h('div', { class: 'modal-body' });
  const dialog = h(
    'dialog',
    { class: 'player-modal', 'aria-labelledby': title.id, 'data-testid': 'player-modal' },
    h('div', { class: 'modal-bar' }, title, pageLink, closeButton),
    body,
  );
  document.body.append(dialog);
  const params = new URLSearchParams();
  if (options.startAt !== undefined) params.set('t', String(Math.max(0, Math.round(options.startAt))));
  const view = mountReplayView(body, replayId, {
    mode: 'modal',
    project: options.project,
    params,
    signal: controller.signal,
    onTitle: (text) => (title.textContent = text),
  });

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    controller.abort();
    view.destroy();
    window.removeEventListener('popstate', close);
    if (dialog.open) dialog.close();
    dialog.remove();
    opener?.focus();
    options.onClose?.();
  };
  // The page link leaves for the full page at the moment being watched (the router follows it).
  pageLink.addEventListener('click', () => {
    const at = view.player()?.currentTime();
    if (at !== undefined) pageLink.href = pageHref(at);
    queueMicrotask(close);
  });
  closeButton.addEventListener('click', close);
  dialog.addEventListener('close', close);
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  window.addEventListener('popstate', close);
  dialog.showModal();
  closeButton.focus();
  return { close, view, element: dialog };
}
