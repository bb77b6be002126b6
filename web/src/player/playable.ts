// The few event shapes rrweb's Replayer dereferences without checking, where one bad event
// would stop the whole replay (not just its own moment): fixed or left out before playing.
// Everything else that throws while playing is caught around the replayer (replay-player.ts).

import type { RecordedEvent } from '../api';

const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
/** Mouse move, touch move, drag: rrweb computes every play()'s schedule from `positions[0]`. */
const MOVES = new Set([1, 6, 12]);

export function playableEvents(events: readonly RecordedEvent[]): RecordedEvent[] {
  const playable: RecordedEvent[] = [];
  for (const event of events) {
    const data = event.data;
    if (!isRecord(data)) continue;
    if (event.type === INCREMENTAL && MOVES.has(data.source as number)) {
      const positions = Array.isArray(data.positions) ? data.positions.filter(isPosition) : [];
      if (positions.length === 0) continue;
      data.positions = positions;
    } else if (event.type === FULL_SNAPSHOT) {
      const offset = data.initialOffset;
      if (!isRecord(offset) || !Number.isFinite(offset.top) || !Number.isFinite(offset.left)) {
        data.initialOffset = { top: 0, left: 0 };
      }
    }
    playable.push(event);
  }
  return playable;
}

function isPosition(value: unknown): boolean {
  return isRecord(value) && Number.isFinite(value.x) && Number.isFinite(value.y) && Number.isFinite(value.timeOffset);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
