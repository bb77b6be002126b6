import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureFailedRequests, type FailedRequest } from '../src/network';
import { settle } from './support';

test('a failed fetch is reported without the query, fragment or credentials quoted in its error', async () => {
  const messages = [
    'Fetch API cannot load https://api.shop.test/orders?token=s3cret#frag due to access control checks.',
    "Request cannot be constructed from a URL that includes credentials: https://jane:hunter2@api.shop.test/orders",
  ];
  for (const message of messages) {
    const win = {
      location: { href: 'https://shop.test/checkout?step=2' },
      fetch: () => Promise.reject(new TypeError(message)),
    } as unknown as Window & typeof globalThis;
    const failures: FailedRequest[] = [];
    captureFailedRequests(win, { now: () => 0, ignore: () => false, onFailure: (r) => failures.push(r) });
    await win.fetch('https://api.shop.test/orders?token=s3cret').catch(() => undefined);
    await settle();
    assert.equal(failures.length, 1, message);
    assert.equal(failures[0]!.name, 'https://api.shop.test/orders');
    const error = failures[0]!.error ?? '';
    assert.ok(error.startsWith('TypeError: '), error);
    assert.ok(error.includes('https://api.shop.test/orders'), error);
    assert.ok(!/s3cret|hunter2|jane|frag/.test(error), error);
  }
});
