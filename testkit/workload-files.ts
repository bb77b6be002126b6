// The recorded workload's files (testdata/workload): their format, reading and writing. Shared by
// the recorder and the analysis (bench/workload/) and the long-session generator (long-session.ts).
//
// testdata/workload/<site>-<n>.json.gz is gzip of a JSON array of one session's rrweb events, one
// event per line: "[\n" + events.join(",\n") + "\n]\n". Each line (less its trailing comma) is the
// event's JSON exactly as the recorder's JSON.stringify produced it, so a reader can take an
// event's bytes without re-serializing (rrweb JSON never holds a raw newline: strings escape it).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

export const WORKLOAD_DIR = fileURLToPath(new URL('../testdata/workload/', import.meta.url));
export const SITES = ['admin', 'docs', 'shop'] as const;
export type Site = (typeof SITES)[number];

export interface SessionFile {
  site: string;
  n: number;
  name: string;
  path: string;
}

export function encodeEvents(events: readonly string[]): string {
  return `[\n${events.join(',\n')}\n]\n`;
}

export function decodeEvents(text: string): string[] {
  const lines = text.split('\n');
  if (lines[0] !== '[' || lines[lines.length - 2] !== ']') throw new Error('not a workload event file');
  return lines.slice(1, -2).map((line, i, all) => (i < all.length - 1 ? line.slice(0, -1) : line));
}

export function gzipEvents(events: readonly string[]): Buffer {
  return gzipSync(encodeEvents(events), { level: 9 });
}

export function readSession(path: string): string[] {
  return decodeEvents(gunzipSync(readFileSync(path)).toString('utf8'));
}

/** The committed sessions, by site then number. */
export function listSessions(dir = WORKLOAD_DIR): SessionFile[] {
  return readdirSync(dir)
    .map((name) => /^([a-z]+)-(\d+)\.json\.gz$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ site: m[1] as string, n: Number(m[2]), name: m[0].replace(/\.json\.gz$/, ''), path: join(dir, m[0]) }))
    .sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : a.n - b.n));
}
