// A node:test reporter for scripts/run-all-tests.mjs: one JSON object per line for every test that
// passed, failed or was skipped, and for every diagnostic that is not one of the final counts.
//
// node's own `# fail N` counts failed tests only. A failing before/after hook, a describe callback
// that throws, or a test file whose process ends with an error after its tests all make the run
// exit 1 while `# fail` stays 0. Those arrive here as a failed *suite* or *file*, with the error,
// so the runner can name them.

/** @typedef {{ name: string, nesting: number, file?: string, line?: number, skip?: unknown, todo?: unknown, details?: { type?: string, error?: any } }} TestData */

const FINAL_COUNTS = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+$/;

export default async function* nodeTestResults(source) {
  /** Names of the tests being run, by file then nesting, to give each result its full path. */
  const running = new Map();
  for await (const event of source) {
    const data = event.data;
    switch (event.type) {
      case 'test:start': {
        const stack = running.get(data.file) ?? [];
        stack.length = data.nesting;
        stack.push(data.name);
        running.set(data.file, stack);
        break;
      }
      case 'test:pass':
      case 'test:fail': {
        const stack = running.get(data.file) ?? [];
        const path = stack.slice(0, data.nesting);
        path.push(data.name);
        yield line({
          event: event.type === 'test:pass' ? (data.skip !== undefined || data.todo !== undefined ? 'skip' : 'pass') : 'fail',
          kind: kindOf(data),
          path,
          file: data.file,
          line: data.line,
          ...(event.type === 'test:fail' ? describeFailure(data.details?.error) : {}),
        });
        break;
      }
      case 'test:diagnostic':
        if (!FINAL_COUNTS.test(data.message)) yield line({ event: 'diagnostic', file: data.file, message: data.message });
        break;
      case 'test:stderr':
        // Output of a test file's process outside node:test's own reporting (kept for context).
        yield line({ event: 'stderr', file: data.file, message: data.message });
        break;
      default:
        break;
    }
  }
}

/**
 * 'suite' for a describe, 'file' for a test file as a whole (node reports one only when the file
 * failed outside its tests; it is named after the file and has no type), else 'test'.
 */
function kindOf(data) {
  if (data.details?.type === 'suite') return 'suite';
  if (data.nesting === 0 && data.file !== undefined && data.name === data.file) return 'file';
  return 'test';
}

function line(value) {
  return `${JSON.stringify(value)}\n`;
}

/** node wraps a test's error in ERR_TEST_FAILURE; the original error is its `cause`. */
function describeFailure(error) {
  if (!error) return { failureType: 'unknown', message: 'failed without an error' };
  const cause = error.cause;
  const original =
    cause && typeof cause === 'object' && typeof cause.message === 'string'
      ? cause.message
      : cause !== undefined && cause !== null
        ? String(cause)
        : String(error.message ?? error);
  let message = original;
  if (error.failureType === 'hookFailed' && error.message && error.message !== original) {
    // "failed running after hook" + "browser has been closed"
    message = `${error.message.replace(/^failed running /, '')} failed: ${original}`;
  }
  return { failureType: error.failureType ?? 'unknown', message };
}
