// A list that refreshes itself: polls the first page every few seconds and puts what is new at
// the top, without re-rendering what is there. The viewer keeps their place (when scrolled
// down, the page scrolls by what was inserted above), their focus (no row they may have focused
// is replaced) and their filters (the caller's fetch uses them).
//
// Used by the replay list (views/replays.ts): any list of items with a stable key can use it.

export interface LiveListOptions<T> {
  /** The element the rows are children of. */
  container: HTMLElement;
  /** The first page as the list shows it, newest first. */
  fetchFirstPage: (signal: AbortSignal) => Promise<T[]>;
  keyOf: (item: T) => string;
  render: (item: T) => HTMLElement;
  /** Keys of the rows already shown. */
  shown: Iterable<string>;
  /** The row new rows go before (the first data row); null appends. */
  firstRow: () => Element | null;
  /** Stops polling when aborted (leaving the view). */
  signal: AbortSignal;
  intervalMs?: number;
  /** A row already shown, with fresh data (a session still recording grew): its replacement, or null to keep it. */
  refresh?: (item: T, row: HTMLElement) => HTMLElement | null;
  /** After new rows were inserted. */
  onInserted?: (items: T[]) => void;
}

export interface LiveList {
  /** Polls now (tests and the "new replays" hint use it). */
  poll(): Promise<void>;
  stop(): void;
}

export const LIVE_LIST_INTERVAL_MS = 5_000;

export function startLiveList<T>(options: LiveListOptions<T>): LiveList {
  const rows = new Map<string, HTMLElement | null>();
  for (const key of options.shown) {
    const row = [...options.container.children].find((el) => el instanceof HTMLElement && el.dataset.key === key);
    rows.set(key, row instanceof HTMLElement ? row : null);
  }
  let timer: number | undefined;
  let running = false;
  let stopped = false;

  const schedule = (): void => {
    window.clearTimeout(timer);
    if (!stopped) timer = window.setTimeout(() => void poll(), options.intervalMs ?? LIVE_LIST_INTERVAL_MS);
  };

  async function poll(): Promise<void> {
    if (stopped || running) return;
    if (document.hidden) {
      schedule();
      return;
    }
    running = true;
    try {
      const items = await options.fetchFirstPage(options.signal);
      if (stopped) return;
      const fresh = items.filter((item) => !rows.has(options.keyOf(item)));
      if (fresh.length > 0) insert(fresh);
      if (options.refresh) {
        for (const item of items) {
          const row = rows.get(options.keyOf(item));
          if (!row?.isConnected || row.contains(document.activeElement)) continue;
          const next = options.refresh(item, row);
          if (next) {
            next.dataset.key = options.keyOf(item);
            row.replaceWith(next);
            rows.set(options.keyOf(item), next);
          }
        }
      }
    } catch {
      // A failed poll is retried at the next interval; the list shown stays valid.
    } finally {
      running = false;
      schedule();
    }
  }

  function insert(items: T[]): void {
    const scroller = document.scrollingElement ?? document.documentElement;
    const before = options.firstRow();
    const beforeTop = before instanceof HTMLElement ? before.getBoundingClientRect().top : null;
    const fragment = document.createDocumentFragment();
    for (const item of items) {
      const row = options.render(item);
      row.dataset.key = options.keyOf(item);
      row.classList.add('is-new');
      rows.set(options.keyOf(item), row);
      fragment.append(row);
    }
    options.container.insertBefore(fragment, before);
    // Scrolled down: keep what the viewer was looking at where it was.
    if (before instanceof HTMLElement && beforeTop !== null && scroller.scrollTop > 0) {
      const moved = before.getBoundingClientRect().top - beforeTop;
      if (moved > 0) scroller.scrollTop += moved;
    }
    options.onInserted?.(items);
  }

  options.signal.addEventListener('abort', () => stop(), { once: true });
  schedule();

  function stop(): void {
    stopped = true;
    window.clearTimeout(timer);
  }

  return { poll, stop };
}
