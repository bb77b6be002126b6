// What the user did, as the activity panel lists it: the session's analytics events (sent by
// an SDK or derived by reel), rrweb custom events and page loads of the recording, each with a
// kind, a readable label, and a marker for the timeline. Pure: no DOM.

import type { ActivityEvent, CustomEntry } from './api';
import type { Marker, MarkerKind } from './markers';

export type ActivityKind = 'page' | 'click' | 'input' | 'frustration' | 'error' | 'custom';

export const ACTIVITY_KINDS: ReadonlyArray<{ kind: ActivityKind; label: string }> = [
  { kind: 'page', label: 'Pages' },
  { kind: 'click', label: 'Clicks' },
  { kind: 'input', label: 'Inputs' },
  { kind: 'frustration', label: 'Frustration' },
  { kind: 'error', label: 'Errors' },
  { kind: 'custom', label: 'Custom' },
];

export interface ActivityItem {
  time: number;
  kind: ActivityKind;
  /** "Clicked 'Add to cart' button". */
  label: string;
  /** The event's name as stored ("[reel] Element Clicked"); for page loads "Page load". */
  rawName: string;
  /** Derived by reel from the recording (not sent by an SDK). */
  derived: boolean;
  properties: Record<string, unknown>;
  marker: MarkerKind | null;
}

/** Known names, without their `[reel] ` / `[Amplitude] ` prefix, by what they are. */
const BY_NAME: Record<string, { kind: ActivityKind; marker: MarkerKind | null }> = {
  'page viewed': { kind: 'page', marker: 'page-view' },
  'element clicked': { kind: 'click', marker: 'click' },
  'element changed': { kind: 'input', marker: 'input' },
  'form started': { kind: 'input', marker: null },
  'form submitted': { kind: 'input', marker: null },
  'rage click': { kind: 'frustration', marker: 'rage-click' },
  'dead click': { kind: 'frustration', marker: 'dead-click' },
  'error click': { kind: 'frustration', marker: 'error-click' },
  // Errors are marked from the recording's own console and network records (timeline).
  'console error': { kind: 'error', marker: null },
  'network error': { kind: 'error', marker: null },
  'runtime error': { kind: 'error', marker: null },
};

function baseName(eventType: string): string {
  return eventType.replace(/^\[(reel|Amplitude)\]\s*/i, '').trim().toLowerCase();
}

export function classify(eventType: string): { kind: ActivityKind; marker: MarkerKind | null } {
  return BY_NAME[baseName(eventType)] ?? { kind: 'custom', marker: 'custom' };
}

/** The first string property among `keys`, with or without an SDK prefix. */
function prop(properties: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    for (const name of [`[reel] ${key}`, `[Amplitude] ${key}`, key]) {
      const value = properties[name];
      if (typeof value === 'string' && value.trim()) return value.trim();
      if (typeof value === 'number') return String(value);
    }
  }
  return undefined;
}

/** "button", "link", "field" — what an element is, as reel's server names it. */
export function elementNoun(properties: Record<string, unknown>): string {
  const tag = (prop(properties, 'Element Tag') ?? '').toLowerCase();
  const role = (prop(properties, 'Element Role') ?? '').toLowerCase();
  const type = (prop(properties, 'Element Type') ?? '').toLowerCase();
  if (role === 'button' || role === 'link' || role === 'tab' || role === 'checkbox') return role;
  if (tag === 'a') return 'link';
  if (tag === 'button') return 'button';
  if (tag === 'input') {
    if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
    if (type === 'checkbox') return 'checkbox';
    if (type === 'radio') return 'radio button';
    return 'field';
  }
  if (tag === 'textarea' || tag === 'select') return 'field';
  if (tag === 'img') return 'image';
  return tag || 'element';
}

function shorten(text: string, max = 60): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/**
 * A readable label: the server's display name when it has one, else one made from the
 * properties of generic autocapture events ("Clicked 'Add to cart' button", "Viewed /checkout").
 * Typed values are never part of it (inputs are named by their field).
 */
