/**
 * reel browser SDK: session replay (rrweb) plus product analytics events, sent to a reel server
 * with Amplitude's wire protocol. Public surface: `init`, `track`, `identify`, `flush`,
 * `getSessionReplayId` — as ES module exports and, in the script-tag build, on `window.reel`.
 *
 * Invariant: no call here throws into the host page; failures are logged with console.debug.
 */
import { ReelClient, type ReelOptions } from './client';
import { debug } from './env';
import { VERSION } from './version';

export type { ReelOptions } from './client';
export type { PrivacyOptions } from './privacy';
export { VERSION };

let client: ReelClient | null = null;

export function init(options: ReelOptions): void {
  try {
    if (client) return debug('init called twice; keeping the first configuration');
    if (typeof window === 'undefined' || typeof document === 'undefined') return debug('not in a browser; reel stays off');
    if (!options || typeof options.apiKey !== 'string' || !options.apiKey || typeof options.serverUrl !== 'string' || !options.serverUrl) {
      return debug('init needs apiKey and serverUrl');
    }
    client = new ReelClient(options, window);
    client.start();
  } catch (error) {
    debug('init failed', error);
  }
}

export function track(eventType: string, properties?: Record<string, unknown>): void {
  try {
    if (!client) return debug('track called before init');
    client.track(String(eventType), properties);
  } catch (error) {
    debug('track failed', error);
  }
}

export function identify(userId: string, userProperties?: Record<string, unknown>): void {
  try {
    if (!client) return debug('identify called before init');
    client.identify(userId, userProperties);
  } catch (error) {
    debug('identify failed', error);
  }
}

/** Uploads everything pending now; resolves once every batch got an attempt (never rejects). */
export function flush(): Promise<void> {
  try {
    return client ? client.flush().catch((error) => debug('flush failed', error)) : Promise.resolve();
  } catch (error) {
    debug('flush failed', error);
    return Promise.resolve();
  }
}

/** `"<device_id>/<session_id>"`, the id the server files this session's replay under; null before init. */
export function getSessionReplayId(): string | null {
  try {
    return client ? client.replayId : null;
  } catch {
    return null;
  }
}
