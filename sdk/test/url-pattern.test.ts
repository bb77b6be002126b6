import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compilePatterns, matchesAny } from '../src/url-pattern';

// The same cases the server's matcher is tested with.
const file = JSON.parse(readFileSync(new URL('../../testdata/url-pattern-cases.json', import.meta.url), 'utf8')) as {
  cases: Array<[pattern: string, url: string, matches: boolean]>;
};

test('blocked-URL patterns match whole URLs, as the server matches them', () => {
  assert.ok(file.cases.length > 10);
  for (const [pattern, url, want] of file.cases) {
    assert.equal(matchesAny(compilePatterns([pattern]), url), want, `${pattern} vs ${url}`);
  }
  assert.equal(matchesAny(compilePatterns([]), 'https://a.test/'), false);
  assert.deepEqual(compilePatterns(['  ']), []);
});
