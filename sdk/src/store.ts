/**
 * Persistence of unsent batches, so a page that closes (or a server that is down) loses nothing:
 * a batch is written before its first upload attempt and deleted only after a 2xx (or after the
 * server rejected it for good). Storage is bounded; the oldest batches go first.
 *
 * Page exit is special: the browser aborts IndexedDB transactions of a page being unloaded, so
 * what is left at `pagehide` is handed to the next page through localStorage (`writeHandoff`),
 * the one storage written synchronously.
 *
 * Several tabs share the store. Each batch carries a lease: a page owns the batches it wrote or
 * claimed while their lease runs, and releases them on `pagehide`. Another page (usually the next
 * one) claims batches whose lease ran out and sends them.
 */
import { debug, type KeyValueStore } from './env';

export type BatchKind = 'replay' | 'analytics';

export interface StoredBatch {
  id: string;
  kind: BatchKind;
  /** `<device_id>/<session_id>` for replay batches, empty for analytics batches. */
  replayId: string;
  /** Serialized events: rrweb events for replay batches, analytics event objects otherwise. */
  events: string[];
  size: number;
  createdAt: number;
  leaseUntil: number;
  /**
   * Replay events a page held back because their session was younger than the project's
   * minimum duration when the page went away: only that session's next page sends them.
   */
  held?: boolean;
}

export type BatchMeta = Omit<StoredBatch, 'events'>;

export interface BatchStore {
  put(batch: StoredBatch): Promise<void>;
  remove(id: string): Promise<void>;
  /** Takes the batches whose lease ran out, giving them the new lease; drops expired ones. */
  claim(now: number, leaseUntil: number): Promise<StoredBatch[]>;
}

/** Batches older than this are not worth sending any more (and would never leave otherwise). */
export const MAX_BATCH_AGE_MS = 3 * 24 * 60 * 60 * 1000;

/** Ids to delete, oldest first, so that `incomingSize` fits within `maxSize`. */
export function evictionsFor(existing: readonly BatchMeta[], incomingSize: number, maxSize: number): string[] {
  let total = incomingSize;
  for (const m of existing) total += m.size;
  const byAge = [...existing].sort((a, b) => a.createdAt - b.createdAt);
  const evicted: string[] = [];
  for (const m of byAge) {
    if (total <= maxSize) break;
    evicted.push(m.id);
    total -= m.size;
  }
  return evicted;
}

export function partitionForClaim(
  metas: readonly BatchMeta[],
  now: number,
): { claimable: BatchMeta[]; expired: BatchMeta[] } {
  const claimable: BatchMeta[] = [];
  const expired: BatchMeta[] = [];
  for (const m of metas) {
    if (now - m.createdAt > MAX_BATCH_AGE_MS) expired.push(m);
    else if (m.leaseUntil <= now) claimable.push(m);
  }
  claimable.sort((a, b) => a.createdAt - b.createdAt);
  return { claimable, expired };
}

function metaOf(b: StoredBatch): BatchMeta {
  const { events: _events, ...meta } = b;
  return meta;
}

/** A store kept as one list, loaded and saved whole: memory, or one localStorage key. */
export class ListBatchStore implements BatchStore {
  constructor(
    private readonly load: () => StoredBatch[],
    private readonly save: (batches: StoredBatch[]) => void,
    private readonly maxSize: number,
  ) {}

  async put(batch: StoredBatch): Promise<void> {
    if (batch.size > this.maxSize) return;
    const others = this.load().filter((b) => b.id !== batch.id);
    const evicted = new Set(evictionsFor(others.map(metaOf), batch.size, this.maxSize));
    this.save([...others.filter((b) => !evicted.has(b.id)), batch]);
  }

  async remove(id: string): Promise<void> {
    const all = this.load();
    const kept = all.filter((b) => b.id !== id);
    if (kept.length !== all.length) this.save(kept);
  }

  async claim(now: number, leaseUntil: number): Promise<StoredBatch[]> {
    const all = this.load();
    const { claimable, expired } = partitionForClaim(all.map(metaOf), now);
    if (claimable.length === 0 && expired.length === 0) return [];
    const claimed = new Set(claimable.map((m) => m.id));
    const gone = new Set(expired.map((m) => m.id));
    const next = all.filter((b) => !gone.has(b.id)).map((b) => (claimed.has(b.id) ? { ...b, leaseUntil } : b));
    this.save(next);
    return next.filter((b) => claimed.has(b.id)).sort((a, b) => a.createdAt - b.createdAt);
  }
}

export function memoryBatchStore(maxSize: number): BatchStore {
  let batches: StoredBatch[] = [];
  return new ListBatchStore(
    () => batches,
    (next) => {
      batches = next;
    },
    maxSize,
  );
}

export function localStorageBatchStore(storage: Storage, key: string, maxSize: number): BatchStore {
  return new ListBatchStore(
    () => {
      const raw = storage.getItem(key);
      if (!raw) return [];
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? (parsed as StoredBatch[]) : [];
    },
    (next) => {
      if (next.length === 0) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(next));
    },
    maxSize,
  );
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const META = 'meta';
const DATA = 'data';

