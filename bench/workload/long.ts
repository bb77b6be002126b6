// Writes the long session (testkit/long-session.ts: two hours of one visitor, generated from the
// committed workload recordings, deterministic) to a file, for storage and player work. The
// storage benchmark (crates/reel-bench, `storage`) runs it by this path.
//
//   npm run workload:long -- <out.json[.gz]> [--site admin|docs|shop] [--minutes 120]
//
// Output format: as testdata/workload (testkit/workload-files.ts), gzip when the path ends in .gz.

import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { generate, longSessionSeed, pageLoads } from '../../testkit/long-session.ts';
import { encodeEvents, SITES } from '../../testkit/workload-files.ts';

interface Options {
  out: string;
  site: string;
  minutes: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { out: '', site: 'admin', minutes: 120 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--site') options.site = argv[++i] ?? '';
    else if (arg === '--minutes') options.minutes = Number(argv[++i]);
    else if (!options.out) options.out = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (!options.out || !(SITES as readonly string[]).includes(options.site) || !(options.minutes > 0)) {
    throw new Error('usage: long.ts <out.json[.gz]> [--site admin|docs|shop] [--minutes 120]');
  }
  return options;
}

function main(): void {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  const loads = pageLoads(options.site);
  if (loads.length === 0) throw new Error(`no recorded page loads of ${options.site} in testdata/workload`);
  const events = generate(loads, options.minutes, longSessionSeed(options.site, options.minutes));
  const text = encodeEvents(events);
  writeFileSync(options.out, options.out.endsWith('.gz') ? gzipSync(text, { level: 6 }) : text);
  const first = JSON.parse(events[0] as string) as { timestamp: number };
  const last = JSON.parse(events[events.length - 1] as string) as { timestamp: number };
  const snapshots = events.filter((e) => e.startsWith('{"type":2,')).length;
  console.log(
    `${options.out}: ${events.length} events, ${((last.timestamp - first.timestamp) / 60_000).toFixed(1)} min, ` +
      `${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB raw JSON, ${snapshots} full snapshots, ` +
      `from ${loads.length} recorded ${options.site} page loads (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

main();
