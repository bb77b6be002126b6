// Runs test suites one after the other, every one even when an earlier one failed, and sums up
// what passed and what failed in each. The summary is made from the failures each suite
// reported, never from an exit code alone: a step that exits non-zero without naming a failure
// gets one named after it, so a failed run always says what failed.
//
// A suite is a list of steps; each step is one command whose output is shown as it runs and read
// by the parser of its kind:
//   build       no tests, must succeed; when it fails the suite "build failed", later steps skip
//   tsc         a type check: passes or fails as a whole, failures name the first errors
//   cargo-test  `cargo test` output: `test result:` lines, failed tests, crashed test binaries;
//               tests that do not compile make the suite "build failed"
//   node-test   node:test, with scripts/lib/node-test-results.mjs as a second reporter

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS_REPORTER = join(dirname(fileURLToPath(import.meta.url)), 'node-test-results.mjs');

/**
 * @typedef {{ kind: 'build' | 'tsc' | 'cargo-test' | 'node-test', label?: string, command: string[], env?: Record<string, string>, cwd?: string }} Step
 * @typedef {{ name: string, description?: string, byNameOnly?: boolean, steps: Step[] }} Suite
 * @typedef {{ name: string, detail?: string }} Failure
 * @typedef {{ name: string, status: 'passed' | 'failed' | 'build failed', passed: number, failed: number, skipped: number, failures: Failure[], seconds: number }} SuiteResult
 */

/**
 * Runs every suite in order and returns their results. Each suite's output goes to this
 * process's stdout and stderr as it comes; `log` gets the line that starts each suite.
 * @param {Suite[]} suites
 * @param {{ cwd: string, log?: (line: string) => void }} options
 * @returns {Promise<SuiteResult[]>}
 */
export async function runSuites(suites, { cwd, log = (line) => process.stdout.write(`${line}\n`) }) {
  const results = [];
  for (const suite of suites) {
    log(`\n=== ${suite.name}${suite.description ? ` — ${suite.description}` : ''}`);
    results.push(await runSuite(suite, cwd));
  }
  return results;
}

