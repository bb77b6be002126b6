// The long session: two hours of one visitor on one site, generated from pieces of the committed
// workload recordings (testdata/workload), deterministic (same inputs, same bytes), in a few
// seconds. Used by the player's e2e test (e2e/player-long.test.ts), the player benchmark
// (bench/player/) and, through `npm run workload:long` (bench/workload/long.ts), the storage
// benchmark.
//
// The recordings are cut into page loads (Meta + FullSnapshot + what followed). The generated
// visitor goes from page to page (3–14 minutes each). On a page, the page load's own events play
// at a slower pace than recorded, then start over after a pause, again and again until the page
// is left; the first event five minutes after the last full snapshot is preceded by a fresh
// Meta + FullSnapshot, as reel's SDK (`checkoutEveryNms`) produces, and the events start over.
// Node ids are renumbered as rrweb's recorder would: every snapshot gets fresh ids, and nodes
// added by mutations get fresh ids in every round, so no id is added twice; a later round's
// removals and changes of snapshot nodes that the page load removed for good are left out (and
// an add positioned next to one is appended instead). Mouse movement, clicks, scrolls, inputs
// (masked), re-rendered subtrees and console logs all come from the recordings; only time
// stamps and ids are new. A repeated round re-adds what it renders, so a replay can show more
// table rows than the page had.
//
// With the committed recordings: admin (the default) ≈ 58 MB of raw JSON, mostly mutation
// `adds`; shop ≈ 40 MB; docs ≈ 28 MB, mostly full snapshots. About 5 s.

import { Rng } from './prng.ts';
import { listSessions, readSession } from './workload-files.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Event {
  type: number;
  data: { [key: string]: Json };
  timestamp: number;
}

/** A page load from a recording: Meta, FullSnapshot, and the events until the next page load. */
interface PageLoad {
  href: string;
  meta: Event;
  snapshot: Event;
  rest: Event[];
  /** Largest node id anywhere in the page load. */
  maxId: number;
  /** Ids of nodes that mutations add (renumbered per round). */
  dynamic: Set<number>;
  /** Snapshot nodes that the page load removes for good (with their subtrees). */
  removed: Set<number>;
}

const ID_KEYS = new Set(['id', 'parentId', 'nextId', 'previousId', 'rootId']);
const START = Date.UTC(2026, 10, 2, 9, 0, 0); // a fixed Monday morning: the output must not depend on today
const CHECKOUT_MS = 5 * 60 * 1000; // reel's SDK default checkoutEveryNms

/** Deep copy with every node id passed through `map`; HTML attribute objects are not ids. */
function remap(value: Json, key: string, map: (id: number) => number): Json {
  if (typeof value === 'number') return ID_KEYS.has(key) && Number.isInteger(value) && value > 0 ? map(value) : value;
  if (Array.isArray(value)) return value.map((v) => remap(v, `${key}[]`, map));
  if (value !== null && typeof value === 'object') {
    if (key === 'attributes') return value; // an element's attributes (an `id` attribute is a string anyway)
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = remap(v, k, map);
    return out;
  }
  return value;
}

function forEachId(value: Json, key: string, visit: (id: number, key: string) => void): void {
  if (typeof value === 'number' && ID_KEYS.has(key) && Number.isInteger(value)) visit(value, key);
  else if (Array.isArray(value)) for (const v of value) forEachId(v, `${key}[]`, visit);
  else if (value !== null && typeof value === 'object' && key !== 'attributes') for (const [k, v] of Object.entries(value)) forEachId(v, k, visit);
}

export function pageLoads(site: string): PageLoad[] {
  const out: PageLoad[] = [];
  for (const file of listSessions().filter((f) => f.site === site)) {
    const events = readSession(file.path).map((e) => JSON.parse(e) as Event);
    let current: PageLoad | null = null;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as Event;
      const next = events[i + 1];
      if (e.type === 4 && next?.type === 2) {
        current = { href: String(e.data.href), meta: e, snapshot: next, rest: [], maxId: 0, dynamic: new Set(), removed: new Set() };
        out.push(current);
        i++;
        continue;
      }
      current?.rest.push(e);
    }
  }
  for (const load of out) {
    // Nodes that mutations add get fresh ids each round, unless they are snapshot nodes moved
    // elsewhere (rrweb reports a move as a removal and an add of the same id).
    const children = new Map<number, number[]>();
    const tree = (node: { id: number; childNodes?: Array<{ id: number }> }): void => {
      children.set(node.id, (node.childNodes ?? []).map((c) => c.id));
      for (const child of node.childNodes ?? []) tree(child);
    };
    tree(load.snapshot.data.node as unknown as { id: number });
    for (const e of [load.snapshot, ...load.rest]) forEachId(e.data as Json, '', (id) => (load.maxId = Math.max(load.maxId, id)));
    for (const e of load.rest) {
      if (e.type !== 3 || e.data.source !== 0) continue;
      const take = (id: number): void => {
        load.removed.add(id);
        for (const child of children.get(id) ?? []) take(child);
      };
      for (const r of (e.data.removes as Array<{ id: number }>) ?? []) if (children.has(r.id)) take(r.id);
      for (const add of (e.data.adds as Array<{ node: Json }>) ?? []) {
        forEachId(add.node, '', (id, key) => {
          if (key !== 'id') return;
          if (children.has(id)) load.removed.delete(id);
          else load.dynamic.add(id);
        });
      }
    }
  }
  return out.filter((l) => l.rest.length > 0);
}

