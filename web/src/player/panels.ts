// The panels beside the player: Activity (what the user did), Console and Network (what the
// page logged and requested). Each lists its items in time order with filters, highlights the
// item current at the playhead, and seeks to an item when it is clicked. Counts on each tab.

import { h } from '../dom';
import { formatClock } from '../format';
import { ACTIVITY_KINDS, currentIndex, filterActivity, type ActivityItem, type ActivityKind } from './activity';
import type { ConsoleEntry, NetworkEntry } from './api';
import {
  countByGroup,
  filterConsole,
  filterNetwork,
  formatDuration,
  LEVEL_GROUPS,
  levelGroup,
  redactUrl,
  statusText,
  type LevelGroup,
  type NetworkFilter,
} from './devtools';

export interface PanelsOptions {
  /** The recording's start (epoch ms), for the times shown. */
  startMs: () => number;
  /** Seek to a moment (epoch ms): the player lands a little before it and plays. */
  jumpTo(time: number): void;
}

export interface PanelsHandle {
  element: HTMLElement;
  setActivity(items: ActivityItem[], note?: string): void;
  setConsole(entries: ConsoleEntry[], truncated: boolean): void;
  setNetwork(entries: NetworkEntry[], truncated: boolean): void;
  setFailed(what: 'activity' | 'timeline', message: string): void;
  /** The playhead moved (epoch ms). */
  setTime(time: number): void;
}

type Tab = 'activity' | 'console' | 'network';

/** A list that marks the item current at the playhead and keeps it in view while following. */
class TimedList<T extends { time: number }> {
  readonly element: HTMLOListElement;
  private items: T[] = [];
  private rows: HTMLElement[] = [];
  private current = -1;
  private userScrolledAt = 0;

  constructor(testId: string, private readonly render: (item: T) => HTMLElement) {
    this.element = h('ol', { class: 'timed-list', 'data-testid': testId });
    const noteScroll = (): void => void (this.userScrolledAt = performance.now());
    this.element.addEventListener('wheel', noteScroll, { passive: true });
    this.element.addEventListener('pointerdown', noteScroll);
  }

  show(items: T[], empty: string): void {
    this.items = items;
    this.rows = items.map((item) => this.render(item));
    this.current = -1;
    this.element.replaceChildren(...(this.rows.length ? this.rows : [h('li', { class: 'list-empty muted' }, empty)]));
  }

  setTime(time: number): void {
    const index = currentIndex(this.items, time);
    if (index === this.current) return;
    this.rows[this.current]?.classList.remove('current');
    this.rows[this.current]?.removeAttribute('aria-current');
    this.current = index;
    const row = this.rows[index];
    if (!row) return;
    row.classList.add('current');
    row.setAttribute('aria-current', 'true');
    // Follow the playhead unless the viewer scrolled the list in the last few seconds.
    if (performance.now() - this.userScrolledAt > 4_000 && this.element.offsetParent !== null) {
      const list = this.element;
      const top = row.offsetTop - list.offsetTop;
      if (top < list.scrollTop || top + row.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTop = Math.max(0, top - list.clientHeight / 3);
      }
    }
  }
}

