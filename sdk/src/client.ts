/**
 * One reel client per page: wires session tracking, recording, autocapture, batching, uploads
 * and persistence together. Everything here runs behind try/catch at its entry points: the SDK
 * failing must never be the host page failing.
 */
import { startAutocapture, type Properties } from './autocapture';
import { Batcher, isMetaEvent } from './batch';
import { debug, shortHash, systemClock, uuid, type Clock, type KeyValueStore } from './env';
import { captureFailedRequests, type FailedRequest } from './network';
import { resolvePrivacy, type PrivacyOptions, type ResolvedPrivacy } from './privacy';
import { EventType, startRecording, type RecordedEvent } from './recorder';
import { combine, CONFIG_TIMEOUT_MS, fetchRemoteConfig, type CaptureSettings } from './remote-config';
import { isSampled, SessionTracker } from './session';
import { deferredStore, openBatchStore, takeHandoff, writeHandoff, type BatchKind, type BatchStore, type StoredBatch } from './store';
import { fetchSender, sendBeacon } from './transport';
import { Uploader } from './uploader';
import { compilePatterns, matchesAny, type UrlPatterns } from './url-pattern';
import { LIBRARY_NAME, VERSION } from './version';
import { beaconsFor, buildUploadRequest, type WireConfig } from './wire';

export interface ReelOptions {
  apiKey: string;
  /** Origin of the reel server, e.g. `https://reel.example.com`. */
  serverUrl: string;
  /** Share of sessions recorded, in [0, 1]; default 1. Analytics events are always sent. */
  sampleRate?: number;
  privacy?: PrivacyOptions;
  /** Upload pending events at least this often; default 3000 ms. */
  flushIntervalMs?: number;
  /** Take a fresh full snapshot this often, so a long replay can be entered mid-way; default 5 min. */
  checkoutEveryNms?: number;
  /** A session ends after this long without activity; default 30 min. */
  sessionTimeoutMs?: number;
}

export const SESSION_REPLAY_ID_PROPERTY = '[Amplitude] Session Replay ID';

const DEFAULT_FLUSH_INTERVAL_MS = 3000;
const DEFAULT_CHECKOUT_MS = 5 * 60 * 1000;
const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_BATCH_SIZE = 1_000_000;
const MAX_EVENT_SIZE = 9_000_000;
const IDB_MAX_SIZE = 5_000_000;
const LOCAL_STORAGE_MAX_SIZE = 1_000_000;
const LEASE_MS = 2 * 60 * 1000;
const HANDOFF_MAX_SIZE = 1_000_000;
const CLAIM_EVERY_MS = 30_000;
const MAX_ATTEMPTS = 5;
const PAUSE_MS = 60_000;
const ACTIVITY_THROTTLE_MS = 1000;
const ACTIVITY_EVENTS = ['pointerdown', 'mousemove', 'keydown', 'input', 'scroll', 'wheel', 'touchstart'] as const;

interface Recording {
  replayId: string;
  stop: (() => void) | null;
  active: boolean;
}

interface AnalyticsEvent {
  event_type: string;
  user_id?: string;
  device_id: string;
  session_id: number;
  time: number;
  insert_id: string;
  event_properties: Properties;
  user_properties?: Properties;
  library: string;
  platform: 'Web';
  language: string;
  user_agent: string;
}

