/** The gateway's ledger (src/adapters/ledger/): batches, close, the schema, and every loss counted — never thrown. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { openLedger } from '../../src/adapters/ledger/index.js';
import { LEDGER_APP_ID, LEDGER_VERSION, COLUMNS, toWire, wireValues } from '../../src/adapters/ledger/schema.js';
import { openDatabase } from '../../src/adapters/sqlite.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { ROOT } from '../helpers/ctx.js';
import { ledgerRow, until } from './ledger-rows.js';
import { pricedRow } from '../../src/core/gateway/ledger-cost.js';
import { builtinPriceTable, costUSD } from '../../src/core/prices.js';
import type { LedgerEntry, LedgerRow, UnpricedRow } from '../../src/core/gateway/types.js';

const HOUR = 3_600_000;

function count(path: string): number {
  const db = openDatabase(path, { readonly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM usage_records').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** Losses as reported to onLoss: total and the reasons. */
function losses() {
  const seen: { n: number; why: string }[] = [];
  return { onLoss: (n: number, why: string) => seen.push({ n, why }), seen, total: () => seen.reduce((a, s) => a + s.n, 0) };
}

describe('ledger: writing', () => {
  test('a new file gets the schema: usage_records with one column per LedgerRow field, indexes, WAL, user_version and application_id', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const l = await openLedger(p);
    l.add(ledgerRow(1, { ttftMs: undefined, stream: true, fallback: true, estimated: true, arm: 'fallback' }));
    await l.close();
    const db = openDatabase(p, { readonly: true });
    const cols = (db.prepare("SELECT name FROM pragma_table_info('usage_records')").all() as { name: string }[]).map((c) => c.name);
    assert.deepEqual(cols, ['id', ...COLUMNS.map(([, c]) => c)]);
    const idx = (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records'").all() as { sql: string | null }[]).map((i) => i.sql ?? '');
    assert.ok(idx.some((s) => /\(tenant_id, ts\)/.test(s)), 'index on (tenant_id, ts)');
    assert.ok(idx.some((s) => /UNIQUE INDEX .*\(request_id\)/.test(s)), 'request ids unique per ledger');
    assert.equal((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, LEDGER_VERSION);
    assert.equal((db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id, LEDGER_APP_ID);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    const row = db.prepare('SELECT * FROM usage_records').get() as Record<string, unknown>;
    assert.deepEqual(
      { ...row },
      {
        id: 1, ts: ledgerRow(1).ts, request_id: 'req-1', tenant_id: 'acme', endpoint: 'chat', model_asked: 'gpt-4o', model: 'gpt-4o', provider: 'holysheep',
        stream: 1, input_tokens: 1000, cached_tokens: 200, output_tokens: 100, estimated: 1, cost_usd: '0.00325', cost_cny: '0.023725', status: 'ok',
        http_status: 200, latency_ms: 12.5, ttft_ms: null, fallback: 1, arm: 'fallback',
      },
    );
    const id = db.prepare("SELECT value FROM ledger_meta WHERE key = 'ledger_id'").get() as { value: string };
    assert.match(id.value, /^[0-9a-f]{32}$/);
    db.close();
  });

  test('batches: a full batch goes to the writer at once, the rest waits for the timer or close()', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const l = await openLedger(p, { batchRows: 100, flushMs: HOUR });
    for (let i = 0; i < 250; i++) l.add(ledgerRow(i));
    await until(() => l.written() === 200);
    assert.equal(l.queued(), 50, 'the half batch waits (the timer is an hour away)');
    assert.equal(count(p), 200, 'readers see the committed batches while the gateway runs');
    assert.equal(l.stats().batches, 2, 'one transaction per batch');
    await l.close();
    assert.equal(l.written(), 250);
    assert.equal(l.lost(), 0);
    assert.equal(count(p), 250);
  });

  test('the timer flushes a partial batch', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const l = await openLedger(p, { batchRows: 1_000_000, flushMs: 10 });
    for (let i = 0; i < 5; i++) l.add(ledgerRow(i));
    await until(() => l.written() === 5);
    assert.equal(count(p), 5);
    await l.close();
  });

  test('close() writes everything queued, then later rows are counted as lost (never thrown)', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const loss = losses();
    const l = await openLedger(p, { flushMs: HOUR, batchRows: 1_000_000, onLoss: loss.onLoss });
    for (let i = 0; i < 1000; i++) l.add(ledgerRow(i));
    await l.close();
    assert.equal(count(p), 1000);
    assert.doesNotThrow(() => l.add(ledgerRow(5000)));
    await l.close(); // twice is fine
    await until(() => loss.total() === 1);
    assert.equal(l.lost(), 1);
    assert.match(loss.seen[0]!.why, /closed/);
  });

  test('a repeated request id is not written twice: counted as lost, with the reason', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const loss = losses();
    const l = await openLedger(p, { onLoss: loss.onLoss });
    l.add(ledgerRow(1));
    l.add(ledgerRow(1));
    l.add(ledgerRow(2));
    await l.close();
    assert.equal(l.written(), 2);
    assert.equal(l.lost(), 1);
    assert.match(loss.seen[0]!.why, /duplicate request id/);
    assert.equal(count(p), 2);
  });

  test('reopening a ledger appends to it and keeps its ledger id', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const a = await openLedger(p);
    a.add(ledgerRow(1));
    await a.close();
    const b = await openLedger(p);
    b.add(ledgerRow(2));
    await b.close();
    assert.equal(b.stats().ledgerId, a.stats().ledgerId);
    assert.equal(count(p), 2);
  });

  test('a row the database refuses (a NOT NULL column missing) is lost alone; the rest of its batch is written', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const loss = losses();
    const l = await openLedger(p, { onLoss: loss.onLoss, flushMs: HOUR });
    l.add(ledgerRow(1));
    l.add({ ...ledgerRow(2), tenant: undefined as unknown as string });
    l.add(ledgerRow(3));
    await l.close();
    assert.equal(l.written(), 2);
    assert.equal(l.lost(), 1);
    assert.match(loss.seen[0]!.why, /NOT NULL|CONSTRAINT/);
  });
});

