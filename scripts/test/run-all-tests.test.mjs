// scripts/run-all-tests.mjs against fake suites (scripts/fixtures/run-all-tests/suites.mjs): every suite runs although
// earlier ones fail, the exit code is non-zero, the counts are right, and every way a step can
// fail — a failed test, a hook or describe that throws, a crashed test binary, a build, a
// command that exits non-zero silently — is a named failure in the summary.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runner = join(here, '..', 'run-all-tests.mjs');
const fakeSuites = join(here, '..', 'fixtures/run-all-tests/suites.mjs');

test('a run over failing and passing suites runs them all, counts right and exits 1', { timeout: 60_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'reel-run-all-tests-'));
  try {
    const summaryFile = join(scratch, 'summary.json');
    // This file runs under node --test, which marks its children as test workers; the runner
    // under test must start as a top-level run.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, [runner, '--suites', fakeSuites, '--summary-json', summaryFile], {
      env,
      encoding: 'utf8',
    });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 1, `the runner should exit 1; it exited ${run.status}. Output:\n${output}`);

    const results = JSON.parse(readFileSync(summaryFile, 'utf8'));
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.deepEqual(
      results.map((r) => r.name),
      ['healthy', 'cargo', 'cargo-unbuildable', 'outside', 'unbuildable', 'silent', 'mixed', 'last'],
      'every suite ran, in order',
    );
    const counts = (name) => {
      const { status, passed, failed, skipped } = byName[name];
      return { status, passed, failed, skipped };
    };
    assert.deepEqual(counts('healthy'), { status: 'passed', passed: 2, failed: 0, skipped: 1 });
    assert.deepEqual(counts('cargo'), { status: 'failed', passed: 6, failed: 2, skipped: 1 });
    assert.deepEqual(counts('cargo-unbuildable'), { status: 'build failed', passed: 0, failed: 1, skipped: 0 });
    assert.deepEqual(counts('outside'), { status: 'failed', passed: 3, failed: 6, skipped: 0 });
    assert.deepEqual(counts('unbuildable'), { status: 'build failed', passed: 0, failed: 1, skipped: 0 });
    assert.deepEqual(counts('silent'), { status: 'failed', passed: 0, failed: 1, skipped: 0 });
    assert.deepEqual(counts('mixed'), { status: 'failed', passed: 3, failed: 1, skipped: 1 });
    assert.deepEqual(counts('last'), { status: 'passed', passed: 2, failed: 0, skipped: 1 });
    for (const result of results) {
      assert.equal(result.failed, result.failures.length, `${result.name}: failed counts the named failures`);
    }

    const failures = (name) => byName[name].failures.map((f) => `${f.name} | ${f.detail ?? ''}`);
    assertMatches(failures('cargo'), [
      /^reel_rrweb src\/lib\.rs: upload::tests::packed \|.*packed event is not valid zlib$/s,
      /^it tests\/it\/main\.rs: the test binary ended without a result \|.*SIGABRT/s,
    ]);
    assertMatches(failures('cargo-unbuildable'), [/^cargo: the tests did not build \|.*E0425.*could not compile/s]);
    assertMatches(failures('outside'), [
      /after hook throws \| after hook failed: browser would not close/,
      /before hook throws › never runs \| cancelled:/,
      /before hook throws \| before hook failed: reel did not start/,
      /describe callback throws \| corpus folder missing/,
      /^passes, then rejects later: an error after the test ended \|.*late rejection/s,
      /^scripts\/fixtures\/run-all-tests\/exit-code\.mjs: the test file's process failed outside its tests/,
    ]);
    assertMatches(failures('unbuildable'), [/^fake build: exited with code 2 without naming a failure \|.*linker said no/s]);
    assertMatches(failures('silent'), [/^quiet checker: exited with code 3 without naming a failure/]);
    assertMatches(failures('mixed'), [/failing\.mjs › is wrong on purpose \| arithmetic fixture/]);

    // The printed summary says the same.
    const summary = run.stdout.slice(run.stdout.lastIndexOf('=== summary'));
    assert.match(summary, /^healthy\s+ok\s+2 passed, 0 failed, 1 skipped/m);
    assert.match(summary, /^outside\s+FAILED\s+3 passed, 6 failed/m);
    assert.match(summary, /^unbuildable\s+BUILD FAILED\s+0 passed, 1 failed/m);
    assert.match(summary, /✗ .*after hook throws/);
    assert.match(summary, /^FAILED: cargo \(failed\), cargo-unbuildable \(build failed\), outside \(failed\), unbuildable \(build failed\), silent \(failed\), mixed \(failed\) — 12 failures, 16 passed$/m);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('a run where everything passes exits 0', { timeout: 60_000 }, () => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync(process.execPath, [runner, '--suites', fakeSuites, 'healthy', 'last'], {
    env,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^all 2 suites passed \(4 tests\)$/m);
});

test('an unknown suite name is a usage error, not a silent pass', () => {
  const run = spawnSync(process.execPath, [runner, '--suites', fakeSuites, 'nonesuch'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /no suite named nonesuch/);
});

/** Each pattern matches a different entry of `actual`, and nothing is left over. */
function assertMatches(actual, patterns) {
  const left = [...actual];
  for (const pattern of patterns) {
    const at = left.findIndex((entry) => pattern.test(entry));
    assert.ok(at >= 0, `no failure matching ${pattern} among:\n${left.join('\n')}`);
    left.splice(at, 1);
  }
  assert.deepEqual(left, [], 'unexpected failures');
}