function memoryKeyValueStore(): KeyValueStore {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

function browserKeyValueStore(win: Window): KeyValueStore {
  try {
    const storage = win.localStorage;
    storage.getItem('reel:probe');
    return storage;
  } catch {
    return memoryKeyValueStore();
  }
}

function isValidSelector(doc: Document): (selector: string) => boolean {
  return (selector) => {
    try {
      doc.createDocumentFragment().querySelector(selector);
      return true;
    } catch {
      debug(`ignoring invalid selector ${selector}`);
      return false;
    }
  };
}

export class ReelClient {
  private readonly clock: Clock = systemClock;
  private readonly wire: WireConfig;
  private readonly checkoutEveryNms: number;
  /** The options the site passed, before the project's settings are known. */
  private readonly local: { sampleRate: number; privacy: PrivacyOptions | undefined };
  /** Resolved in place once the project's settings arrive (autocapture holds this object). */
  private readonly privacy: ResolvedPrivacy;
  /** The settings in force; null until the remote configuration answered (or timed out). */
  private settings: CaptureSettings | null = null;
  private blockedPages: UrlPatterns = [];
  /** The current page's URL is blocked: nothing is recorded on it. */
  private onBlockedPage = false;
  /** Replay batches of a session younger than the minimum duration, not sent yet. */
  private held: StoredBatch[] = [];
  private releaseTimer: unknown = null;
  private readonly pageFetch: typeof fetch;
  private readonly session: SessionTracker;
  private readonly kv: KeyValueStore;
  private readonly store: BatchStore;
  private readonly uploaders: Record<BatchKind, Uploader>;
  private readonly replayBatcher: Batcher;
  private readonly analyticsBatcher: Batcher;
  private readonly stoppedKey: string;
  private readonly handoffKey: string;
  private recording: Recording | null = null;
  /** Session for which the record-or-not decision was last taken. */
  private decidedSession = 0;
  private lastActivity = -Infinity;
  private readonly teardown: Array<() => void> = [];

  constructor(
    options: ReelOptions,
    private readonly win: Window & typeof globalThis,
  ) {
    const serverUrl = String(options.serverUrl).replace(/\/+$/, '');
    this.local = { sampleRate: clampRate(options.sampleRate), privacy: options.privacy };
    this.checkoutEveryNms = positive(options.checkoutEveryNms, DEFAULT_CHECKOUT_MS);
    this.privacy = resolvePrivacy(options.privacy, isValidSelector(win.document));
    this.pageFetch = win.fetch.bind(win);
    this.wire = {
      apiKey: options.apiKey,
      serverUrl,
      sampleRate: this.local.sampleRate,
      pageUrl: () => `${win.location.origin}${win.location.pathname}`,
    };
    const namespace = shortHash(options.apiKey);
    this.kv = browserKeyValueStore(win);
    this.stoppedKey = `reel:stopped:${namespace}`;
    this.handoffKey = `reel:handoff:${namespace}`;
    this.session = new SessionTracker(
      this.kv,
      `reel:session:${namespace}`,
      this.clock,
      positive(options.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS),
      uuid,
    );
    this.store = deferredStore(openBatchStore(namespace, IDB_MAX_SIZE, LOCAL_STORAGE_MAX_SIZE));

    // Keep the page's fetch as it is now: uploads must not pass through reel's own wrapper.
    const send = fetchSender(this.pageFetch);
    const uploader = (splitOnAny413: boolean): Uploader =>
      new Uploader({
        clock: this.clock,
        random: Math.random,
        store: this.store,
        send,
        buildRequest: (batch) => buildUploadRequest(this.wire, batch, this.clock.now()),
        leaseMs: LEASE_MS,
        maxAttempts: MAX_ATTEMPTS,
        pauseMs: PAUSE_MS,
        maxQueuedSize: IDB_MAX_SIZE,
        splitOnAny413,
        onStopSession: (replayId) => this.stopSession(replayId),
      });
    this.uploaders = { replay: uploader(false), analytics: uploader(true) };

    const flushIntervalMs = positive(options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS);
    const batcher = (kind: BatchKind): Batcher =>
      new Batcher({
        maxBatchSize: MAX_BATCH_SIZE,
        maxEventSize: MAX_EVENT_SIZE,
        flushIntervalMs,
        clock: this.clock,
        onBatch: (key, events, size) => this.send(this.newBatch(kind, key, events, size)),
        onOversizeEvent: (_key, size) => debug(`dropping a ${kind} event of ${size} bytes`),
        // A Meta and the FullSnapshot after it travel in one upload: the server starts a playable chunk there.
        ...(kind === 'replay' ? { holdWithNext: isMetaEvent } : {}),
      });
    this.replayBatcher = batcher('replay');
    this.analyticsBatcher = batcher('analytics');
  }

  start(): void {
    this.claimStored();
    this.listen(this.win, 'pagehide', () => this.onPageExit(true));
    this.listen(this.win.document, 'visibilitychange', () => {
      if (this.win.document.visibilityState === 'hidden') this.onPageExit(false);
    });
    for (const type of ACTIVITY_EVENTS) this.listen(this.win, type, () => this.onActivity());
    this.teardown.push(
      captureFailedRequests(this.win, {
        now: () => this.clock.now(),
        ignore: (url) =>
          url.startsWith(`${this.wire.serverUrl}/sessions/`) ||
          url.startsWith(`${this.wire.serverUrl}/2/httpapi`) ||
          url.startsWith(`${this.wire.serverUrl}/config`),
        onFailure: (request) => this.recordNetworkFailure(request),
      }),
    );
    this.session.touch();
    this.teardown.push(startAutocapture(this.win, { track: (name, props) => this.track(name, props), privacy: this.privacy }));
    void this.configure();
  }

  /**
   * Fetches the project's Session Replay settings (the remote configuration), then starts
   * recording with them; without an answer in time, with the site's own options. A page keeps
   * the settings it started with: a change reaches the next page load.
   */
  private async configure(): Promise<void> {
    const remote = await fetchRemoteConfig(this.pageFetch, this.wire.serverUrl, this.wire.apiKey, CONFIG_TIMEOUT_MS);
    try {
      const settings = combine(this.local, remote);
      Object.assign(this.privacy, resolvePrivacy(settings.privacy, isValidSelector(this.win.document)));
      this.blockedPages = compilePatterns(settings.blockedUrls);
      this.wire.sampleRate = settings.sampleRate;
      this.settings = settings;
      this.decidedSession = 0;
      this.syncRecording();
      if (this.held.length) this.scheduleRelease();
    } catch (error) {
      debug('could not apply the project settings', error);
    }
  }

  get replayId(): string {
    return `${this.session.deviceId}/${this.session.sessionId}`;
  }

  track(eventType: string, properties: Properties | undefined, userProperties?: Properties): void {
    this.session.touch();
    this.checkPage();
    this.syncRecording();
    const event: AnalyticsEvent = {
      event_type: eventType,
      device_id: this.session.deviceId,
      session_id: this.session.sessionId,
      time: this.clock.now(),
      insert_id: uuid(),
      event_properties: { ...(isPlainObject(properties) ? properties : {}), [SESSION_REPLAY_ID_PROPERTY]: this.replayId },
      library: `${LIBRARY_NAME}/${VERSION}`,
      platform: 'Web',
      language: this.win.navigator.language,
      user_agent: this.win.navigator.userAgent,
    };
    const userId = this.session.userId;
    if (userId !== undefined) event.user_id = userId;
    if (userProperties) event.user_properties = userProperties;
    this.analyticsBatcher.add('analytics', JSON.stringify(event));
  }

  identify(userId: string, userProperties: Properties | undefined): void {
    this.session.setUserId(String(userId));
    this.track('$identify', {}, { $set: isPlainObject(userProperties) ? userProperties : {} });
  }

  async flush(): Promise<void> {
    this.replayBatcher.flush();
    this.analyticsBatcher.flush();
    await Promise.all([this.uploaders.replay.flush(), this.uploaders.analytics.flush()]);
  }

  private newBatch(kind: BatchKind, key: string, events: string[], size: number): StoredBatch {
    const now = this.clock.now();
    return { id: uuid(), kind, replayId: kind === 'replay' ? key : '', events, size, createdAt: now, leaseUntil: now + LEASE_MS };
  }

  private listen(target: EventTarget, type: string, handler: () => void): void {
    const guarded = (): void => {
      try {
        handler();
      } catch (error) {
        debug(`${type} handler failed`, error);
      }
    };
    target.addEventListener(type, guarded, { capture: true, passive: true });
    this.teardown.push(() => target.removeEventListener(type, guarded, { capture: true }));
  }

  private onActivity(): void {
    const now = this.clock.now();
    if (now - this.lastActivity < ACTIVITY_THROTTLE_MS) return;
    this.lastActivity = now;
    this.session.touch();
    this.checkPage();
    this.syncRecording();
  }

  /**
   * Nothing is recorded on a page whose URL is blocked: entering one (a link within a single-page
   * app) stops the recording, leaving it starts a new one (with a full snapshot) for the session.
   */
  private checkPage(): void {
    if (!this.settings) return;
    const blocked = this.blockedPages.length > 0 && matchesAny(this.blockedPages, this.win.location.href);
    if (blocked === this.onBlockedPage) return;
    this.onBlockedPage = blocked;
    this.decidedSession = 0;
    if (blocked) this.stopRecording();
  }

  /** Starts a new recording when the session changed, so every session's replay opens with Meta + FullSnapshot. */
  private syncRecording(): void {
    const settings = this.settings;
    // Nothing is recorded before the project's settings are known.
    if (!settings) return;
    const sessionId = this.session.sessionId;
    if (sessionId === this.decidedSession) return;
    this.decidedSession = sessionId;
    this.stopRecording();
    const replayId = this.replayId;
    if (!settings.captureEnabled || this.onBlockedPage || this.blockedNow()) return;
    if (!isSampled(sessionId, settings.sampleRate) || this.kv.getItem(this.stoppedKey) === replayId) return;
    const recording: Recording = { replayId, stop: null, active: true };
    this.recording = recording;
    recording.stop = startRecording({
      emit: (event) => this.onRecorded(recording, event),
      privacy: this.privacy,
      checkoutEveryNms: this.checkoutEveryNms,
      console: settings.console,
    });
    if (!recording.stop) this.recording = null;
  }

  private stopRecording(): void {
    const recording = this.recording;
    this.recording = null;
    if (!recording) return;
    recording.active = false;
    try {
      recording.stop?.();
    } catch (error) {
      debug('could not stop recording', error);
    }
    // Seal the ended session's events so they never share a batch with the next session's.
    this.replayBatcher.flush();
  }

  private onRecorded(recording: Recording, event: RecordedEvent): void {
    try {
      if (!recording.active) return;
      // rrweb's DomContentLoaded/Load markers carry nothing but a timestamp; without them every
      // replay (and every session's first batch) starts with Meta + FullSnapshot.
      if (event.type === EventType.DomContentLoaded || event.type === EventType.Load) return;
      this.replayBatcher.add(recording.replayId, JSON.stringify(event));
    } catch (error) {
      debug('could not queue a recorded event', error);
    }
  }

  private blockedNow(): boolean {
    this.onBlockedPage = this.blockedPages.length > 0 && matchesAny(this.blockedPages, this.win.location.href);
    return this.onBlockedPage;
  }

  /**
   * Queues a batch for upload — unless it holds replay events of a session younger than the
   * project's minimum duration: those wait until the session is old enough (and go with the
   * page-exit handoff to the session's next page; a session that ends younger is never sent).
   */
  private send(batch: StoredBatch): void {
    if (batch.kind === 'replay' && this.tooYoung(batch.replayId)) {
      this.held.push(batch);
      this.scheduleRelease();
      return;
    }
    this.uploaders[batch.kind].enqueue(batch);
  }

  /** Whether replay events of `replayId` must wait: it is this page's session, and too young. */
  private tooYoung(replayId: string): boolean {
    const min = this.settings?.minSessionMs ?? 0;
    if (min <= 0 || replayId !== this.replayId) return false;
    return this.clock.now() - this.session.sessionId < min;
  }

  private scheduleRelease(): void {
    // Before the project's settings are known, held events wait for them.
    if (this.releaseTimer !== null || !this.settings) return;
    const wait = Math.max(0, this.session.sessionId + (this.settings?.minSessionMs ?? 0) - this.clock.now());
    this.releaseTimer = this.clock.setTimeout(() => {
      this.releaseTimer = null;
      const held = this.held;
      this.held = [];
      for (const batch of held) this.send(batch);
    }, wait);
  }

  private recordNetworkFailure(request: FailedRequest): void {
    const recording = this.recording;
    if (!recording || this.settings?.network === false) return;
    this.onRecorded(recording, {
      type: EventType.Plugin,
      data: { plugin: 'rrweb/network@1', payload: { requests: [request] } },
      timestamp: request.endTime,
    });
  }

  /** The server said it will not take more of this session (`X-Session-Replay-Event-Skipped: 4004/4005`). */
  private stopSession(replayId: string): void {
    try {
      this.kv.setItem(this.stoppedKey, replayId);
    } catch {
      // The stop then only holds for this page.
    }
    if (this.recording?.replayId === replayId) {
      this.recording.active = false;
      this.stopRecording();
    }
  }

  /** Picks up what earlier pages left: their page-exit handoff, then stored batches whose lease ran out. */
  private claimStored(): void {
    const claim = (): void => {
      const now = this.clock.now();
      const adopt = (batches: StoredBatch[]): void => {
        for (const kind of ['replay', 'analytics'] as const) {
          this.uploaders[kind].adopt(batches.filter((b) => b.kind === kind && !this.uploaders[kind].has(b.id)));
        }
      };
      const all = takeHandoff(this.kv, this.handoffKey).map((b) => ({ ...b, leaseUntil: now + LEASE_MS }));
      const handedOver = all.filter((b) => !b.held);
      for (const b of handedOver) this.store.put(b).catch((error) => debug('could not persist batch', error));
      adopt(handedOver);
      // Batches an earlier page held for the minimum duration: this session's wait on; another
      // session's ended younger than the minimum, so they are not sent.
      for (const b of all.filter((b) => b.held)) {
        if (b.replayId === this.replayId) this.held.push({ ...b, held: false });
      }
      if (this.held.length) this.scheduleRelease();
      this.store
        .claim(now, now + LEASE_MS)
        .then(adopt)
        .catch((error) => debug('could not read stored batches', error));
      this.claimTimer = this.clock.setTimeout(claim, CLAIM_EVERY_MS);
    };
    claim();
    this.teardown.push(() => this.clock.clearTimeout(this.claimTimer));
  }

  private claimTimer: unknown = null;

  /**
   * The page is hidden or going away: send what is waiting with sendBeacon (which outlives the
   * page), 64 KB at a time. What cannot go is queued again if the page stays; on `pagehide` it is
   * handed to the next page through localStorage, which sends it at once.
   */
  private onPageExit(unloading: boolean): void {
    const now = this.clock.now();
    const pending: StoredBatch[] = [];
    const replayPending = this.replayBatcher.take();
    if (replayPending) pending.push(this.newBatch('replay', replayPending.key, replayPending.events, replayPending.size));
    const analyticsPending = this.analyticsBatcher.take();
    if (analyticsPending) pending.push(this.newBatch('analytics', analyticsPending.key, analyticsPending.events, analyticsPending.size));
    // Held for the minimum duration: handed to the session's next page as they are.
    const held = pending.filter((b) => b.kind === 'replay' && this.tooYoung(b.replayId));
    const waiting = [
      ...this.uploaders.analytics.takeWaiting(),
      ...this.uploaders.replay.takeWaiting(),
      ...pending.filter((b) => !held.includes(b)),
    ];
    held.push(...this.held);

    let beaconsRefused = false;
    const leftovers: StoredBatch[] = [];
    for (const batch of waiting) {
      const remaining: string[] = [];
      // Respect the server's back-pressure: a paused replay channel sends nothing, not even beacons.
      if (beaconsRefused || (batch.kind === 'replay' && this.uploaders.replay.paused)) {
        remaining.push(...batch.events);
      } else {
        const { beacons, tooLarge } = beaconsFor(this.wire, batch, now);
        remaining.push(...tooLarge);
        for (const beacon of beacons) {
          if (!beaconsRefused && sendBeacon(beacon)) continue;
          beaconsRefused = true;
          remaining.push(...beacon.events);
        }
      }
      if (remaining.length === 0) {
        this.store.remove(batch.id).catch(() => undefined);
        continue;
      }
      // Same id: the leftover replaces the stored copy of the batch.
      leftovers.push({ ...batch, events: remaining, size: remaining.reduce((n, e) => n + e.length, 0), leaseUntil: now + LEASE_MS });
    }
    if (!unloading) {
      for (const rest of leftovers) {
        this.store.put(rest).catch(() => undefined);
        this.uploaders[rest.kind].adopt([rest]);
      }
      this.held = held;
      if (held.length) this.scheduleRelease();
      return;
    }
    leftovers.push(...held.map((b) => ({ ...b, held: true })));
    this.held = [];
    // A request cut off by the unload would otherwise keep its batch leased for minutes.
    const sending = [this.uploaders.replay.sending, this.uploaders.analytics.sending].filter((b): b is StoredBatch => b !== null);
    try {
      writeHandoff(this.kv, this.handoffKey, [...sending, ...leftovers], HANDOFF_MAX_SIZE);
    } catch (error) {
      debug('could not hand unsent events over to the next page', error);
    }
  }
}

function clampRate(rate: number | undefined): number {
  if (typeof rate !== 'number' || Number.isNaN(rate)) return 1;
  return Math.min(1, Math.max(0, rate));
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function isPlainObject(value: unknown): value is Properties {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