describe('ledger: losses are counted, requests go on', () => {
  test('disk full (SQLITE_FULL via PRAGMA max_page_count): rows lost and reported, the process and the ledger go on', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    // A fresh ledger is a handful of pages (the table, three indexes, the meta table); 12 pages hold a few dozen rows at most.
    const first = await openLedger(p);
    await first.close();
    const loss = losses();
    const l = await openLedger(p, { maxPageCount: 12, batchRows: 50, flushMs: HOUR, onLoss: loss.onLoss });
    for (let i = 0; i < 2000; i++) l.add(ledgerRow(i));
    await l.close();
    assert.ok(l.lost() > 0, 'some rows did not fit');
    assert.equal(l.written() + l.lost(), 2000, 'every row is either written or counted as lost');
    assert.equal(loss.total(), l.lost(), 'onLoss was told about every lost row');
    assert.ok(loss.seen.every((s) => /SQLITE_FULL|full/i.test(s.why)), loss.seen[0]?.why);
    assert.equal(count(p), l.written(), 'what was counted as written is in the file, and only that');
    // The same file without the cap takes rows again: nothing was left broken.
    const again = await openLedger(p);
    again.add(ledgerRow(99_999));
    await again.close();
    assert.equal(again.written(), 1);
  });

  test('a read-only ledger file: every row lost with SQLITE_READONLY, nothing thrown', async (t) => {
    const dir = tempDir('holy-ledger-');
    const p = join(dir, 'l.db');
    const first = await openLedger(p);
    first.add(ledgerRow(1));
    await first.close();
    // root ignores file modes; the immutable attribute stops root too.
    const root = process.getuid?.() === 0;
    if (root) {
      const r = spawnSync('chattr', ['+i', p]);
      if (r.status !== 0) return t.skip('running as root without chattr: cannot make a file read-only here');
    } else chmodSync(p, 0o444);
    try {
      const loss = losses();
      const l = await openLedger(p, { onLoss: loss.onLoss, flushMs: HOUR });
      for (let i = 10; i < 20; i++) l.add(ledgerRow(i));
      await l.close();
      assert.equal(l.written(), 0);
      assert.equal(l.lost(), 10);
      assert.match(loss.seen[0]!.why, /READONLY|read-only|readonly/i);
    } finally {
      if (root) spawnSync('chattr', ['-i', p]);
      else chmodSync(p, 0o644);
    }
    assert.equal(count(p), 1);
  });

  test('locked by another connection past the busy timeout: that batch is lost, the next one (lock released) is written', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const loss = losses();
    const l = await openLedger(p, { onLoss: loss.onLoss, busyTimeoutMs: 20, flushMs: HOUR, batchRows: 10 });
    const other = openDatabase(p);
    other.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 10; i++) l.add(ledgerRow(i));
    await until(() => l.lost() === 10);
    assert.match(loss.seen[0]!.why, /SQLITE_BUSY|locked/i);
    other.exec('ROLLBACK');
    other.close();
    for (let i = 10; i < 20; i++) l.add(ledgerRow(i));
    await l.close();
    assert.equal(l.written(), 10);
    assert.equal(count(p), 10);
  });

  test('the writer falls behind past the queue cap: new rows are dropped, counted and reported once per reason', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const loss = losses();
    const l = await openLedger(p, { onLoss: loss.onLoss, maxQueue: 100, batchRows: 1_000_000, flushMs: HOUR });
    for (let i = 0; i < 150; i++) l.add(ledgerRow(i));
    assert.equal(l.lost(), 50, 'counted at once');
    assert.equal(l.queued(), 100);
    await l.close();
    assert.equal(l.written(), 100);
    assert.deepEqual(loss.seen.map((s) => s.n), [50], 'one report for the 50, not 50 reports');
    assert.match(loss.seen[0]!.why, /queue full/);
  });

  test('a file that is not a ledger: openLedger refuses it with a UsageError naming the file', async () => {
    const dir = tempDir('holy-ledger-');
    const other = join(dir, 'other.db');
    const db = openDatabase(other);
    db.exec('CREATE TABLE things (x)');
    db.close();
    await assert.rejects(openLedger(other), (e) => e instanceof UsageError && /other\.db is an SQLite database but not a holy gateway ledger: it has no usage_records table/.test(e.message));
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'hello\n'.repeat(200));
    await assert.rejects(openLedger(text), (e) => e instanceof UsageError && /notes\.db is not an SQLite database/.test(e.message));
    await assert.rejects(openLedger(join(dir, 'no', 'such', 'folder', 'l.db')), /cannot be opened .*folder exists/);
  });
});

