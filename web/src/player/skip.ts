// Skipping inactivity: stretches without user activity (the server's timeline) and holes in
// the recording (the manifest's gaps) are passed quickly. Pure.

export interface Stretch {
  start_ms: number;
  end_ms: number;
}

export interface SkipSettings {
  /** Land this long before activity resumes, so the viewer sees it resume. */
  leadInMs: number;
  /** Jumps shorter than this are not worth it. */
  minSkipMs: number;
}

export const DEFAULT_SKIP: SkipSettings = { leadInMs: 1_000, minSkipMs: 2_000 };

/** The stretches sorted, with overlapping or touching ones joined. */
export function mergeStretches(...lists: ReadonlyArray<readonly Stretch[]>): Stretch[] {
  const all = lists
    .flat()
    .filter((s) => Number.isFinite(s.start_ms) && Number.isFinite(s.end_ms) && s.end_ms > s.start_ms)
    .map((s) => ({ start_ms: s.start_ms, end_ms: s.end_ms }))
    .sort((a, b) => a.start_ms - b.start_ms);
  const out: Stretch[] = [];
  for (const s of all) {
    const last = out[out.length - 1];
    if (last && s.start_ms <= last.end_ms) last.end_ms = Math.max(last.end_ms, s.end_ms);
    else out.push(s);
  }
  return out;
}

/** Where a playhead inside an inactive stretch jumps to, or null when it plays on. */
export function skipTarget(stretches: readonly Stretch[], playhead: number, settings: SkipSettings = DEFAULT_SKIP): number | null {
  for (const s of stretches) {
    if (s.start_ms > playhead) break;
    const land = s.end_ms - settings.leadInMs;
    if (playhead >= s.start_ms && land - playhead >= settings.minSkipMs) return land;
  }
  return null;
}

/** The stretch holding `t`, if any. */
export function stretchAt(stretches: readonly Stretch[], t: number): Stretch | undefined {
  return stretches.find((s) => t >= s.start_ms && t < s.end_ms);
}
