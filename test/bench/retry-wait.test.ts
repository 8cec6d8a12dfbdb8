import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { retryWait, RETRY_WAIT_CAP_MS } from '../../src/core/bench/retry-wait.js';
import { SideWatch, ALL_FAILED_AFTER } from '../../src/core/bench/side-watch.js';
import { closedPort } from '../verify/setup.js';
import { mocks, traffic, bench, chatRequests } from './helpers.js';

describe('retry waits are bounded', () => {
  test('Retry-After is honoured up to the 60 s cap, the request timeout and the time left of --duration', () => {
    assert.deepEqual(retryWait({ retryAfterMs: 300, attempt: 0, timeoutMs: 60_000 }), { retry: true, requestedMs: 300, waitMs: 300, capped: false, bound: '60 s cap' });
    const day = retryWait({ retryAfterMs: 86_400_000, attempt: 0, timeoutMs: 600_000 });
    assert.deepEqual([day.waitMs, day.capped, day.bound], [RETRY_WAIT_CAP_MS, true, '60 s cap']);
    const t = retryWait({ retryAfterMs: 86_400_000, attempt: 0, timeoutMs: 500 });
    assert.deepEqual([t.waitMs, t.capped, t.bound], [500, true, '--timeout']);
    const d = retryWait({ retryAfterMs: 86_400_000, attempt: 0, timeoutMs: 30_000, remainingMs: 1200 });
    assert.deepEqual([d.retry, d.waitMs, d.capped, d.bound], [true, 1200, true, '--duration']);
    const over = retryWait({ retryAfterMs: 1000, attempt: 0, timeoutMs: 30_000, remainingMs: -5 });
    assert.deepEqual([over.retry, over.waitMs], [false, 0]);
  });
  test('without Retry-After: exponential backoff from 250 ms, bounded the same way', () => {
    assert.deepEqual([0, 1, 2].map((a) => retryWait({ retryAfterMs: undefined, attempt: a, timeoutMs: 60_000 }).waitMs), [250, 500, 1000]);
    const big = retryWait({ retryAfterMs: undefined, attempt: 20, timeoutMs: 60_000 });
    assert.deepEqual([big.waitMs, big.capped], [RETRY_WAIT_CAP_MS, true]);
  });
});

describe('early warnings about a side', () => {
  test(`a side whose first ${ALL_FAILED_AFTER} requests all failed is named once, with the classes and --abort-after`, () => {
    const w = new SideWatch('new (relay)');
    for (let i = 1; i < ALL_FAILED_AFTER; i++) assert.equal(w.record(false, i % 2 ? 'http_401' : 'connect_error'), undefined);
    const msg = w.record(false, 'http_401')!;
    assert.match(msg, new RegExp(`^new \\(relay\\): its first ${ALL_FAILED_AFTER} requests all failed \\(http_401 ×3, connect_error ×2\\)`));
    assert.match(msg, /--abort-after/);
    assert.equal(w.record(false, 'http_401'), undefined, 'said once');
  });
  test('one success anywhere in the first requests means the side is not down; --abort-after set is acknowledged', () => {
    const w = new SideWatch('old (official)');
    assert.equal(w.record(true, undefined), undefined);
    for (let i = 0; i < 10; i++) assert.equal(w.record(false, 'http_500'), undefined);
    const a = new SideWatch('new (relay)', 50);
    for (let i = 1; i < ALL_FAILED_AFTER; i++) a.record(false, 'http_401');
    assert.match(a.record(false, 'http_401')!, /--abort-after 50 stops it after 50 failures in a row/);
  });
});

describe('holy bench: a huge Retry-After and a side that always fails', () => {
  test('Retry-After: 86400 with --retries 1 ends the run after at most --timeout of waiting, and says so', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'rate-limit', retryAfterS: 86400 }, path: 'chat', first: 1 }] });
    try {
      const file = traffic(m.dir, 1);
      // Had the wait not been capped, this test would outlive the runner's timeout by a day.
      const r = await bench([file, ...m.args, '--retries', '1', '--timeout', '500', '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);

      const s = JSON.parse(r.stdout).summary;
      assert.deepEqual(s.new.retries, { total: 1, requests: 1, waitMs: 500, capped: 1 });
      assert.equal(s.new.ok, 1, 'the retry after the capped wait succeeded');
      assert.match(r.stderr, /new \(newp\): asked to wait 86400 s before a retry \(Retry-After\); waiting 0\.5 s instead, bounded by the --timeout\./);
    } finally {
      await m.close();
    }
  });

  test('the results table counts capped waits per provider', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'rate-limit', retryAfterS: 86400 }, path: 'chat', first: 1 }] });
    try {
      const table = await bench([traffic(m.dir, 1), ...m.args, '--retries', '1', '--timeout', '500'], m.env);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^retry waits capped \(Retry-After > 60 s\/--timeout\)\t0\t1\t/m);
    } finally {
      await m.close();
    }
  });

  test('a side failing every request (401, refused) is warned about on stderr, with --abort-after suggested', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 4);
      const bad = await bench([file, ...m.args, '-n', '12', '-c', '1'], { ...m.env, NEWP_API_KEY: 'hs-wrongkey000000' });
      assert.equal(bad.code, 0, bad.stderr);
      assert.match(bad.stderr, /warning: new \(newp\): its first 5 requests all failed \(http_401 ×5\); .*--abort-after/);
      assert.equal(bad.stderr.match(/all failed/g)!.length, 1, 'warned once');
      assert.doesNotMatch(bad.stderr, /old \(oldp\).*all failed/);
      assert.equal(chatRequests(m.neu), 12, 'a warning only: --abort-after is what stops sending');

      const port = await closedPort();
      const refused = await bench([file, '--old', `oldp=${m.old.url}`, '--new', `newp=http://127.0.0.1:${port}`, '-n', '6', '-c', '1'], m.env);
      assert.match(refused.stderr, /warning: new \(newp\): its first 5 requests all failed \(connect_error ×5\)/);

      const fine = await bench([file, ...m.args, '-n', '6', '-c', '1'], m.env);
      assert.doesNotMatch(fine.stderr, /all failed/);
    } finally {
      await m.close();
    }
  });
});