describe('ledger: off the event loop', () => {
  test('a burst of 20,000 rows: add() costs the event loop a small fraction of what the writer thread spends writing them', async (tc) => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const l = await openLedger(p);
    const rows = Array.from({ length: 20_000 }, (_, i) => ledgerRow(i));
    let lagMax = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      lagMax = Math.max(lagMax, now - last);
      last = now;
    }, 1);
    const t0 = performance.now();
    for (const r of rows) l.add(r);
    const addMs = performance.now() - t0;
    await l.close();
    clearInterval(probe);
    const { writeMs, batches } = l.stats();
    assert.equal(l.written(), 20_000);
    assert.ok(batches >= 20_000 / 512, `${batches} transactions`);
    // Ratios measured in the same run, not wall-clock limits: the main thread only pushes rows and
    // hands batches over; the inserts, index updates and fsyncs are the writer's.
    const ratio = addMs / writeMs;
    assert.ok(ratio < 1, `add() total ${addMs.toFixed(1)} ms vs the writer's ${writeMs.toFixed(1)} ms in transactions`);
    tc.diagnostic(`add() ${addMs.toFixed(1)} ms, writer ${writeMs.toFixed(1)} ms, ratio ${ratio.toFixed(3)}, longest event-loop gap ${lagMax.toFixed(1)} ms`);
  });
});

