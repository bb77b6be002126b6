import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeParam } from '../src/router';

test('route parameters decode, and a malformed escape does not throw', () => {
  const cases: Array<[string, string]> = [
    ['abc', 'abc'],
    ['ZGV2LTEvMTcw', 'ZGV2LTEvMTcw'],
    ['a%2Fb', 'a/b'],
    ['%E0%A4%A', '%E0%A4%A'],
    ['100%', '100%'],
  ];
  for (const [segment, expected] of cases) assert.equal(decodeParam(segment), expected, segment);
});
