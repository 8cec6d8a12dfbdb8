import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberFlag, timeoutFlag } from '../../src/core/flags.js';
import { UsageError } from '../../src/errors.js';

test('timeoutFlag: one rule and one message for verify, models and bench', () => {
  assert.equal(timeoutFlag(undefined), undefined);
  assert.equal(timeoutFlag('5000'), 5000);
  assert.throws(() => timeoutFlag('soon'), (e: unknown) => e instanceof UsageError && /^--timeout "soon": expected a number above 0, e\.g\. --timeout 30000\.$/.test(e.message));
  assert.throws(() => timeoutFlag('0'), /--timeout "0": expected a number above 0/);
  assert.throws(() => timeoutFlag('3000000000'), /--timeout 3000000000 is above the largest value holy can wait for \(2147483647\)/);
});

test('numberFlag: ranges, integers and empty values name the flag', () => {
  assert.equal(numberFlag('8080', '--port', { int: true, min: 0, max: 65535, example: '8080' }), 8080);
  assert.throws(() => numberFlag('1.5', '--port', { int: true, min: 0, max: 65535, example: '8080' }), /--port "1\.5": expected a whole number from 0 to 65535, e\.g\. --port 8080\./);
  assert.throws(() => numberFlag(' ', '--seed', { int: true, min: 0, example: '42' }), /--seed " ": expected a whole number ≥ 0/);
});