describe('ledger: rows cross to the writer as flat arrays', () => {
  /** A row's values as SQLite binds them, column by column from COLUMNS (booleans 0/1, absent = NULL): what the writer must bind. */
  const rowValues = (r: LedgerRow): unknown[] => COLUMNS.map(([k]) => (typeof r[k] === 'boolean' ? (r[k] ? 1 : 0) : (r[k] ?? null)));
  // Every column gets a value of its own, so a field that toWire or fromWire dropped or swapped shows.
  const distinct = (): LedgerRow => {
    const r = ledgerRow(7);
    COLUMNS.forEach(([k], i) => {
      const v = r[k];
      (r as unknown as Record<string, unknown>)[k] = typeof v === 'number' ? 1000 + i : typeof v === 'string' ? `${k}-${i}` : typeof v === 'boolean' ? i % 2 === 0 : v;
    });
    return r;
  };
  test('a priced row, an unpriced one with and without a price (and a cached price or not), with and without TTFT: the writer binds what rowValues(pricedRow(entry)) gives', () => {
    const row = distinct();
    const { costUSD: _u, costCNY: _c, ...rest } = row;
    const { ttftMs: _t, ...noTtft } = row;
    const gpt4o = { input: '2.50', cachedInput: '1.25', output: '10.00' };
    const entries: LedgerEntry[] = [row, noTtft, { ...rest, price: gpt4o, cnyRate: '7.3' }, { ...rest, price: { ...gpt4o, cachedInput: null }, cnyRate: '1' }, { ...rest, price: null, cnyRate: '7.3' }];
    for (const e of entries) {
      const w = toWire(e);
      // What structured clone copies at each flush: primitives only, no keys, no nested object.
      assert.ok(Array.isArray(w) && w.every((v) => v === null || typeof v !== 'object'), JSON.stringify(w));
      assert.deepEqual(wireValues(structuredClone(w)), rowValues(pricedRow(e)));
    }
    assert.equal(wireValues(toWire(noTtft))[COLUMNS.findIndex(([k]) => k === 'ttftMs')], null, 'an absent TTFT is NULL in the ledger');
    assert.throws(() => wireValues(toWire({ ...rest, price: { ...gpt4o, output: 'ten' }, cnyRate: '7.3' })), 'a price that is not a number: that row is refused');
  });
  test('a field the database would refuse travels as it is (undefined stays undefined), so that row alone is lost', () => {
    const v = wireValues(structuredClone(toWire({ ...ledgerRow(2), tenant: undefined as unknown as string })));
    assert.equal(v.length, COLUMNS.length);
    assert.equal(v[COLUMNS.findIndex(([k]) => k === 'tenant')], undefined);
  });
});

