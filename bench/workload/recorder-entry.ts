// What the workload recorder injects into every page (bundled by record.ts with esbuild): reel's
// own recording module with reel's default privacy and checkout settings, plus its failed-request
// capture, so the events are what reel's SDK would record. Like the SDK's client, it drops rrweb's
// DomContentLoaded/Load markers and serializes each event with JSON.stringify exactly once; the
// string goes to Node through a binding that record.ts exposes.
import { captureFailedRequests } from '../../sdk/src/network';
import { resolvePrivacy } from '../../sdk/src/privacy';
import { EventType, startRecording, type RecordedEvent } from '../../sdk/src/recorder';

type Emit = (pageLoad: number, seq: number, json: string) => void;
const win = window as unknown as Window & typeof globalThis & { __reelWorkloadEmit?: Emit };

/** reel's SDK default (`checkoutEveryNms` in sdk/src/client.ts). */
const CHECKOUT_EVERY_MS = 5 * 60 * 1000;
const pageLoad = performance.timeOrigin;
let seq = 0;

function emit(event: RecordedEvent): void {
  if (event.type === EventType.DomContentLoaded || event.type === EventType.Load) return;
  win.__reelWorkloadEmit?.(pageLoad, seq++, JSON.stringify(event));
}

if (win.top === win) {
  const privacy = resolvePrivacy(undefined, (selector) => {
    try {
      document.createDocumentFragment().querySelector(selector);
      return true;
    } catch {
      return false;
    }
  });
  startRecording({ emit, privacy, checkoutEveryNms: CHECKOUT_EVERY_MS, console: true });
  captureFailedRequests(win, {
    now: () => Date.now(),
    ignore: () => false,
    onFailure: (request) => emit({ type: EventType.Plugin, data: { plugin: 'rrweb/network@1', payload: { requests: [request] } }, timestamp: request.endTime }),
  });
}