export function generate(loads: PageLoad[], minutes: number, seed: string): string[] {
  const rng = new Rng(seed);
  const end = START + minutes * 60_000;
  const out: string[] = [];
  let now = START;
  let nextId = 1; // rrweb's id counter: ids only grow over a recording
  let previous: PageLoad | null = null;
  const emit = (e: Event): void => {
    out.push(JSON.stringify(e));
  };
  while (now < end) {
    // A page visit: a page load other than the last one's page.
    const candidates = loads.filter((l) => l.href !== previous?.href);
    const load = rng.pick(candidates.length > 0 ? candidates : loads);
    previous = load;
    const leave = Math.min(end, now + rng.int(3, 14) * 60_000);
    while (now < leave) {
      // A (re)snapshot of the page: fresh ids for everything, like a checkout.
      const base = nextId - 1;
      const snapshotAt = now;
      emit({ ...load.meta, timestamp: now });
      emit({ ...load.snapshot, data: remap(load.snapshot.data as Json, '', (id) => id + base) as Event['data'], timestamp: now });
      nextId += load.maxId;
      let round = 0;
      const origin = load.meta.timestamp;
      while (now < leave && now - snapshotAt < CHECKOUT_MS) {
        const roundBase = nextId - 1;
        const map = (id: number): number => (load.dynamic.has(id) ? id + roundBase : id + base);
        const pace = 1.6 + rng.next() * 1.2; // the recordings are a brisk visitor; this one reads more
        const roundStart = now;
        for (const e of load.rest) {
          const at = roundStart + Math.round((e.timestamp - origin) * pace);
          // The visitor leaves, or the checkout is due: its snapshot comes before this event.
          if (at >= leave || at - snapshotAt >= CHECKOUT_MS) break;
          let data: Event['data'] | null = e.data;
          if (e.type === 3 && e.data.source === 0 && round > 0) data = dropRemoved(e.data, load.removed, load.dynamic);
          if (data === null) continue;
          emit({ ...e, data: e.type === 3 ? (remap(data as Json, '', map) as Event['data']) : data, timestamp: at });
          now = at;
        }
        nextId += load.maxId;
        round++;
        now += rng.int(4, 40) * 1000; // reading, thinking
      }
    }
  }
  return out;
}

/** A later round's mutation without the parts that touch snapshot nodes already removed; null if nothing is left. */
function dropRemoved(data: Event['data'], removed: Set<number>, dynamic: Set<number>): Event['data'] | null {
  const gone = (id: number): boolean => !dynamic.has(id) && removed.has(id);
  const removes = ((data.removes as Array<{ id: number; parentId: number }>) ?? []).filter((r) => !gone(r.id) && !gone(r.parentId));
  const adds = ((data.adds as Array<{ parentId: number; nextId?: number | null; previousId?: number | null }>) ?? [])
    .filter((a) => !gone(a.parentId))
    .map((a) => (a.nextId != null && gone(a.nextId)) || (a.previousId != null && gone(a.previousId)) ? { ...a, nextId: null, previousId: null } : a);
  const texts = ((data.texts as Array<{ id: number }>) ?? []).filter((t) => !gone(t.id));
  const attributes = ((data.attributes as Array<{ id: number }>) ?? []).filter((a) => !gone(a.id));
  if (removes.length + adds.length + texts.length + attributes.length === 0) return null;
  return { ...data, removes, adds, texts, attributes } as unknown as Event['data'];
}

/** The seed of the long session of `site`: every user of it gets the same bytes. */
export function longSessionSeed(site: string, minutes: number): string {
  return `long-${site}-${minutes}`;
}

export interface LongSession {
  /** Each event's JSON text, in recorded order. */
  events: string[];
  startMs: number;
  endMs: number;
  /** Bytes of event JSON, all events together. */
  rawBytes: number;
}

/**
 * The deterministic long session of `site` (about 58 MB of JSON for 120 minutes of the admin
 * site), shifted so that it ended `endedAgoMs` ago.
 */
export function longSession(options: { minutes?: number; site?: string; endedAgoMs?: number } = {}): LongSession {
  const minutes = options.minutes ?? 120;
  const site = options.site ?? 'admin';
  const texts = generate(pageLoads(site), minutes, longSessionSeed(site, minutes));
  const parsed = texts.map((text) => JSON.parse(text) as { timestamp: number });
  let first = Infinity;
  let last = -Infinity;
  for (const event of parsed) {
    first = Math.min(first, event.timestamp);
    last = Math.max(last, event.timestamp);
  }
  const shift = Date.now() - (options.endedAgoMs ?? 10 * 60_000) - last;
  let rawBytes = 0;
  const events = parsed.map((event) => {
    event.timestamp += shift;
    const text = JSON.stringify(event);
    rawBytes += text.length;
    return text;
  });
  return { events, startMs: first + shift, endMs: last + shift, rawBytes };
}
