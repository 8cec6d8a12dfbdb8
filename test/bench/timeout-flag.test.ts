import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchOptions } from '../../src/core/bench/options.js';

test('bench --timeout above what a Node timer can wait is a usage error, not an instant timeout', () => {
  assert.throws(() => parseBenchOptions(['t.jsonl'], { timeout: '3000000000' } as never), /--timeout 3000000000 is above the largest value holy can wait for \(2147483647\)/);
  assert.equal(parseBenchOptions(['t.jsonl'], { timeout: '30000' } as never).timeoutMs, 30000);
});
