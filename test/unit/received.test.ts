import { test } from 'node:test';
import assert from 'node:assert/strict';
import { received } from '../../src/adapters/provider/received.js';

test('received: a key cut by the size cap leaves no fragment behind, and the text is capped', () => {
  const key = 'hs-' + 'abcdefghijklmnopqrstuvwxyz0123456789'; // built at run time: no key-shaped literal in the repo
  const text = 'x'.repeat(90) + key + 'y'.repeat(5000);
  const out = received(text, [key], 100);
  assert.equal(out.length, 100);
  assert.ok(!out.includes(key.slice(3, 10)), out); // cutting first, then redacting, would leave 'abcdefg' here
  assert.ok(!received(`error: ${key}`, [key], 500).includes(key));
});
