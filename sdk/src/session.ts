/**
 * Sessions as Amplitude's Browser SDK defines them: the session id is the epoch milliseconds at
 * which the session started, and a session ends after `timeoutMs` without activity. Activity is
 * a user interaction or a tracked event; DOM mutations alone never keep a session alive.
 *
 * State lives in storage so every tab and page of a site agrees on the device and session.
 */
import type { Clock, KeyValueStore } from './env';

export interface SessionState {
  deviceId: string;
  sessionId: number;
  lastActivity: number;
  userId?: string;
}

export interface SessionTouch {
  sessionId: number;
  /** True when this touch started a session (first visit or after the inactivity timeout). */
  started: boolean;
}

/** Persisting every mouse move would thrash storage; other tabs tolerate a second of staleness. */
const PERSIST_EVERY_MS = 1000;

export class SessionTracker {
  private state: SessionState;
  private lastPersisted = 0;

  constructor(
    private readonly storage: KeyValueStore,
    private readonly storageKey: string,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly timeoutMs: number,
    newDeviceId: () => string,
  ) {
    const stored = this.read();
    // A fresh device starts with an already-expired session so the first touch opens one.
    this.state = stored ?? { deviceId: newDeviceId(), sessionId: 0, lastActivity: -Infinity };
    if (!stored) this.persist();
  }

  get deviceId(): string {
    return this.state.deviceId;
  }

  get sessionId(): number {
    return this.state.sessionId;
  }

  get userId(): string | undefined {
    return this.state.userId;
  }

  setUserId(userId: string | undefined): void {
    this.state = { ...this.state, userId };
    this.persist();
  }

  /** Records activity now; opens a new session if the current one has timed out. */
  touch(): SessionTouch {
    const now = this.clock.now();
    if (!this.expired(this.state, now)) {
      this.state.lastActivity = Math.max(this.state.lastActivity, now);
      if (now - this.lastPersisted >= PERSIST_EVERY_MS) {
        this.adoptNewerSession(now);
        this.persist();
      }
      return { sessionId: this.state.sessionId, started: false };
    }
    // Another tab may have kept the session alive, or already opened the next one.
    const stored = this.read();
    if (stored && stored.deviceId === this.state.deviceId && !this.expired(stored, now)) {
      this.state = { ...stored, lastActivity: Math.max(stored.lastActivity, now) };
      this.persist();
      return { sessionId: this.state.sessionId, started: false };
    }
    this.state = { ...this.state, userId: stored?.userId ?? this.state.userId, sessionId: now, lastActivity: now };
    this.persist();
    return { sessionId: now, started: true };
  }

  /**
   * Two tabs that found the session expired at the same moment each opened one, and the last
   * write won in storage. Without this each tab would keep (and keep writing back) its own
   * session for as long as it is used; with it every tab converges on what storage holds when
   * that is a live session of another device (a first-visit race) or one started later.
   */
  private adoptNewerSession(now: number): void {
    const stored = this.read();
    if (!stored || this.expired(stored, now)) return;
    if (stored.deviceId === this.state.deviceId && stored.sessionId <= this.state.sessionId) return;
    this.state = { ...stored, lastActivity: Math.max(stored.lastActivity, now) };
  }

  private expired(state: SessionState, now: number): boolean {
    return state.sessionId <= 0 || now - state.lastActivity > this.timeoutMs;
  }

  private read(): SessionState | null {
    try {
      const raw = this.storage.getItem(this.storageKey);
      if (!raw) return null;
      const parsed: unknown = JSON.parse(raw);
      return parseSessionState(parsed);
    } catch {
      return null;
    }
  }

  private persist(): void {
    this.lastPersisted = this.clock.now();
    try {
      this.storage.setItem(this.storageKey, JSON.stringify(this.state));
    } catch {
      // Storage full or forbidden: the session still works for this page.
    }
  }
}

function parseSessionState(value: unknown): SessionState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.deviceId !== 'string' || v.deviceId === '') return null;
  const sessionId = typeof v.sessionId === 'number' && Number.isFinite(v.sessionId) ? v.sessionId : 0;
  const lastActivity = typeof v.lastActivity === 'number' && Number.isFinite(v.lastActivity) ? v.lastActivity : -Infinity;
  const state: SessionState = { deviceId: v.deviceId, sessionId, lastActivity };
  if (typeof v.userId === 'string') state.userId = v.userId;
  return state;
}

/**
 * Deterministic sampling: every page of a session hashes the same session id to the same bucket,
 * so a session is either recorded on all its pages or on none.
 */
export function sampleBucket(sessionId: number): number {
  const text = String(sessionId);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a alone clusters for near-identical inputs (consecutive timestamps); mix the bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

export function isSampled(sessionId: number, sampleRate: number): boolean {
  if (!(sampleRate > 0)) return false;
  if (sampleRate >= 1) return true;
  return sampleBucket(sessionId) < sampleRate;
}