/** @param {Suite} suite @param {string} cwd @returns {Promise<SuiteResult>} */
async function runSuite(suite, cwd) {
  const started = Date.now();
  /** @type {SuiteResult} */
  const result = { name: suite.name, status: 'passed', passed: 0, failed: 0, skipped: 0, failures: [], seconds: 0 };
  for (const step of suite.steps) {
    const outcome = await runStep(step, cwd);
    result.passed += outcome.passed;
    result.skipped += outcome.skipped;
    result.failures.push(...outcome.failures);
    if (outcome.buildFailed || (step.kind === 'build' && outcome.failures.length > 0)) {
      result.status = 'build failed';
      break;
    }
  }
  result.failed = result.failures.length;
  if (result.status === 'passed' && result.failed > 0) result.status = 'failed';
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/**
 * @param {Step} step @param {string} cwd
 * @returns {Promise<{ passed: number, skipped: number, failures: Failure[], buildFailed?: boolean }>}
 */
async function runStep(step, cwd) {
  const label = step.label ?? step.command.join(' ');
  if (step.kind === 'node-test') return runNodeTest(step, cwd, label);
  // cargo names each test binary on stderr and the binary writes its results to stdout: only one
  // pipe for both keeps them in the order they were written, which the parser depends on.
  const run = await runCommand(step.command, {
    cwd: step.cwd ?? cwd,
    env: step.env,
    oneStream: step.kind === 'cargo-test',
  });
  const outcome = (() => {
    switch (step.kind) {
      case 'build':
        return { passed: 0, skipped: 0, failures: [] };
      case 'tsc':
        return parseTsc(run, label);
      case 'cargo-test':
        return parseCargoTest(run.output);
      default:
        throw new Error(`unknown step kind ${step.kind}`);
    }
  })();
  return withExitStatus(outcome, run, label);
}

/** A step that exited non-zero must have named a failure; if it did not, its exit status is one. */
function withExitStatus(outcome, run, label) {
  if (run.ok || outcome.failures.length > 0) return outcome;
  return {
    ...outcome,
    failures: [{ name: `${label}: ${run.status} without naming a failure`, detail: lastLines(run.output, 15) }],
  };
}

/**
 * Runs a command with its output shown as it comes and kept for parsing.
 * @returns {Promise<{ ok: boolean, status: string, output: string }>}
 */
export function runCommand(command, { cwd, env, oneStream = false }) {
  const [program, ...args] = oneStream ? ['sh', '-c', 'exec "$@" 2>&1', 'sh', ...command] : command;
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    // Set by node --test for its workers; a suite started from inside one must still run as a
    // top-level test run with its own reporters.
    delete childEnv.NODE_TEST_CONTEXT;
    const child = spawn(program, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      chunks.push(chunk);
    });
    child.once('error', (error) => resolve({ ok: false, status: `could not start (${error.message})`, output: '' }));
    child.once('close', (code, signal) =>
      resolve({
        ok: code === 0,
        status: signal ? `killed by ${signal}` : `exited with code ${code}`,
        output: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
}

// ---- tsc ----

function parseTsc(run, label) {
  if (run.ok) return { passed: 1, skipped: 0, failures: [] };
  const errors = stripAnsi(run.output)
    .split('\n')
    .filter((line) => /error TS\d+/.test(line));
  if (errors.length === 0) return { passed: 0, skipped: 0, failures: [] }; // named by withExitStatus
  return {
    passed: 0,
    skipped: 0,
    failures: [{ name: `${label}: ${errors.length} type error${errors.length === 1 ? '' : 's'}`, detail: errors.slice(0, 10).join('\n') }],
  };
}

// ---- cargo test ----

/** Sums `cargo test` output; names failed tests and test binaries that ended without a result. */
export function parseCargoTest(output) {
  let passed = 0;
  let skipped = 0;
  const failures = [];
  /** The test binary whose output is being read, whether it printed its `test result:`, and
   * how many of its failed tests were named. */
  let binary;
  let reported = true;
  let named = 0;
  const lines = stripAnsi(output).split('\n');
  const closeBinary = () => {
    if (binary && !reported) {
      failures.push({ name: `${binary}: the test binary ended without a result`, detail: cargoErrors(lines) });
    }
  };
  for (const line of lines) {
    const running = /^\s*(Running|Doc-tests)\s+(.*)$/.exec(line);
    if (running) {
      closeBinary();
      binary = running[1] === 'Doc-tests' ? `doc-tests ${running[2].trim()}` : binaryName(running[2]);
      reported = false;
      named = 0;
      continue;
    }
    const result = /^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored/.exec(line);
    if (result) {
      passed += Number(result[1]);
      skipped += Number(result[3]);
      for (let unnamed = Number(result[2]) - named; unnamed > 0; unnamed -= 1) {
        failures.push({ name: `${binary ?? 'rust'}: a failed test whose name was not printed` });
      }
      reported = true;
      continue;
    }
    const failed = /^test (.+?) \.\.\. FAILED$/.exec(line);
    if (failed) {
      named += 1;
      failures.push({ name: `${binary ?? 'rust'}: ${failed[1]}`, detail: panicOf(lines, failed[1]) });
    }
  }
  closeBinary();
  // No test binary ran, and cargo reported errors: they are compile errors.
  const buildFailed = binary === undefined && /^error(\[E\d+\])?:/m.test(stripAnsi(output));
  if (buildFailed) failures.push({ name: 'cargo: the tests did not build', detail: cargoErrors(lines) });
  return { passed, skipped, failures, buildFailed };
}

/** `unittests src/lib.rs (/target/debug/deps/reel_rrweb-0123abcd)` → `reel_rrweb src/lib.rs`. */
function binaryName(text) {
  const match = /^(?:unittests\s+)?(\S+)\s+\((.*)\)\s*$/.exec(text.trim());
  if (!match) return text.trim();
  const crate = match[2].split('/').pop().replace(/-[0-9a-f]{8,}$/, '');
  return `${crate} ${match[1]}`;
}

/** The panic message the harness printed for one failed test (`---- name stdout ----`). */
function panicOf(lines, test) {
  const start = lines.findIndex((line) => line.trim() === `---- ${test} stdout ----`);
  if (start < 0) return undefined;
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (/^(----|failures:|test result:|stack backtrace:|note: )/.test(line.trim()) || body.length >= 10) break;
    body.push(line);
  }
  return body.join('\n').trim() || undefined;
}

function cargoErrors(lines) {
  const errors = lines.filter((line) => /^(error|Caused by|\s+-->|\s+process didn't exit)/.test(line));
  return (errors.length > 0 ? errors : lines.slice(-10)).slice(0, 15).join('\n');
}

// ---- node:test ----

async function runNodeTest(step, cwd, label) {
  const scratch = mkdtempSync(join(tmpdir(), 'reel-test-results-'));
  const resultsFile = join(scratch, 'results.jsonl');
  try {
    const [program, ...rest] = step.command;
    // The reporter shown is the one node picks itself (spec on a terminal, tap otherwise).
    const shown = process.stdout.isTTY ? 'spec' : 'tap';
    const reporters = [
      `--test-reporter=${shown}`,
      '--test-reporter-destination=stdout',
      `--test-reporter=${RESULTS_REPORTER}`,
      `--test-reporter-destination=${resultsFile}`,
    ];
    const at = rest.indexOf('--test');
    if (at < 0) throw new Error(`a node-test step must run node with --test: ${step.command.join(' ')}`);
    const command = [program, ...rest.slice(0, at + 1), ...reporters, ...rest.slice(at + 1)];
    const run = await runCommand(command, { cwd: step.cwd ?? cwd, env: step.env });
    let text = '';
    try {
      text = readFileSync(resultsFile, 'utf8');
    } catch {
      // node did not get as far as reporting (it could not start, or a file failed to load)
    }
    return withExitStatus(parseNodeTestResults(text, step.cwd ?? cwd), run, label);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Counts what node-test-results.mjs wrote. Passed and skipped count tests. Failures are failed
 * tests (cancelled ones too); suites that failed themselves (a hook or the describe callback
 * threw), not those that only failed because a test in them did; errors node caught after a test
 * had ended (it reports them as a diagnostic); and a test file whose process failed with none of
 * these to show for it.
 */
export function parseNodeTestResults(text, cwd) {
  let passed = 0;
  let skipped = 0;
  const failures = [];
  /** Failures of this run by test file, to tell whether a failed file is already explained. */
  const failedFiles = new Set();
  /** Errors after a test ended, not yet tied to their file (node's diagnostic names no file). */
  let lateErrors = [];
  const context = [];
  const stderr = new Map();
  for (const line of text.split('\n')) {
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // an empty line, or the last one of a process that was killed while writing
    }
    const where = record.file ? relative(cwd, record.file) : undefined;
    switch (record.event) {
      case 'pass':
        if (record.kind === 'test') passed += 1;
        break;
      case 'skip':
        if (record.kind === 'test') skipped += 1;
        break;
      case 'fail': {
        if (record.failureType === 'subtestsFailed') break;
        if (record.kind === 'file') {
          if (lateErrors.length > 0) {
            for (const failure of lateErrors) failure.name = `${where} › ${failure.name}`;
            lateErrors = [];
          } else if (!failedFiles.has(record.file)) {
            const lines = [...context.splice(0), ...(stderr.get(record.file) ?? []).slice(-10)];
            failures.push({
              name: `${where}: the test file's process failed outside its tests`,
              detail: [`node: "${record.message}", with no failed test, hook or late error to explain it`, ...lines].join('\n'),
            });
          }
          break;
        }
        failedFiles.add(record.file);
        failures.push({
          name: [where, ...record.path].filter(Boolean).join(' › '),
          detail: record.failureType === 'cancelledByParent' ? `cancelled: ${record.message}` : record.message,
        });
        break;
      }
      case 'diagnostic': {
        // node's words when it catches an uncaughtException or unhandledRejection outside a test.
        const late = /^(?:Error|Warning): (Test "(.*)" at (\S+)|Test hook "(.*)" at (\S+)|A resource) generated asynchronous activity after the test ended/.exec(
          record.message,
        );
        if (late) {
          const failure = {
            name: `${late[2] ?? late[4] ?? 'a resource'}: an error after the test ended`,
            detail: record.message,
          };
          failures.push(failure);
          lateErrors.push(failure);
        } else {
          context.push(record.message);
        }
        break;
      }
      case 'stderr':
        if (!stderr.has(record.file)) stderr.set(record.file, []);
        stderr.get(record.file).push(String(record.message).trimEnd());
        break;
      default:
        break;
    }
  }
  return { passed, skipped, failures };
}

// ---- summary ----

/** The summary printed at the end of a run, one line per suite and one per failure. */
export function formatSummary(results) {
  const width = Math.max(...results.map((r) => r.name.length), 5);
  const lines = ['', '=== summary'];
  for (const r of results) {
    const status = r.status === 'passed' ? 'ok' : r.status.toUpperCase();
    const counts = `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
    lines.push(`${r.name.padEnd(width)}  ${status.padEnd(12)}  ${counts.padEnd(32)}  ${r.seconds.toFixed(1)} s`);
    for (const failure of r.failures) {
      lines.push(`${' '.repeat(width)}    ✗ ${failure.name}`);
      if (failure.detail) {
        for (const detail of failure.detail.split('\n').slice(0, 8)) lines.push(`${' '.repeat(width)}        ${detail}`);
      }
    }
  }
  const bad = results.filter((r) => r.status !== 'passed');
  const total = results.reduce((sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed }), { passed: 0, failed: 0 });
  lines.push(
    bad.length === 0
      ? `all ${results.length} suites passed (${total.passed} tests)`
      : `FAILED: ${bad.map((r) => `${r.name} (${r.status})`).join(', ')} — ${total.failed} failure${total.failed === 1 ? '' : 's'}, ${total.passed} passed`,
  );
  return lines.join('\n');
}

function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

function lastLines(text, n) {
  return stripAnsi(text).trimEnd().split('\n').slice(-n).join('\n');
}
