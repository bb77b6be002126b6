// The console and network panels' logic: level groups, filters, URLs shown without secrets,
// and the timeline markers of errors. Pure: no DOM.

import type { ConsoleEntry, NetworkEntry } from './api';
import type { Marker } from './markers';

export type LevelGroup = 'error' | 'warn' | 'info' | 'debug';

export const LEVEL_GROUPS: ReadonlyArray<{ group: LevelGroup; label: string }> = [
  { group: 'error', label: 'Errors' },
  { group: 'warn', label: 'Warnings' },
  { group: 'info', label: 'Info' },
  { group: 'debug', label: 'Debug' },
];

/** rrweb's console levels by the group a filter shows them under. */
export function levelGroup(level: string): LevelGroup {
  switch (level.toLowerCase()) {
    case 'error':
    case 'assert':
      return 'error';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'debug':
    case 'trace':
    case 'count':
    case 'time':
    case 'timeend':
    case 'timelog':
    case 'dir':
    case 'dirxml':
      return 'debug';
    default:
      return 'info';
  }
}

/** An uncaught error or unhandled rejection, as rrweb's console plugin records it in Chromium. */
export function isRuntimeError(entry: Pick<ConsoleEntry, 'level' | 'message'>): boolean {
  if (levelGroup(entry.level) !== 'error') return false;
  const text = entry.message.trimStart();
  return /^uncaught /i.test(text) || text.startsWith('Script error.');
}

export function filterConsole(entries: readonly ConsoleEntry[], groups: ReadonlySet<LevelGroup>, text: string): ConsoleEntry[] {
  const needle = text.trim().toLowerCase();
  return entries.filter(
    (entry) =>
      groups.has(levelGroup(entry.level)) &&
      (!needle || entry.message.toLowerCase().includes(needle) || entry.trace.some((frame) => frame.toLowerCase().includes(needle))),
  );
}

export function countByGroup(entries: readonly ConsoleEntry[]): Record<LevelGroup, number> {
  const counts: Record<LevelGroup, number> = { error: 0, warn: 0, info: 0, debug: 0 };
  for (const entry of entries) counts[levelGroup(entry.level)] += 1;
  return counts;
}

/** Query parameters whose values are credentials more often than not. */
const SECRET_PARAM = /(token|key|secret|pass(word)?|pwd|auth|session|sid|sig(nature)?|code|credential|jwt|otp|email|ticket)/i;

/**
 * A request URL as the network panel shows it: no user name or password, no fragment, and the
 * values of query parameters that look like secrets (token, key, password, signature, …)
 * replaced by `…`. Anything that is not an absolute http(s) URL is shown as recorded.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return raw;
  url.username = '';
  url.password = '';
  url.hash = '';
  const params = [...url.searchParams.entries()];
  if (params.length === 0) return url.href;
  const query = params
    .map(([key, value]) => `${encodeURIComponent(key)}=${SECRET_PARAM.test(key) && value !== '' ? '…' : encodeURIComponent(value)}`)
    .join('&');
  return `${url.origin}${url.pathname}?${query}`;
}

export type NetworkFilter = 'all' | 'failed';

export function filterNetwork(entries: readonly NetworkEntry[], show: NetworkFilter, text: string): NetworkEntry[] {
  const needle = text.trim().toLowerCase();
  return entries.filter(
    (entry) =>
      (show === 'all' || entry.failed) &&
      (!needle ||
        redactUrl(entry.url).toLowerCase().includes(needle) ||
        entry.method.toLowerCase().includes(needle) ||
        String(entry.status ?? '').includes(needle)),
  );
}

/** "503", "failed", "ERR_CONNECTION_REFUSED": what became of a request. */
export function statusText(entry: Pick<NetworkEntry, 'status' | 'error'>): string {
  if (entry.status != null && entry.status > 0) return String(entry.status);
  return entry.error ? entry.error : 'failed';
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function consoleMarkers(entries: readonly ConsoleEntry[]): Marker[] {
  return entries
    .filter((entry) => levelGroup(entry.level) === 'error')
    .map((entry) => ({
      time: entry.time_ms,
      kind: isRuntimeError(entry) ? ('runtime-error' as const) : ('console-error' as const),
      label: entry.message.length > 140 ? `${entry.message.slice(0, 139)}…` : entry.message || 'console error',
    }));
}

export function networkMarkers(entries: readonly NetworkEntry[]): Marker[] {
  return entries
    .filter((entry) => entry.failed)
    .map((entry) => ({
      time: entry.time_ms,
      kind: 'network-error' as const,
      label: `${entry.method} ${redactUrl(entry.url)} → ${statusText(entry)}`,
    }));
}
