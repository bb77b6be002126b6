#!/usr/bin/env node
// Every test of reel, suite after suite, then one summary: `make test` runs this.
//
//   node scripts/run-all-tests.mjs                 the embedded suites: typecheck, rust, unit, e2e
//   node scripts/run-all-tests.mjs rust e2e        only these (what `make rust-test`, `make e2e` do)
//   node scripts/run-all-tests.mjs scale           reel against real servers it starts (an
//                                                  S3-compatible store): `make test-scale`
//   node scripts/run-all-tests.mjs --all           every suite, scale last (`make test-all`, CI)
//   node scripts/run-all-tests.mjs --summary-json out.json   also write the results as JSON
//   node scripts/run-all-tests.mjs --suites defs.mjs         run the suites a module exports instead
//                                                       (scripts/test/ runs it on fake suites)
//
// A suite that fails does not stop the others. The exit code is 0 only when every suite passed;
// the summary lists each suite's counts and names every failure (scripts/lib/run-suites.mjs).
//
// Environment: CARGO (default cargo), CARGO_TARGET_DIR (default ./target; the Makefile exports
// it), REEL_BIN (e2e: test this binary instead of building the debug one).

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatSummary, runSuites } from './lib/run-suites.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {import('./lib/run-suites.mjs').Suite[]} */
function reelSuites() {
  const cargo = process.env.CARGO || 'cargo';
  const targetDir = process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const node = process.execPath;
  // The binary embeds sdk/dist and web/dist; make rebuilds them only when their sources changed.
  const assets = { kind: 'build', label: 'make assets', command: ['make', '--no-print-directory', 'assets'] };
  const reelBin = process.env.REEL_BIN;
  return [
    {
      name: 'typecheck',
      description: 'TypeScript type check of the SDK, the UI, the test kit, the e2e tests, the benchmarks and the scripts; Rust formatting',
      steps: [
        ...['sdk', 'web', 'testkit', 'e2e', 'bench', 'scripts'].map((project) => ({
          kind: 'tsc',
          label: `tsc -p ${project}`,
          command: [tsc, '-p', `${project}/tsconfig.json`, '--noEmit'],
        })),
        // Last, so a formatting difference is named without keeping the type checks from running.
        { kind: 'build', label: 'cargo fmt --all --check', command: [cargo, 'fmt', '--all', '--check'] },
      ],
    },
    {
      name: 'rust',
      description: 'Rust unit and HTTP integration tests',
      steps: [assets, { kind: 'cargo-test', label: 'cargo test', command: [cargo, 'test', '--workspace', '--locked', '--no-fail-fast'] }],
    },
    {
      name: 'unit',
      description: 'SDK, UI, test-runner and test-kit unit tests (node:test)',
      steps: [
        {
          kind: 'node-test',
          label: 'node --test (unit)',
          command: [node, '--import', 'tsx', '--test', ...testFiles('sdk/test', 'web/test', 'scripts/test', 'testkit')],
        },
      ],
    },
    {
      name: 'e2e',
      description: 'the real binary driven by headless Chromium',
      steps: [
        ...(reelBin ? [] : [assets, { kind: 'build', label: 'cargo build -p reel', command: [cargo, 'build', '--locked', '-p', 'reel'] }]),
        {
          kind: 'node-test',
          label: 'node --test (e2e)',
          command: [node, '--import', 'tsx', '--test', '--test-concurrency=1', ...testFiles('e2e')],
          env: { REEL_BIN: reelBin || join(targetDir, 'debug/reel') },
        },
      ],
    },
    {
      name: 'scale',
      description: 'reel against real servers the tests start (recordings in an S3-compatible store, s3s-fs)',
      byNameOnly: true,
      steps: [
        // The server binary is built once into REEL_TOOLS (outside the clone), then reused.
        { kind: 'build', label: 'make s3s-fs', command: ['make', '--no-print-directory', 's3s-fs'] },
        { kind: 'cargo-test', label: 'cargo test --test scale', command: [cargo, 'test', '--locked', '-p', 'reel', '--test', 'scale'] },
      ],
    },
  ];
}

/** `<dir>/*.test.ts` and `<dir>/*.test.mjs`, relative to the repository root, sorted. */
function testFiles(...dirs) {
  return dirs.flatMap((dir) =>
    existsSync(join(ROOT, dir))
      ? readdirSync(join(ROOT, dir))
          .filter((name) => /\.test\.(ts|mjs)$/.test(name))
          .sort()
          .map((name) => `${dir}/${name}`)
      : [],
  );
}

async function main(argv) {
  let suitesModule;
  let summaryJson;
  let everySuite = false;
  const names = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--suites') suitesModule = argv[++i];
    else if (arg === '--summary-json') summaryJson = argv[++i];
    else if (arg === '--all') everySuite = true;
    else if (arg.startsWith('-')) return usage(`unknown option ${arg}`);
    else names.push(arg);
  }
  const all = suitesModule ? (await import(pathToFileURL(resolve(suitesModule)).href)).suites : reelSuites();
  const unknown = names.filter((name) => !all.some((suite) => suite.name === name));
  if (unknown.length > 0) return usage(`no suite named ${unknown.join(', ')} (suites: ${all.map((s) => s.name).join(', ')})`);
  // Suites that need more than the clone (real servers) run only when named, or with --all.
  const chosen =
    names.length > 0
      ? all.filter((suite) => names.includes(suite.name))
      : all.filter((suite) => everySuite || !suite.byNameOnly);

  const results = await runSuites(chosen, { cwd: ROOT });
  console.log(formatSummary(results));
  if (summaryJson) writeFileSync(summaryJson, `${JSON.stringify(results, null, 2)}\n`);
  return results.every((result) => result.status === 'passed') ? 0 : 1;
}

function usage(problem) {
  console.error(`run-all-tests: ${problem}\nusage: node scripts/run-all-tests.mjs [--all] [--suites FILE] [--summary-json FILE] [SUITE...]`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