export function readableLabel(event: Pick<ActivityEvent, 'event_type' | 'display_name' | 'event_properties'>): string {
  if (event.display_name && event.display_name !== event.event_type) return event.display_name;
  const properties = event.event_properties ?? {};
  switch (baseName(event.event_type)) {
    case 'page viewed': {
      const title = prop(properties, 'Page Title');
      const where = prop(properties, 'Page Path') ?? prop(properties, 'Page URL', 'Page Location');
      if (title) return `Viewed '${shorten(title)}' page`;
      return where ? `Viewed ${shorten(where, 80)}` : 'Viewed a page';
    }
    case 'element clicked': {
      const text = prop(properties, 'Element Text', 'Element Aria Label');
      const noun = elementNoun(properties);
      return text ? `Clicked '${shorten(text)}' ${noun}` : `Clicked ${noun}`;
    }
    case 'element changed': {
      const name = prop(properties, 'Element Label', 'Element Aria Label', 'Element Name', 'Element ID', 'Element Placeholder');
      return name ? `Changed '${shorten(name)}' field` : 'Changed a field';
    }
    default:
      return event.display_name || event.event_type;
  }
}

/** Activity items from the event store, in time order. */
export function fromActivity(events: readonly ActivityEvent[]): ActivityItem[] {
  return events.map((event) => {
    const { kind, marker } = classify(event.event_type);
    return {
      time: event.time_ms,
      kind,
      label: readableLabel(event),
      rawName: event.event_type,
      derived: event.derived,
      properties: event.event_properties ?? {},
      marker,
    };
  });
}

/** rrweb custom events of the recording (`record.addCustomEvent`). */
export function fromCustom(entries: readonly CustomEntry[]): ActivityItem[] {
  return entries.map((entry) => ({
    time: entry.time_ms,
    kind: 'custom' as const,
    label: entry.tag ? `Custom event '${shorten(entry.tag)}'` : 'Custom event',
    rawName: entry.tag || 'custom',
    derived: false,
    properties: entry.payload === null ? {} : { payload: entry.payload },
    marker: 'custom' as const,
  }));
}

/** Page loads of the recording (Meta events), for sessions whose event store has no page views. */
export function fromPages(pages: ReadonlyArray<{ time_ms: number; href: string }>): ActivityItem[] {
  return pages.map((page) => ({
    time: page.time_ms,
    kind: 'page' as const,
    label: `Navigated to ${shorten(displayUrl(page.href), 80)}`,
    rawName: 'Page load',
    derived: true,
    properties: { URL: page.href },
    marker: 'page-view' as const,
  }));
}

/** Everything in one list, in time order: page loads only when no page view says the same. */
export function mergeActivity(
  activity: readonly ActivityEvent[],
  custom: readonly CustomEntry[],
  pages: ReadonlyArray<{ time_ms: number; href: string }>,
): ActivityItem[] {
  const items = [...fromActivity(activity), ...fromCustom(custom)];
  if (!items.some((item) => item.kind === 'page')) items.push(...fromPages(pages));
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => a.item.time - b.item.time || a.index - b.index)
    .map(({ item }) => item);
}

export function activityMarkers(items: readonly ActivityItem[]): Marker[] {
  return items.flatMap((item) => (item.marker ? [{ time: item.time, kind: item.marker, label: item.label }] : []));
}

/** Items of the kinds asked for whose label, name or properties hold `text` (any case). */
export function filterActivity(items: readonly ActivityItem[], kinds: ReadonlySet<ActivityKind>, text: string): ActivityItem[] {
  const needle = text.trim().toLowerCase();
  return items.filter((item) => {
    if (!kinds.has(item.kind)) return false;
    if (!needle) return true;
    if (item.label.toLowerCase().includes(needle) || item.rawName.toLowerCase().includes(needle)) return true;
    return Object.entries(item.properties).some(
      ([key, value]) => key.toLowerCase().includes(needle) || String(typeof value === 'object' ? JSON.stringify(value) : value).toLowerCase().includes(needle),
    );
  });
}

/** Index of the last item at or before `time` in a time-ordered list (-1 when none). */
export function currentIndex(items: ReadonlyArray<{ time: number }>, time: number): number {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((items[mid]?.time ?? Infinity) <= time) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** `host/path?query` of an http(s) URL; anything else as given. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return raw;
    return `${url.host}${url.pathname}${url.search}`;
  } catch {
    return raw;
  }
}
