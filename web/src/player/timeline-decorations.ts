// What the timeline shows besides the playhead: bands over stretches without activity (grey)
// and holes in the recording (amber), and markers for what happened (`layoutMarkers` groups and
// places them), each saying what it is on hover or focus and seeking to its moment on click.

import { h } from '../dom';
import { formatClock } from '../format';
import { describeGroup, layoutMarkers, MARKER_KINDS, type Marker, type MarkerGroup } from './markers';
import type { TimelineParts } from './player-controls';
import type { Stretch } from './skip';

/** The recording's time span, epoch ms. */
export interface Span {
  startMs: number;
  endMs: number;
}

export function renderBands(layer: HTMLElement, span: Span, inactive: readonly Stretch[], gaps: readonly Stretch[]): void {
  const total = span.endMs - span.startMs;
  layer.replaceChildren();
  if (total <= 0) return;
  const band = (s: Stretch, kind: 'idle' | 'gap'): HTMLElement => {
    const el = h('div', {
      class: `timeline-band band-${kind}`,
      'data-testid': `band-${kind}`,
      'data-start': s.start_ms,
      'data-end': s.end_ms,
      title: kind === 'gap' ? "Not captured: no data arrived" : 'No activity',
    });
    el.style.left = `${((s.start_ms - span.startMs) / total) * 100}%`;
    el.style.width = `${((s.end_ms - s.start_ms) / total) * 100}%`;
    return el;
  };
  for (const s of inactive) layer.append(band(s, 'idle'));
  for (const s of gaps) layer.append(band(s, 'gap'));
}

/** Draws the markers at the timeline's current width; `jumpTo` gets a clicked marker's time. */
export function renderMarkers(timeline: TimelineParts, span: Span, markers: readonly Marker[], jumpTo: (time: number) => void): void {
  const layer = timeline.markers;
  const width = layer.clientWidth;
  layer.replaceChildren();
  if (width <= 0) return;
  const hideTooltip = (): void => {
    timeline.tooltip.hidden = true;
  };
  for (const group of layoutMarkers(markers, span.startMs, span.endMs, width)) {
    const first = group.markers[0]!;
    const description = describeGroup(group);
    const label = group.markers.length === 1 ? first.label : `${description}: ${first.label}`;
    const button = h('button', {
      type: 'button',
      class: `timeline-marker marker-${group.kind} lane-${group.lane}`,
      'data-kind': group.kind,
      'data-time': first.time,
      'aria-label': `${label} at ${formatClock(first.time - span.startMs)}`,
      onclick: () => jumpTo(first.time),
      onmouseenter: () => showTooltip(timeline, span, group, button),
      onfocus: () => showTooltip(timeline, span, group, button),
      onmouseleave: hideTooltip,
      onblur: hideTooltip,
    });
    button.style.left = `${group.position * 100}%`;
    layer.append(button);
  }
}

function showTooltip(timeline: TimelineParts, span: Span, group: MarkerGroup, anchor: HTMLElement): void {
  const { tooltip } = timeline;
  const lines = group.markers.slice(0, 6).map((m) =>
    h('li', {}, h('span', { class: `tooltip-kind marker-${m.kind}` }), `${formatClock(m.time - span.startMs)} · ${MARKER_KINDS[m.kind].name}: ${m.label}`),
  );
  const more = group.markers.length > 6 ? h('li', { class: 'muted' }, `and ${group.markers.length - 6} more`) : null;
  tooltip.replaceChildren(h('ul', {}, ...lines, more));
  tooltip.hidden = false;
  const wrap = timeline.wrap.getBoundingClientRect();
  const at = anchor.getBoundingClientRect();
  const left = Math.min(Math.max(0, at.left - wrap.left - 20), Math.max(0, wrap.width - 320));
  tooltip.style.left = `${left}px`;
}