export function createPanels(options: PanelsOptions): PanelsHandle {
  const time = (t: number): string => formatClock(t - options.startMs());
  let tab: Tab = 'activity';

  // ---- tabs ----
  const counts: Record<Tab, HTMLElement> = {
    activity: h('span', { class: 'tab-count', 'data-testid': 'count-activity' }, '…'),
    console: h('span', { class: 'tab-count', 'data-testid': 'count-console' }, '…'),
    network: h('span', { class: 'tab-count', 'data-testid': 'count-network' }, '…'),
  };
  const tabButtons = (['activity', 'console', 'network'] as const).map((name) =>
    h(
      'button',
      { type: 'button', role: 'tab', class: 'panel-tab', 'data-tab': name, 'data-testid': `tab-${name}`, onclick: () => select(name) },
      name === 'activity' ? 'Activity' : name === 'console' ? 'Console' : 'Network',
      counts[name],
    ),
  );

  // ---- activity ----
  let activity: ActivityItem[] = [];
  const kinds = new Set<ActivityKind>(ACTIVITY_KINDS.map((k) => k.kind));
  const activityText = h('input', { type: 'search', class: 'panel-filter', placeholder: 'Filter activity', 'aria-label': 'Filter activity', 'data-testid': 'activity-filter' });
  const kindChips = ACTIVITY_KINDS.map(({ kind, label }) =>
    h('button', { type: 'button', class: 'chip active', 'aria-pressed': 'true', 'data-kind': kind, 'data-testid': `activity-kind-${kind}` }, label),
  );
  const activityNote = h('p', { class: 'panel-note muted', hidden: true });
  const activityList = new TimedList<ActivityItem>('activity-list', (item) => {
    // The raw name and properties are built when first expanded: a long session lists
    // thousands of items, and the list must not hold up the replay.
    let details: HTMLElement | null = null;
    const expand = h('button', { type: 'button', class: 'item-expand', 'aria-label': 'Show the event and its properties', 'aria-expanded': 'false', 'data-testid': 'activity-expand' }, '▸');
    expand.addEventListener('click', () => {
      if (!details) {
        details = h(
          'div',
          { class: 'item-details', hidden: true, 'data-testid': 'activity-details' },
          h('p', { class: 'item-raw' }, h('span', { class: 'muted' }, 'Event '), h('code', {}, item.rawName), item.derived ? h('span', { class: 'muted' }, ' · derived by reel') : null),
          propertyTable(item.properties),
        );
        row.append(details);
      }
      details.hidden = !details.hidden;
      expand.textContent = details.hidden ? '▸' : '▾';
      expand.setAttribute('aria-expanded', String(!details.hidden));
    });
    const row = h(
      'li',
      { class: `timed-item activity-${item.kind}`, 'data-testid': 'activity-item', 'data-time': item.time, 'data-kind': item.kind },
      h(
        'div',
        { class: 'item-row' },
        h(
          'button',
          { type: 'button', class: 'item-main', title: 'Play from just before this', onclick: () => options.jumpTo(item.time) },
          h('span', { class: 'item-time tabular' }, time(item.time)),
          h('span', { class: `item-icon kind-${item.kind}`, 'aria-hidden': 'true' }),
          h('span', { class: 'item-label', 'data-testid': 'activity-label' }, item.label),
        ),
        expand,
      ),
    );
    return row;
  });
  const renderActivity = (): void => {
    activityList.show(filterActivity(activity, kinds, activityText.value), activity.length ? 'Nothing matches the filter.' : 'Nothing recorded.');
  };
  activityText.addEventListener('input', renderActivity);
  toggleChips(kindChips, (chip) => chip.dataset.kind as ActivityKind, kinds, renderActivity);
  const activityPanel = h(
    'section',
    { class: 'panel', role: 'tabpanel', 'data-panel': 'activity', 'data-testid': 'panel-activity' },
    h('div', { class: 'panel-filters' }, activityText, h('div', { class: 'chips' }, ...kindChips)),
    activityNote,
    activityList.element,
  );

  // ---- console ----
  let consoleEntries: ConsoleEntry[] = [];
  const groups = new Set<LevelGroup>(LEVEL_GROUPS.map((g) => g.group));
  const consoleText = h('input', { type: 'search', class: 'panel-filter', placeholder: 'Filter console', 'aria-label': 'Filter console', 'data-testid': 'console-filter' });
  const levelCounts = new Map<LevelGroup, HTMLElement>();
  const levelChips = LEVEL_GROUPS.map(({ group, label }) => {
    const count = h('span', { class: 'chip-count' }, '0');
    levelCounts.set(group, count);
    return h('button', { type: 'button', class: `chip active level-${group}`, 'aria-pressed': 'true', 'data-level': group, 'data-testid': `console-level-${group}` }, label, count);
  });
  const consoleNote = h('p', { class: 'panel-note muted', hidden: true });
  const consoleList = new TimedList<ConsoleEntry & { time: number }>('console-list', (entry) => {
    const group = levelGroup(entry.level);
    const trace = entry.trace.length
      ? h('ol', { class: 'stack-trace', hidden: true, 'data-testid': 'console-trace' }, ...entry.trace.map((frame) => h('li', {}, frame)))
      : null;
    const expand = trace
      ? h('button', { type: 'button', class: 'item-expand', 'aria-label': 'Show the stack trace', 'aria-expanded': 'false', 'data-testid': 'console-expand' }, '▸')
      : h('span', { class: 'item-expand-placeholder' });
    if (trace && expand instanceof HTMLButtonElement) {
      expand.addEventListener('click', () => {
        trace.hidden = !trace.hidden;
        expand.textContent = trace.hidden ? '▸' : '▾';
        expand.setAttribute('aria-expanded', String(!trace.hidden));
      });
    }
    return h(
      'li',
      { class: `timed-item console-item level-${group}`, 'data-testid': 'console-item', 'data-time': entry.time_ms, 'data-level': entry.level },
      h(
        'div',
        { class: 'item-row' },
        h(
          'button',
          { type: 'button', class: 'item-main', title: 'Play from just before this', onclick: () => options.jumpTo(entry.time_ms) },
          h('span', { class: 'item-time tabular' }, time(entry.time_ms)),
          h('span', { class: `level-badge level-${group}` }, entry.level),
          h('span', { class: 'item-label mono', 'data-testid': 'console-message' }, entry.message || '(empty)'),
        ),
        expand,
      ),
      trace,
    );
  });
  const renderConsole = (): void => {
    const shown = filterConsole(consoleEntries, groups, consoleText.value).map((e) => ({ ...e, time: e.time_ms }));
    consoleList.show(shown, consoleEntries.length ? 'Nothing matches the filter.' : 'Nothing was logged.');
  };
  consoleText.addEventListener('input', renderConsole);
  toggleChips(levelChips, (chip) => chip.dataset.level as LevelGroup, groups, renderConsole);
  const consolePanel = h(
    'section',
    { class: 'panel', role: 'tabpanel', 'data-panel': 'console', 'data-testid': 'panel-console', hidden: true },
    h('div', { class: 'panel-filters' }, consoleText, h('div', { class: 'chips' }, ...levelChips)),
    consoleNote,
    consoleList.element,
  );

  // ---- network ----
  let networkEntries: NetworkEntry[] = [];
  let networkShow: NetworkFilter = 'all';
  const networkText = h('input', { type: 'search', class: 'panel-filter', placeholder: 'Filter requests', 'aria-label': 'Filter requests', 'data-testid': 'network-filter' });
  const networkChips = (['all', 'failed'] as const).map((value) =>
    h(
      'button',
      { type: 'button', class: `chip${value === 'all' ? ' active' : ''}`, 'aria-pressed': String(value === 'all'), 'data-show': value, 'data-testid': `network-show-${value}` },
      value === 'all' ? 'All' : 'Failed',
    ),
  );
  const networkNote = h('p', { class: 'panel-note muted', hidden: true });
  const networkList = new TimedList<NetworkEntry & { time: number }>('network-list', (entry) =>
    h(
      'li',
      { class: `timed-item network-item${entry.failed ? ' failed' : ''}`, 'data-testid': 'network-item', 'data-time': entry.time_ms },
      h(
        'div',
        { class: 'item-row' },
        h(
          'button',
          { type: 'button', class: 'item-main network-main', title: 'Play from just before this', onclick: () => options.jumpTo(entry.time_ms) },
          h('span', { class: 'item-time tabular' }, time(entry.time_ms)),
          h('span', { class: 'net-method' }, entry.method),
          h('span', { class: 'net-url mono', title: redactUrl(entry.url), 'data-testid': 'network-url' }, redactUrl(entry.url)),
          h('span', { class: `net-status${entry.failed ? ' failed' : ''}`, 'data-testid': 'network-status' }, statusText(entry)),
          h('span', { class: 'net-duration tabular' }, formatDuration(entry.duration_ms ?? null)),
        ),
      ),
    ),
  );
  const renderNetwork = (): void => {
    const shown = filterNetwork(networkEntries, networkShow, networkText.value).map((e) => ({ ...e, time: e.time_ms }));
    networkList.show(shown, networkEntries.length ? 'Nothing matches the filter.' : 'No requests were recorded.');
  };
  networkText.addEventListener('input', renderNetwork);
  for (const chip of networkChips) {
    chip.addEventListener('click', () => {
      networkShow = chip.dataset.show as NetworkFilter;
      for (const other of networkChips) {
        const active = other === chip;
        other.classList.toggle('active', active);
        other.setAttribute('aria-pressed', String(active));
      }
      renderNetwork();
    });
  }
  const networkPanel = h(
    'section',
    { class: 'panel', role: 'tabpanel', 'data-panel': 'network', 'data-testid': 'panel-network', hidden: true },
    h('div', { class: 'panel-filters' }, networkText, h('div', { class: 'chips' }, ...networkChips)),
    networkNote,
    h('p', { class: 'panel-hint muted' }, 'Requests the recording holds (reel’s SDK records failed ones). Query secrets are hidden.'),
    networkList.element,
  );

  const panels: Record<Tab, HTMLElement> = { activity: activityPanel, console: consolePanel, network: networkPanel };
  const loadingNotes: Record<Tab, HTMLElement> = {
    activity: h('p', { class: 'panel-loading muted' }, 'Loading activity…'),
    console: h('p', { class: 'panel-loading muted' }, 'Reading the console…'),
    network: h('p', { class: 'panel-loading muted' }, 'Reading requests…'),
  };
  activityList.element.replaceChildren(loadingNotes.activity);
  consoleList.element.replaceChildren(loadingNotes.console);
  networkList.element.replaceChildren(loadingNotes.network);

  function select(next: Tab): void {
    tab = next;
    for (const button of tabButtons) {
      const active = button.dataset.tab === tab;
      button.classList.toggle('active', active);
      button.setAttribute('aria-selected', String(active));
    }
    for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== tab;
  }
  select('activity');

  const element = h(
    'aside',
    { class: 'player-panels', 'data-testid': 'player-panels' },
    h('div', { class: 'panel-tabs', role: 'tablist' }, ...tabButtons),
    activityPanel,
    consolePanel,
    networkPanel,
  );

  const note = (el: HTMLElement, text: string | undefined): void => {
    el.hidden = !text;
    el.textContent = text ?? '';
  };

  return {
    element,
    setActivity(items, text) {
      activity = items;
      counts.activity.textContent = String(items.length);
      note(activityNote, text);
      renderActivity();
    },
    setConsole(entries, truncated) {
      consoleEntries = entries;
      const byGroup = countByGroup(entries);
      for (const [group, el] of levelCounts) el.textContent = String(byGroup[group]);
      counts.console.textContent = `${entries.length}${truncated ? '+' : ''}`;
      counts.console.classList.toggle('has-errors', byGroup.error > 0);
      note(consoleNote, truncated ? `Showing the first ${entries.length} console records.` : undefined);
      renderConsole();
    },
    setNetwork(entries, truncated) {
      networkEntries = entries;
      const failed = entries.filter((e) => e.failed).length;
      counts.network.textContent = `${entries.length}${truncated ? '+' : ''}`;
      counts.network.classList.toggle('has-errors', failed > 0);
      note(networkNote, truncated ? `Showing the first ${entries.length} requests.` : undefined);
      renderNetwork();
    },
    setFailed(what, message) {
      const text = `Could not load: ${message}`;
      if (what === 'activity') {
        counts.activity.textContent = '!';
        activityList.element.replaceChildren(h('li', { class: 'list-empty' }, text));
      } else {
        counts.console.textContent = '!';
        counts.network.textContent = '!';
        consoleList.element.replaceChildren(h('li', { class: 'list-empty' }, text));
        networkList.element.replaceChildren(h('li', { class: 'list-empty' }, text));
      }
    },
    setTime(t) {
      activityList.setTime(t);
      consoleList.setTime(t);
      networkList.setTime(t);
    },
  };
}

/** Filter chips that each show or hide one value: a click toggles the chip's value in `shown`
 * (and the chip's pressed state), then renders the list again. */
function toggleChips<T>(chips: HTMLElement[], valueOf: (chip: HTMLElement) => T, shown: Set<T>, render: () => void): void {
  for (const chip of chips) {
    chip.addEventListener('click', () => {
      const value = valueOf(chip);
      if (shown.has(value)) shown.delete(value);
      else shown.add(value);
      chip.classList.toggle('active', shown.has(value));
      chip.setAttribute('aria-pressed', String(shown.has(value)));
      render();
    });
  }
}

function propertyTable(properties: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(properties);
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No properties.');
  return h(
    'dl',
    { class: 'property-table' },
    ...entries.flatMap(([key, value]) => [
      h('dt', {}, key),
      h('dd', { class: 'mono' }, typeof value === 'string' ? value : JSON.stringify(value)),
    ]),
  );
}
