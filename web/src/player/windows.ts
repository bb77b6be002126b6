// Window planning for long recordings: which part of a recording the player fetches, when it
// fetches the next part, and what it drops. Pure: the manifest's pieces and times in, plans out
// (all times are epoch milliseconds, as the server's).
//
// The player never holds a whole long recording. It opens a window at the keyframe at or before
// the moment to show (the server starts a `from` read there), continues it with exact reads
// (`exact=1`: no keyframe, just the next events) while playing, and drops what lies more than
// `keepBehindMs` behind the playhead, up to a keyframe it keeps. Window sizes follow the data:
// a window aims at `targetBytes` of event JSON, estimated from the manifest's pieces.

export interface Piece {
  start_ms: number;
  end_ms: number;
  raw_bytes: number;
}

export interface Plan {
  startMs: number;
  endMs: number;
  pieces: readonly Piece[];
  /** Where playing can start, as the manifest lists them (a compacted segment lists its first only). */
  keyframes?: readonly number[];
}

export interface WindowSettings {
  /** Event JSON one fetched window aims at. */
  targetBytes: number;
  /** Shortest and longest window, whatever the data. */
  minSpanMs: number;
  maxSpanMs: number;
  /** How far past the moment shown an opening window reaches (at most its span). */
  openAheadMs: number;
  /** Session time kept loaded ahead of the playhead at 1× (scaled by the speed). */
  leadMs: number;
  /** Session time kept behind the playhead before older data is dropped. */
  keepBehindMs: number;
  /** A seek past the loaded data continues it (instead of opening anew) up to this much JSON. */
  extendLimitBytes: number;
}

export const DEFAULT_WINDOWS: WindowSettings = {
  targetBytes: 2_000_000,
  minSpanMs: 15_000,
  maxSpanMs: 10 * 60_000,
  openAheadMs: 30_000,
  leadMs: 45_000,
  keepBehindMs: 60_000,
  extendLimitBytes: 1_500_000,
};

/** The part of the recording a player holds: every event with `start <= timestamp <= end`. */
export interface Held {
  start: number;
  end: number;
}

/** A read of the events endpoint: `from`/`to` inclusive; `exact` reads take `from` as is. */
export interface WindowRead {
  from: number;
  to: number;
  exact: boolean;
}

/**
 * Estimated bytes of event JSON with timestamps in `[a, b]`, spreading each piece's bytes
 * evenly over its time span (a piece of one instant counts whole when inside).
 */
export function bytesBetween(pieces: readonly Piece[], a: number, b: number): number {
  if (b < a) return 0;
  let total = 0;
  for (const piece of pieces) {
    if (piece.end_ms < a || piece.start_ms > b) continue;
    const span = piece.end_ms - piece.start_ms;
    if (span <= 0) {
      total += piece.raw_bytes;
      continue;
    }
    const overlap = Math.min(b, piece.end_ms) - Math.max(a, piece.start_ms);
    total += (piece.raw_bytes * Math.max(0, overlap)) / span;
  }
  return total;
}

/** How long a window starting at `t` is: `targetBytes` of data, within the span limits. */
export function spanAt(plan: Plan, t: number, settings: WindowSettings = DEFAULT_WINDOWS): number {
  let low = settings.minSpanMs;
  let high = settings.maxSpanMs;
  if (bytesBetween(plan.pieces, t, t + high) <= settings.targetBytes) return high;
  if (bytesBetween(plan.pieces, t, t + low) >= settings.targetBytes) return low;
  // bytesBetween grows with the span: bisect to about a second.
  while (high - low > 1_000) {
    const mid = Math.floor((low + high) / 2);
    if (bytesBetween(plan.pieces, t, t + mid) > settings.targetBytes) high = mid;
    else low = mid;
  }
  return low;
}

/** The read that starts a player at `t`: from the keyframe at or before it (the server finds it). */
export function openingRead(plan: Plan, t: number, settings: WindowSettings = DEFAULT_WINDOWS): WindowRead {
  const at = clamp(t, plan.startMs, plan.endMs);
  const ahead = Math.min(settings.openAheadMs, spanAt(plan, at, settings));
  return { from: at, to: Math.min(plan.endMs, at + ahead), exact: false };
}

/** The read that continues held data, or null when it reaches the end of the recording. */
export function nextRead(plan: Plan, held: Held, settings: WindowSettings = DEFAULT_WINDOWS): WindowRead | null {
  if (held.end >= plan.endMs) return null;
  const from = held.end + 1;
  return { from, to: Math.min(plan.endMs, held.end + spanAt(plan, from, settings)), exact: true };
}

/** Session time to keep loaded ahead of the playhead at `speed`. */
export function leadFor(speed: number, settings: WindowSettings = DEFAULT_WINDOWS): number {
  return settings.leadMs * Math.max(1, speed);
}

/** True when the playhead is close enough to the end of the held data to fetch more. */
export function wantsMore(plan: Plan, held: Held, playhead: number, speed: number, settings: WindowSettings = DEFAULT_WINDOWS): boolean {
  return held.end < plan.endMs && held.end - playhead < leadFor(speed, settings);
}

export type SeekPlan =
  /** The held data covers the moment: rrweb seeks within it. */
  | { kind: 'near' }
  /** Just past the held data: continue it up to the moment (and a little after), then seek. */
  | { kind: 'extend'; read: WindowRead }
  /** Elsewhere: a new player from the keyframe at or before the moment. */
  | { kind: 'open'; read: WindowRead };

export function planSeek(plan: Plan, held: Held | null, t: number, settings: WindowSettings = DEFAULT_WINDOWS): SeekPlan {
  const at = clamp(t, plan.startMs, plan.endMs);
  if (held && at >= held.start && at <= held.end) return { kind: 'near' };
  if (held && at > held.end) {
    const to = Math.min(plan.endMs, at + settings.openAheadMs);
    if (bytesBetween(plan.pieces, held.end + 1, to) <= settings.extendLimitBytes) {
      return { kind: 'extend', read: { from: held.end + 1, to, exact: true } };
    }
  }
  return { kind: 'open', read: openingRead(plan, at, settings) };
}

/**
 * Where to cut the held data: the latest held keyframe at least `keepBehindMs` behind the
 * playhead (events before it go), or null when nothing can go. `keyframes` are the times of
 * the held keyframes (Meta followed by a FullSnapshot), ascending.
 */
export function evictBefore(
  held: Held,
  keyframes: readonly number[],
  playhead: number,
  settings: WindowSettings = DEFAULT_WINDOWS,
): number | null {
  const limit = playhead - settings.keepBehindMs;
  let cut: number | null = null;
  for (const k of keyframes) {
    if (k > limit) break;
    if (k > held.start) cut = k;
  }
  return cut;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), Math.max(low, high));
}
