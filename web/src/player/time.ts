// Time as the player shows it: elapsed time on the player's clock, and the wall-clock time a
// moment happened in the project's timezone. Pure: no DOM.

export { formatClock } from '../format';

/** True when `timeZone` is an IANA name this browser knows ("UTC", "Europe/Berlin"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined, timeZone: string, withDate: boolean): Intl.DateTimeFormat {
  const zone = isTimeZone(timeZone) ? timeZone : 'UTC';
  const key = `${locale ?? ''}|${zone}|${withDate}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      ...(withDate ? { year: 'numeric', month: 'short', day: 'numeric', timeZoneName: 'short' } : {}),
    });
    formatters.set(key, found);
  }
  return found;
}

/** "14:03:22": the time of day `epochMs` was in `timeZone` (UTC when the name is unknown). */
export function formatWallClock(epochMs: number, timeZone: string, locale?: string): string {
  if (!Number.isFinite(epochMs)) return '';
  const parts = formatter(locale ?? 'en-GB', timeZone, false).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('hour')}:${get('minute')}:${get('second')}`;
}

/** "27 Nov 2026, 14:03:22 CET" (in the viewer's language by default): a moment with its date and zone. */
export function formatWallDateTime(epochMs: number, timeZone: string, locale?: string): string {
  if (!Number.isFinite(epochMs)) return '';
  return formatter(locale, timeZone, true).format(new Date(epochMs));
}

/**
 * A `?t=` value (milliseconds from the start) as a position in `[0, total]`; anything that is
 * not a finite number is 0.
 */
export function parseStartParam(value: string | null, totalMs: number): number {
  if (value === null || value.trim() === '') return 0;
  const ms = Number(value);
  if (!Number.isFinite(ms)) return 0;
  return Math.min(Math.max(0, Math.round(ms)), Math.max(0, totalMs));
}
