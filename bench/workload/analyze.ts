// Baseline analysis of the committed workload (testdata/workload): where the bytes of real rrweb
// recordings are, and what general-purpose compression does with them. Guides the storage design.
//
//   npm run workload:analyze [-- DIR]
//
// Sizes are bytes of UTF-8 JSON. A session's JSON is the array "[e1,e2,...]" of its events as
// recorded. gzip is Node's zlib at level 6 on each session's JSON; zstd is Debian's `zstd -19
// --long=27` CLI (apt-get install zstd) on one stream of all sessions, each followed by "\n".

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { WORKLOAD_DIR, listSessions, readSession } from '../../testkit/workload-files.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Event {
  type: number;
  data: { source?: number; adds?: Json; removes?: Json; texts?: Json; attributes?: Json; plugin?: string } & Record<string, Json>;
  timestamp: number;
}

const INCREMENTAL_SOURCES = ['Mutation', 'MouseMove', 'MouseInteraction', 'Scroll', 'ViewportResize', 'Input', 'TouchMove', 'MediaInteraction', 'StyleSheetRule', 'CanvasMutation', 'Font', 'Log', 'Drag', 'StyleDeclaration', 'Selection', 'AdoptedStyleSheet', 'CustomElement'];
const EVENT_TYPES = ['DomContentLoaded', 'Load', 'FullSnapshot', 'Incremental', 'Meta', 'Custom', 'Plugin', 'Asset', 'Annotation'];
const THRESHOLDS = [512, 2048, 16384];
const DELTA_KEYS = new Set(['id', 'parentId', 'nextId', 'previousId']);

const bytes = (s: string): number => Buffer.byteLength(s);

function eventKind(e: Event): string {
  if (e.type === 3) return `Incremental/${INCREMENTAL_SOURCES[e.data.source ?? -1] ?? e.data.source}`;
  if (e.type === 6) return `Plugin/${e.data.plugin}`;
  return EVENT_TYPES[e.type] ?? String(e.type);
}

/** Calls `visit` for every string leaf with the key it sits under. */
function walkStrings(value: Json, key: string, visit: (s: string, key: string) => void): void {
  if (typeof value === 'string') visit(value, key);
  else if (Array.isArray(value)) for (const v of value) walkStrings(v, key, visit);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, k, visit);
}

function stringKind(s: string, key: string): string {
  if (key === '_cssText') return '_cssText';
  if (s.startsWith('data:')) return 'data: URL';
  if (key === 'textContent') return 'text node';
  if (key === 'payload' || key === 'trace') return 'console';
  return `other (${key})`;
}

/**
 * The reversible transform: every integer under `id`, `parentId`, `nextId`, `previousId` becomes
 * its difference from the previous integer under the same key (in document order over the whole
 * stream), and each event's `timestamp` its difference from the previous event's.
 */
class DeltaCoder {
  private last = new Map<string, number>();
  private lastTimestamp = 0;

  constructor(private readonly sign: 1 | -1) {}

  event(e: Event): Event {
    const out = this.walk(e as unknown as Json, '') as unknown as Event;
    if (this.sign === 1) {
      out.timestamp = e.timestamp - this.lastTimestamp;
      this.lastTimestamp = e.timestamp;
    } else {
      out.timestamp = e.timestamp + this.lastTimestamp;
      this.lastTimestamp = out.timestamp;
    }
    return out;
  }

  private walk(value: Json, key: string): Json {
    if (typeof value === 'number' && DELTA_KEYS.has(key) && Number.isInteger(value)) {
      const previous = this.last.get(key) ?? 0;
      const coded = this.sign === 1 ? value - previous : value + previous;
      this.last.set(key, this.sign === 1 ? value : coded);
      return coded;
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, key));
    if (value !== null && typeof value === 'object') {
      const out: { [k: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, k);
      return out;
    }
    return value;
  }
}

