// Finds the moments worth a marker on the timeline: console errors and failed network requests,
// as the reel SDK records them (rrweb plugin events). Pure: events in, markers out.

import type { RecordedEvent } from '../api';

const PLUGIN_EVENT = 6;

export interface Marker {
  /** Milliseconds from the first event. */
  offset: number;
  kind: 'error' | 'network';
  label: string;
}

export function findMarkers(events: readonly RecordedEvent[]): Marker[] {
  const first = events[0];
  if (!first) return [];
  const markers: Marker[] = [];
  for (const event of events) {
    if (event.type !== PLUGIN_EVENT || !isRecord(event.data)) continue;
    const { plugin, payload } = event.data;
    if (!isRecord(payload)) continue;
    const offset = Math.max(0, event.timestamp - first.timestamp);
    if (plugin === 'rrweb/console@1' && payload.level === 'error') {
      markers.push({ offset, kind: 'error', label: consoleText(payload.payload) });
    } else if (plugin === 'rrweb/network@1' && Array.isArray(payload.requests)) {
      for (const request of payload.requests) {
        if (isRecord(request)) markers.push({ offset, kind: 'network', label: requestText(request) });
      }
    }
  }
  return markers;
}

/** Console payload items are JSON-encoded values; show strings without their quotes. */
function consoleText(items: unknown): string {
  if (!Array.isArray(items) || items.length === 0) return 'console error';
  const parts = items.map((item) => {
    if (typeof item !== 'string') return JSON.stringify(item);
    try {
      const value: unknown = JSON.parse(item);
      return typeof value === 'string' ? value : item;
    } catch {
      return item;
    }
  });
  return truncate(parts.join(' '), 200);
}

function requestText(request: Record<string, unknown>): string {
  const method = typeof request.method === 'string' ? request.method.toUpperCase() : 'GET';
  const name = typeof request.name === 'string' ? request.name : 'request';
  const status = typeof request.status === 'number' && request.status > 0 ? String(request.status) : 'failed';
  return truncate(`${method} ${name} → ${status}`, 200);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
