// The benchmark's baseline player: what a plain rrweb player does with a recording — fetch all
// of it, parse it, hand it to a `Replayer`, then seek. Bundled by player.ts and served on
// reel's origin (so it can read the API with the viewer's cookie).

import { Replayer } from '@rrweb/replay';
import type { RecordedEvent } from '../../testkit/api-types.ts';

interface Baseline {
  /** performance.now() when the first frame was on screen. */
  firstFrame?: number;
  bytes?: number;
  error?: string;
  startMs?: number;
  endMs?: number;
  /** Seeks to `offset` ms from the start; resolves with the ms it took. */
  seek?: (offset: number) => number;
}

const state: Baseline = {};
(window as unknown as { baseline: Baseline }).baseline = state;

async function run(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const id = params.get('id') ?? '';
  /** Where to show first (ms from the start): `?at=` opens at a moment, as a shared link would. */
  const at = Number(params.get('at') ?? 0) || 0;
  const response = await fetch(`/api/v1/replays/${encodeURIComponent(id)}/events`, { headers: { 'X-Reel-Request': '1' } });
  const text = await response.text();
  state.bytes = text.length;
  const events = JSON.parse(text) as RecordedEvent[];
  const replayer = new Replayer(events as unknown as ConstructorParameters<typeof Replayer>[0], {
    root: document.getElementById('stage')!,
    UNSAFE_replayCanvas: false,
    showWarning: false,
    triggerFocus: false,
  });
  const meta = replayer.getMetaData();
  state.startMs = meta.startTime;
  state.endMs = meta.endTime;
  replayer.pause(at);
  state.firstFrame = performance.now();
  state.seek = (offset: number): number => {
    const started = performance.now();
    replayer.pause(offset);
    return performance.now() - started;
  };
}

run().catch((error: unknown) => {
  state.error = error instanceof Error ? error.message : String(error);
});