function zstd(input: Buffer): number {
  const run = spawnSync('zstd', ['-19', '--long=27', '-c', '-q'], { input, maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) {
    throw new Error(`zstd failed (${run.error?.message ?? run.stderr.toString()}); install it with: apt-get install -y zstd`);
  }
  return run.stdout.length;
}

interface Totals {
  sessions: number;
  events: number;
  durationMs: number;
  raw: number;
  gzip: number;
  streams: Buffer[];
  deltaStreams: Buffer[];
}

const mb = (n: number): string => (n / 1e6).toFixed(2);
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;

function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function main(): void {
  const dir = process.argv[2] ?? WORKLOAD_DIR;
  const files = listSessions(dir);
  if (files.length === 0) throw new Error(`no sessions in ${dir}`);
  const bySite = new Map<string, Totals>();
  const kinds = new Map<string, { count: number; bytes: number }>();
  const mutationParts = { adds: 0, removes: 0, texts: 0, attributes: 0 };
  const large = THRESHOLDS.map(() => ({ bytes: 0, count: 0, sessionUnique: 0, sessionDistinct: 0, kinds: new Map<string, number>() }));
  const globalSeen = THRESHOLDS.map(() => new Map<string, number>());
  let cssText = 0;
  let total = 0;
  let reserializedDiffer = 0;
  let deltaMismatch = 0;
  const metaSnapshotSplit = { metas: 0, followedBySnapshot: 0 };
  const sessionRows: Array<Array<string | number>> = [];

  for (const file of files) {
    const events = readSession(file.path);
    const json = `[${events.join(',')}]`;
    const site = bySite.get(file.site) ?? { sessions: 0, events: 0, durationMs: 0, raw: 0, gzip: 0, streams: [], deltaStreams: [] };
    bySite.set(file.site, site);
    site.sessions += 1;
    site.events += events.length;
    site.raw += bytes(json);
    const gzipBefore = site.gzip;
    site.gzip += gzipSync(json, { level: 6 }).length;
    site.streams.push(Buffer.from(`${json}\n`));
    total += bytes(json);

    const sessionSeen = THRESHOLDS.map(() => new Set<string>());
    const coder = new DeltaCoder(1);
    const decoder = new DeltaCoder(-1);
    const delta: string[] = [];
    let first = Infinity;
    let last = -Infinity;
    events.forEach((text, i) => {
      const e = JSON.parse(text) as Event;
      first = Math.min(first, e.timestamp);
      last = Math.max(last, e.timestamp);
      if (JSON.stringify(e) !== text) reserializedDiffer += 1;
      const kind = eventKind(e);
      const k = kinds.get(kind) ?? { count: 0, bytes: 0 };
      k.count += 1;
      k.bytes += bytes(text);
      kinds.set(kind, k);
      if (e.type === 4) {
        metaSnapshotSplit.metas += 1;
        if ((JSON.parse(events[i + 1] ?? '{}') as { type?: number }).type === 2) metaSnapshotSplit.followedBySnapshot += 1;
      }
      if (e.type === 3 && e.data.source === 0) {
        for (const part of ['adds', 'removes', 'texts', 'attributes'] as const) mutationParts[part] += bytes(JSON.stringify(e.data[part] ?? []));
      }
      walkStrings(e.data as unknown as Json, '', (s, key) => {
        const size = bytes(JSON.stringify(s));
        if (key === '_cssText') cssText += size;
        THRESHOLDS.forEach((threshold, t) => {
          if (size < threshold) return;
          const bucket = large[t]!;
          bucket.bytes += size;
          bucket.count += 1;
          const sk = stringKind(s, key);
          bucket.kinds.set(sk, (bucket.kinds.get(sk) ?? 0) + size);
          const hash = createHash('sha256').update(s).digest('hex');
          if (!sessionSeen[t]!.has(hash)) {
            sessionSeen[t]!.add(hash);
            bucket.sessionUnique += size;
          }
          globalSeen[t]!.set(hash, size);
        });
      });
      const coded = coder.event(e);
      const codedText = JSON.stringify(coded);
      delta.push(codedText);
      if (JSON.stringify(decoder.event(JSON.parse(codedText) as Event)) !== JSON.stringify(e)) deltaMismatch += 1;
    });
    site.durationMs += last - first;
    THRESHOLDS.forEach((_, t) => (large[t]!.sessionDistinct += sessionSeen[t]!.size));
    sessionRows.push([file.name, events.length, events.filter((e) => e.startsWith('{"type":4,')).length, `${((last - first) / 1000).toFixed(0)} s`, mb(bytes(json)), mb(site.gzip - gzipBefore)]);
    site.deltaStreams.push(Buffer.from(`[${delta.join(',')}]\n`));
  }

  const sites = [...bySite.entries()];
  const all: Totals = {
    sessions: sites.reduce((n, [, s]) => n + s.sessions, 0),
    events: sites.reduce((n, [, s]) => n + s.events, 0),
    durationMs: sites.reduce((n, [, s]) => n + s.durationMs, 0),
    raw: total,
    gzip: sites.reduce((n, [, s]) => n + s.gzip, 0),
    streams: sites.flatMap(([, s]) => s.streams),
    deltaStreams: sites.flatMap(([, s]) => s.deltaStreams),
  };

  console.log(`workload: ${files.length} sessions in ${dir}\n`);
  console.log('## Sessions\n');
  console.log(table(['session', 'events', 'page loads', 'duration', 'raw MB', 'gzip-6 MB'], sessionRows));
  console.log('');
  console.log('## Sizes (raw JSON; gzip -6 per session, summed; zstd -19 --long=27 of one stream)\n');
  const rows: Array<Array<string | number>> = [];
  const zstdOf = new Map<string, { plain: number; delta: number }>();
  for (const [name, s] of [...sites, ['all', all] as [string, Totals]]) {
    const plain = zstd(Buffer.concat(s.streams));
    const delta = zstd(Buffer.concat(s.deltaStreams));
    zstdOf.set(name, { plain, delta });
    const minutes = s.durationMs / 60_000;
    rows.push([
      name,
      s.sessions,
      s.events,
      `${minutes.toFixed(1)} min`,
      mb(s.raw),
      `${mb(s.raw / minutes)}`,
      `${mb(s.gzip)} (${(s.raw / s.gzip).toFixed(1)}x)`,
      `${mb(plain)} (${(s.raw / plain).toFixed(1)}x)`,
      `${mb(delta)} (${pct(delta - plain, plain)})`,
    ]);
  }
  console.log(table(['site', 'sessions', 'events', 'duration', 'raw MB', 'raw MB/min', 'gzip-6 MB', 'zstd-19 MB', 'zstd-19 delta-coded MB'], rows));

  console.log('\n## Bytes by event type / incremental source\n');
  console.log(
    table(
      ['kind', 'events', 'MB', 'share'],
      [...kinds.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([k, v]) => [k, v.count, mb(v.bytes), pct(v.bytes, total)]),
    ),
  );

  console.log('\n## Where the bytes are (share of all raw JSON)\n');
  const parts: Array<Array<string | number>> = [
    ['mutation adds', mb(mutationParts.adds), pct(mutationParts.adds, total)],
    ['mutation attributes', mb(mutationParts.attributes), pct(mutationParts.attributes, total)],
    ['mutation texts', mb(mutationParts.texts), pct(mutationParts.texts, total)],
    ['mutation removes', mb(mutationParts.removes), pct(mutationParts.removes, total)],
    ['_cssText strings (any size)', mb(cssText), pct(cssText, total)],
  ];
  THRESHOLDS.forEach((threshold, t) => parts.push([`strings >= ${threshold < 1024 ? threshold : `${threshold / 1024} KiB`}`, mb(large[t]!.bytes), pct(large[t]!.bytes, total)]));
  console.log(table(['part', 'MB', 'share'], parts));

  console.log('\n## Large strings: what they are and how often they repeat\n');
  console.log(
    table(
      ['strings', 'count', 'distinct per session', 'distinct overall', 'total MB', 'unique per session MB', 'unique overall MB', 'largest kinds (MB)'],
      THRESHOLDS.map((threshold, t) => {
        const b = large[t]!;
        const unique = [...globalSeen[t]!.values()].reduce((n, v) => n + v, 0);
        const top = [...b.kinds.entries()].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
        return [`>= ${threshold} B`, b.count, b.sessionDistinct, globalSeen[t]!.size, mb(b.bytes), `${mb(b.sessionUnique)} (${pct(b.sessionUnique, b.bytes)})`, `${mb(unique)} (${pct(unique, b.bytes)})`, top];
      }),
    ),
  );

  const z = zstdOf.get('all')!;
  console.log('\n## Notes\n');
  console.log(`- delta-coding id/parentId/nextId/previousId and timestamp changes zstd -19 --long of everything from ${mb(z.plain)} MB to ${mb(z.delta)} MB (${pct(z.delta - z.plain, z.plain)}); decoding reproduced every event: ${deltaMismatch === 0 ? 'yes' : `no, ${deltaMismatch} differ`}`);
  console.log(`- events whose JSON.stringify(JSON.parse(e)) differs from the recorded bytes: ${reserializedDiffer} (the transform's input is the re-serialized event)`);
  console.log(`- Meta events: ${metaSnapshotSplit.metas}, of which followed directly by a FullSnapshot: ${metaSnapshotSplit.followedBySnapshot}`);
  console.log(`- gzip -6 per session vs zstd -19 --long over all: ${(all.gzip / z.plain).toFixed(1)}x smaller with zstd (long-range matches find CSS and snapshots repeated across page loads and sessions)`);
}

main();