/** IndexedDB store: metadata and event payloads in separate object stores, so bookkeeping never reads payloads. */
export class IdbBatchStore implements BatchStore {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly maxSize: number,
  ) {}

  static async open(name: string, maxSize: number): Promise<IdbBatchStore> {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(META, { keyPath: 'id' });
      req.result.createObjectStore(DATA, { keyPath: 'id' });
    };
    return new IdbBatchStore(await request(req), maxSize);
  }

  async put(batch: StoredBatch): Promise<void> {
    if (batch.size > this.maxSize) return;
    const tx = this.db.transaction([META, DATA], 'readwrite');
    const meta = tx.objectStore(META);
    const data = tx.objectStore(DATA);
    const finished = done(tx);
    const others = (await request(meta.getAll() as IDBRequest<BatchMeta[]>)).filter((m) => m.id !== batch.id);
    for (const id of evictionsFor(others, batch.size, this.maxSize)) {
      meta.delete(id);
      data.delete(id);
    }
    meta.put(metaOf(batch));
    data.put({ id: batch.id, events: batch.events });
    await finished;
  }

  async remove(id: string): Promise<void> {
    const tx = this.db.transaction([META, DATA], 'readwrite');
    const finished = done(tx);
    tx.objectStore(META).delete(id);
    tx.objectStore(DATA).delete(id);
    await finished;
  }

  async claim(now: number, leaseUntil: number): Promise<StoredBatch[]> {
    const tx = this.db.transaction([META, DATA], 'readwrite');
    const meta = tx.objectStore(META);
    const data = tx.objectStore(DATA);
    const finished = done(tx);
    const { claimable, expired } = partitionForClaim(await request(meta.getAll() as IDBRequest<BatchMeta[]>), now);
    for (const m of expired) {
      meta.delete(m.id);
      data.delete(m.id);
    }
    const claimed = await Promise.all(
      claimable.map(async (m): Promise<StoredBatch | null> => {
        meta.put({ ...m, leaseUntil });
        const row = (await request(data.get(m.id))) as { events?: unknown } | undefined;
        return row && Array.isArray(row.events) ? { ...m, leaseUntil, events: row.events as string[] } : null;
      }),
    );
    await finished;
    return claimed.filter((b): b is StoredBatch => b !== null);
  }
}

/**
 * IndexedDB when it opens, else localStorage with a smaller budget (it is shared with the host
 * page, which must not run out of room because of us), else memory only.
 */
export async function openBatchStore(namespace: string, idbMaxSize: number, localStorageMaxSize: number): Promise<BatchStore> {
  try {
    if (typeof indexedDB !== 'undefined') return await IdbBatchStore.open(`reel-${namespace}`, idbMaxSize);
  } catch (error) {
    debug('indexedDB unavailable, falling back to localStorage', error);
  }
  try {
    if (typeof localStorage !== 'undefined') {
      const key = `reel:queue:${namespace}`;
      localStorage.getItem(key);
      return localStorageBatchStore(localStorage, key, localStorageMaxSize);
    }
  } catch (error) {
    debug('localStorage unavailable, unsent batches will not survive the page', error);
  }
  return memoryBatchStore(idbMaxSize);
}

/** A store usable before the real one has finished opening; once open, calls go straight through. */
export function deferredStore(opening: Promise<BatchStore>): BatchStore {
  let open: BatchStore | null = null;
  const ready = opening.then((store) => (open = store));
  return {
    put: (b) => (open ? open.put(b) : ready.then((s) => s.put(b))),
    remove: (id) => (open ? open.remove(id) : ready.then((s) => s.remove(id))),
    claim: (now, lease) => (open ? open.claim(now, lease) : ready.then((s) => s.claim(now, lease))),
  };
}

/**
 * Writes the batches a closing page could not send, whole batches only, oldest first, within
 * `maxSize`; batches that do not fit keep their stored copy and are claimed once its lease ends.
 */
export function writeHandoff(storage: KeyValueStore, key: string, batches: readonly StoredBatch[], maxSize: number): void {
  const kept = [...readHandoffWithoutClearing(storage, key)];
  const ids = new Set(batches.map((b) => b.id));
  const all = [...kept.filter((b) => !ids.has(b.id)), ...batches].sort((a, b) => a.createdAt - b.createdAt);
  const chosen: StoredBatch[] = [];
  let size = 0;
  for (const b of all) {
    if (size + b.size > maxSize) continue;
    chosen.push({ ...b, leaseUntil: 0 });
    size += b.size;
  }
  if (chosen.length > 0) storage.setItem(key, JSON.stringify(chosen));
}

/** Takes the batches a previous page handed over (and clears them, so one page takes them). */
export function takeHandoff(storage: KeyValueStore, key: string): StoredBatch[] {
  const batches = readHandoffWithoutClearing(storage, key);
  if (batches.length > 0) storage.removeItem(key);
  return batches;
}

function readHandoffWithoutClearing(storage: KeyValueStore, key: string): StoredBatch[] {
  try {
    const raw = storage.getItem(key);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter(isStoredBatch) : [];
  } catch {
    return [];
  }
}

function isStoredBatch(value: unknown): value is StoredBatch {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return (
    typeof b.id === 'string' &&
    (b.kind === 'replay' || b.kind === 'analytics') &&
    typeof b.replayId === 'string' &&
    Array.isArray(b.events) &&
    b.events.every((e) => typeof e === 'string') &&
    typeof b.size === 'number' &&
    typeof b.createdAt === 'number'
  );
}
