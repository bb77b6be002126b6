// Timeline markers: one mechanism for every kind of moment (page views, clicks, errors of each
// kind, frustration signals, custom events). Sources turn what they know into `Marker`s; the
// layout groups markers that would overlap at the timeline's width. Pure: no DOM.

export type MarkerKind =
  | 'page-view'
  | 'click'
  | 'input'
  | 'custom'
  | 'rage-click'
  | 'dead-click'
  | 'error-click'
  | 'console-error'
  | 'runtime-error'
  | 'network-error';

export interface Marker {
  /** Epoch ms of the moment. */
  time: number;
  kind: MarkerKind;
  /** What it is, shown on hover ("Clicked 'Pay now' button", "POST /api/pay → 503"). */
  label: string;
}

export interface KindInfo {
  /** "click", "console error": singular noun for descriptions. */
  name: string;
  /** Problems sit on the upper lane; the rest below. */
  lane: 'issue' | 'event';
  /** Which kind colours a group of several (higher wins). */
  severity: number;
}

export const MARKER_KINDS: Record<MarkerKind, KindInfo> = {
  'page-view': { name: 'page view', lane: 'event', severity: 3 },
  click: { name: 'click', lane: 'event', severity: 1 },
  input: { name: 'input', lane: 'event', severity: 0 },
  custom: { name: 'custom event', lane: 'event', severity: 2 },
  'dead-click': { name: 'dead click', lane: 'issue', severity: 5 },
  'rage-click': { name: 'rage click', lane: 'issue', severity: 6 },
  'error-click': { name: 'error click', lane: 'issue', severity: 7 },
  'network-error': { name: 'network error', lane: 'issue', severity: 8 },
  'console-error': { name: 'console error', lane: 'issue', severity: 9 },
  'runtime-error': { name: 'runtime error', lane: 'issue', severity: 10 },
};

export interface MarkerGroup {
  lane: 'issue' | 'event';
  /** Position on the timeline, 0..1, of the group's first marker. */
  position: number;
  /** The most severe kind in the group (its colour). */
  kind: MarkerKind;
  /** In time order; the first is where a click seeks. */
  markers: Marker[];
}

/**
 * Places markers on a timeline `widthPx` wide covering `[startMs, endMs]`: per lane, a marker
 * closer than `minGapPx` to the first marker of the group before joins that group.
 */
export function layoutMarkers(
  markers: readonly Marker[],
  startMs: number,
  endMs: number,
  widthPx: number,
  minGapPx = 8,
): MarkerGroup[] {
  const total = endMs - startMs;
  if (!(total > 0) || !(widthPx > 0)) return [];
  const sorted = markers
    .filter((m) => Number.isFinite(m.time) && m.time >= startMs && m.time <= endMs)
    .slice()
    .sort((a, b) => a.time - b.time);
  const groups: MarkerGroup[] = [];
  const open: Partial<Record<'issue' | 'event', MarkerGroup>> = {};
  for (const marker of sorted) {
    const lane = MARKER_KINDS[marker.kind].lane;
    const position = (marker.time - startMs) / total;
    const current = open[lane];
    if (current && (position - current.position) * widthPx < minGapPx) {
      current.markers.push(marker);
      if (MARKER_KINDS[marker.kind].severity > MARKER_KINDS[current.kind].severity) current.kind = marker.kind;
      continue;
    }
    const group: MarkerGroup = { lane, position, kind: marker.kind, markers: [marker] };
    groups.push(group);
    open[lane] = group;
  }
  return groups;
}

/** "2 clicks, 1 console error": what a group holds, most severe kinds first. */
export function describeGroup(group: MarkerGroup): string {
  const counts = new Map<MarkerKind, number>();
  for (const m of group.markers) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => MARKER_KINDS[b[0]].severity - MARKER_KINDS[a[0]].severity)
    .map(([kind, n]) => `${n} ${MARKER_KINDS[kind].name}${n === 1 ? '' : 's'}`)
    .join(', ');
}
