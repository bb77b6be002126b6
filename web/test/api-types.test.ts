// The UI's and the tests' API types are generated: web/src/generated/openapi.json is what the
// Rust types make (checked by the Rust suite), and api-types.ts must be what that document makes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TYPES, generate } from '../../scripts/lib/api-types.mjs';

test('api-types.ts is what the committed OpenAPI document makes (run `make api-types` if not)', async () => {
  const committed = readFileSync(TYPES, 'utf8');
  const generated = await generate();
  assert.ok(committed === generated, 'web/src/generated/api-types.ts is out of date: run `make api-types`');
});
