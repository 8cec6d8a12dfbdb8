/** The real binary: help with examples, a piped run, gzip on stdin, and Ctrl-C (abort) mid-read. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { spawnHoly, fakeCtx, steppingClock } from '../helpers/ctx.js';
import { main } from '../../src/cli.js';
import { FX } from './helpers.js';

describe('roi end to end', () => {
  test('--help lists the flags and examples', async () => {
    const r = await spawnHoly(['roi', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--rate-currency/);
    assert.match(r.stdout, /Examples:\n {2}\$ holy roi usage\.csv/);
  });

  test('piped: TSV on stdout, notes on stderr, no colour; --json is one document', async () => {
    const r = await spawnHoly(['roi', FX('canonical.csv'), '--by', 'tenant']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\u001b\[/);
    assert.match(r.stdout, /^tenant\trequests\t/m);
    assert.match(r.stderr, /read .*canonical\.csv as holy's canonical usage CSV, 3 rows/);
    const j = await spawnHoly(['roi', FX('canonical.csv'), '--json']);
    assert.equal(JSON.parse(j.stdout).totals.listPrice.amount, '8.25');
  });

  test('gzip through stdin', async () => {
    const gz = gzipSync(readFileSync(FX('canonical.csv')));
    const ctx = fakeCtx();
    (ctx as { stdin: Readable }).stdin = Readable.from([gz]);
    const code = await main(['roi', '-', '--json'], ctx);
    assert.equal(code, 0, ctx.err());
    assert.equal(JSON.parse(ctx.out()).totals.listPrice.amount, '8.25');
  });

  test('big inputs report progress on stderr (MB, rows, rows/s); stdout keeps only the result', { timeout: 60_000 }, async () => {
    // A clock that moves 500 ms on every read: the 2 s progress interval passes however fast this machine reads.
    const ctx = fakeCtx({ clock: steppingClock(500) });
    const head = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n';
    const block = Buffer.from('2026-10-01T00:00:00Z,acme,gpt-4.1,1,0,1,1\n2026-10-02T00:00:00Z,acme,gpt-4.1,1,0,1,1\n'.repeat(5000));
    // 42 bytes a row: 100 blocks × 10,000 rows = 1,000,000 rows ≈ 40 MB, past the 32 MB threshold
    (ctx as { stdin: Readable }).stdin = Readable.from([Buffer.from(head), ...Array.from({ length: 100 }, () => block)]);
    const code = await main(['roi', '-'], ctx);
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.err(), /reading stdin: \d\d MB, [\d,]+ rows \([\d,]+ rows\/s\)/);
    assert.doesNotMatch(ctx.out(), /reading/);
    assert.match(ctx.out(), /^requests\t1,000,000$/m);
  });

  test('an abort while reading exits 130 and prints no result', { timeout: 20_000 }, async () => {
    const ctx = fakeCtx();
    const head = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n';
    // An endless stdin: the run can only end through the abort.
    async function* endless() {
      yield Buffer.from(head);
      for (;;) {
        yield Buffer.from('2026-10-01T00:00:00Z,a,gpt-4.1,1,0,1,1\n'.repeat(1000));
        await new Promise((r) => setImmediate(r));
      }
    }
    (ctx as { stdin: Readable }).stdin = Readable.from(endless());
    setTimeout(() => ctx.abort(), 100);
    const code = await main(['roi', '-', '--json'], ctx);
    assert.equal(code, 130);
    assert.equal(ctx.out(), '');
  });
});
