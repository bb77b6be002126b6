#!/usr/bin/env node
// Generates the TypeScript types of the query API from its OpenAPI document:
// web/src/generated/openapi.json (written by `reel openapi`, i.e. generated from the Rust types)
// → web/src/generated/api-types.ts. `make api-types` runs both steps.
//
//   node scripts/api-types.mjs          write api-types.ts
//   node scripts/api-types.mjs --check  exit 1 if api-types.ts is not what the document makes
//
// The unit suite checks both files agree (web/test/api-types.test.ts); the Rust suite checks the
// document is the Rust types'.

import { readFileSync, writeFileSync } from 'node:fs';
import { TYPES, generate } from './lib/api-types.mjs';

const types = await generate();
if (process.argv.includes('--check')) {
  if (readFileSync(TYPES, 'utf8') !== types) {
    console.error('web/src/generated/api-types.ts is out of date: run `make api-types`');
    process.exit(1);
  }
} else {
  writeFileSync(TYPES, types);
  console.log(`wrote ${TYPES}`);
}