describe('ledger: pricing on the writer thread', () => {
  /** An entry as the gateway hands it over: prices and the CNY rate instead of the two costs. */
  const unpriced = (i: number, price: UnpricedRow['price'], cnyRate = '7.3'): UnpricedRow => {
    const { costUSD: _u, costCNY: _c, ...rest } = ledgerRow(i);
    return { ...rest, price, cnyRate };
  };
  test('the writer prices what the gateway hands it: exact list price in USD, CNY at the row’s rate; no price → 0; a bad price loses that row only', async () => {
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const seen = losses();
    const l = await openLedger(p, { onLoss: seen.onLoss });
    const gpt4o = { input: '2.50', cachedInput: '1.25', output: '10.00' };
    l.add(unpriced(1, gpt4o)); // 800 × 2.5 + 200 × 1.25 + 100 × 10, per 1M
    l.add(unpriced(2, { ...gpt4o, cachedInput: null }, '1')); // no cached discount: 1000 × 2.5 + 100 × 10
    l.add(unpriced(3, null)); // a model holy has no price for
    l.add(unpriced(4, { ...gpt4o, output: 'ten' }));
    l.add(ledgerRow(5)); // already priced (an import): written as it is
    await l.close();
    assert.equal(l.written(), 4);
    assert.equal(l.lost(), 1);
    assert.match(seen.seen.map((s) => s.why).join(' '), /1 row refused \(its cost could not be computed: .*\)/);
    const db = openDatabase(p, { readonly: true });
    const got = db.prepare('SELECT request_id, cost_usd, cost_cny FROM usage_records ORDER BY id').all();
    db.close();
    assert.deepEqual(got.map((r) => ({ ...(r as object) })), [
      { request_id: 'req-1', cost_usd: '0.00325', cost_cny: '0.023725' },
      { request_id: 'req-2', cost_usd: '0.0035', cost_cny: '0.0035' },
      { request_id: 'req-3', cost_usd: '0', cost_cny: '0' },
      { request_id: 'req-5', cost_usd: '0.00325', cost_cny: '0.023725' },
    ]);
  });
  test('pricedRow leaves no pricing fields behind and agrees with costUSD over random token counts', () => {
    const row = builtinPriceTable().rows.get('gpt-4o')!;
    const { ttftMs: _t, ...noTtft } = unpriced(0, null);
    assert.ok(!('ttftMs' in pricedRow(noTtft)), 'an absent TTFT stays absent (NULL in the ledger)');
    for (let k = 0; k < 200; k++) {
      const input = Math.floor(Math.random() * 2_000_000);
      const cached = Math.floor(Math.random() * (input + 1));
      const output = Math.floor(Math.random() * 100_000);
      const e = { ...unpriced(k, { input: row.input, cachedInput: row.cachedInput, output: row.output }, '7.1'), inputTokens: input, cachedTokens: cached, outputTokens: output };
      const r = pricedRow(e);
      const usd = costUSD(row, { input, cached, output });
      assert.equal(r.costUSD, usd.toFixed());
      assert.equal(r.costCNY, usd.times('7.1').toFixed());
      assert.ok(!('price' in r) && !('cnyRate' in r), 'the written row has only LedgerRow fields');
      const { price: _p, cnyRate: _r, ...rest } = e;
      assert.deepEqual({ ...r }, { ...rest, costUSD: r.costUSD, costCNY: r.costCNY }, 'every other field carried over as it was');
    }
  });
});

describe('ledger: the bundle', () => {
  test('dist/bundle/ledger-worker.js is a bundle entry and writes rows by itself', async () => {
    const entry = join(ROOT, 'dist', 'bundle', 'ledger-worker.js');
    assert.ok(existsSync(entry), 'package.json bundle script lists src/adapters/ledger/ledger-worker.ts');
    const p = join(tempDir('holy-ledger-'), 'l.db');
    const w = new Worker(entry, { workerData: { path: p, busyTimeoutMs: 100 } });
    const msgs: { t: string; written?: number }[] = [];
    await new Promise<void>((res, rej) => {
      w.on('message', (m: { t: string; written?: number }) => {
        msgs.push(m);
        if (m.t === 'ready') w.postMessage({ t: 'rows', rows: [ledgerRow(1), ledgerRow(2)].map(toWire) });
        else if (m.t === 'done') w.postMessage({ t: 'close' });
        else if (m.t === 'closed') res();
        else if (m.t === 'fatal') rej(new Error(JSON.stringify(m)));
      });
      w.on('error', rej);
    });
    await w.terminate();
    assert.deepEqual(msgs.map((m) => m.t), ['ready', 'done', 'closed']);
    assert.equal(msgs[1]!.written, 2);
    assert.equal(count(p), 2);
  });
});
