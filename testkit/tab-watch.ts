// A browser tab watched through the Chrome DevTools Protocol: its requests to reel (bytes on the
// wire, whether each has ended) and its JS heap. For the e2e tests and benchmarks that bound
// what the player transfers and holds.

import type { CDPSession } from 'playwright-core';

export interface WatchedRequest {
  url: string;
  /** Bytes on the wire (`encodedDataLength`), once the request has finished. */
  bytes: number;
  /** Finished or failed. */
  done: boolean;
}

/**
 * The tab's requests to paths starting with one of `prefixes`, from now on (the session needs
 * `Network.enable`): call the result for the requests so far.
 */
export function watchRequests(cdp: CDPSession, prefixes: string[]): () => WatchedRequest[] {
  const requests = new Map<string, WatchedRequest>();
  cdp.on('Network.requestWillBeSent', (event) => {
    const url = event.request.url;
    if (prefixes.some((prefix) => new URL(url).pathname.startsWith(prefix))) requests.set(event.requestId, { url, bytes: 0, done: false });
  });
  cdp.on('Network.loadingFinished', (event) => {
    const request = requests.get(event.requestId);
    if (request) Object.assign(request, { bytes: event.encodedDataLength, done: true });
  });
  cdp.on('Network.loadingFailed', (event) => {
    const request = requests.get(event.requestId);
    if (request) request.done = true;
  });
  return () => [...requests.values()];
}

export interface HeapSampler {
  /** The largest used JS heap sampled so far (bytes). */
  peak(): number;
  samples(): number;
  /** Ends the sampling (resolves once the last sample is in). */
  stop(): Promise<void>;
}

/** Samples the tab's used JS heap (`Runtime.getHeapUsage`) every `intervalMs` until stopped. */
export function sampleHeap(cdp: CDPSession, intervalMs: number): HeapSampler {
  let peak = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
        peak = Math.max(peak, usedSize);
        samples += 1;
      } catch {
        // The page is navigating: the next sample counts.
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    peak: () => peak,
    samples: () => samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
