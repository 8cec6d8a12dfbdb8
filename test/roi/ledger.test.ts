/** `holy roi` on gateway ledgers (.db): one, several replicas merged exactly, copies, mixed inputs, bad files, a ledger being written. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openLedger } from '../../src/adapters/ledger/index.js';
import { openDatabase } from '../../src/adapters/sqlite.js';
import { Decimal } from '../../src/core/decimal.js';
import type { LedgerRow } from '../../src/core/gateway/types.js';
import { main } from '../../src/cli.js';
import { fakeCtx } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';
import { ledgerRow, until } from '../gateway/ledger-rows.js';
import { eqDec, money, roiFails, roiJson } from './helpers.js';

/** Write rows with the gateway's own writer and close the file. */
async function writeLedger(path: string, rows: LedgerRow[]): Promise<void> {
  const l = await openLedger(path);
  for (const r of rows) l.add(r);
  await l.close();
  assert.equal(l.written(), rows.length);
}

// Per default row (gpt-4o: 1,000 input of which 200 cached, 100 output): (800 × 2.5 + 200 × 1.25 + 100 × 10) / 1M = $0.00325.
const MINI = { modelAsked: 'gpt-4.1-mini', modelServed: 'gpt-4.1-mini', inputTokens: 2_000_000, cachedTokens: 1_000_000, outputTokens: 500_000 }; // $1.3

/** Replica A: acme req-1,3,5 + a gpt-4.1-mini row; globex req-0,2,4; one request refused by the quota (not billed). */
const REPLICA_A = [
  ...[0, 1, 2, 3, 4, 5].map((i) => ledgerRow(i)),
  ledgerRow(6, { ...MINI, tenant: 'acme' }),
  ledgerRow(7, { tenant: 'globex', status: 'rate_limited', httpStatus: 429, inputTokens: 0, cachedTokens: 0, outputTokens: 0, costUSD: '0', costCNY: '0' }),
];
/** Replica B: its own req-0…3 (request ids are unique per ledger, not across replicas): acme 2, globex 2. */
const REPLICA_B = [0, 1, 2, 3].map((i) => ledgerRow(i, { ts: ledgerRow(i).ts + 86_400_000 * (i + 1) }));

function group(doc: any, key: string): any {
  const g = doc.groups.rows.find((r: any) => r.key === key);
  assert.ok(g, `group ${key} in ${JSON.stringify(doc.groups.rows.map((r: any) => r.key))}`);
  return g;
}

describe('roi reads gateway ledgers', () => {
  test('one ledger, --by tenant: each tenant’s bill, exact in USD (list) and CNY (official, relay); refused requests left out', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const a = join(dir, 'holy-ledger.db');
    await writeLedger(a, REPLICA_A);
    const { doc, stderr } = await roiJson([a, '--by', 'tenant']);
    assert.match(stderr, /read .*holy-ledger\.db as holy gateway ledger, 7 rows \(timestamps: epoch milliseconds\)/);
    assert.match(stderr, /left out 1 request the gateway refused before calling a provider \(status rate_limited, refused, queue_timeout\)/);
    assert.equal(doc.inputs[0].format, 'holy-ledger');
    assert.match(doc.inputs[0].ledgerId, /^[0-9a-f]{32}$/);
    assert.equal(doc.inputs[0].unbilled, 1);
    const acme = group(doc, 'acme');
    assert.equal(acme.requests, 4);
    money(acme.listPrice, '1.30975', 'USD', 'acme list'); // 3 × 0.00325 + 1.3
    money(acme.oldCost, '9.561175', 'CNY', 'acme official'); // × 7.3
    money(acme.newCost, '1.30975', 'CNY', 'acme relay'); // × 1
    const globex = group(doc, 'globex');
    assert.equal(globex.requests, 3);
    money(globex.listPrice, '0.00975', 'USD', 'globex list');
    money(globex.oldCost, '0.071175', 'CNY', 'globex official');
    money(doc.totals.listPrice, '1.3195', 'USD', 'total');
    const usd = (await roiJson([a, '--by', 'tenant', '--currency', 'USD'])).doc;
    money(group(usd, 'acme').oldCost, '1.30975', 'USD', 'acme official in USD');
    assert.equal(group(usd, 'acme').newCost.currency, 'USD');
    eqDec(group(usd, 'acme').newCost.amount, new Decimal('1.30975').div('7.3').toString(), 'acme relay in USD (¥1.30975 at 7.3)');
  });

  test('two replicas’ ledgers merge exactly: every row counted once, even where their request ids coincide', async () => {
    const dir = tempDir('holy-roi-ledger-');
    await writeLedger(join(dir, 'a.db'), REPLICA_A);
    await writeLedger(join(dir, 'b.db'), REPLICA_B);
    const { doc, stderr } = await roiJson([join(dir, 'a.db'), join(dir, 'b.db'), '--by', 'tenant']);
    assert.doesNotMatch(stderr, /duplicate/);
    assert.equal(doc.duplicates.count, 0);
    const acme = group(doc, 'acme');
    assert.equal(acme.requests, 6);
    money(acme.listPrice, '1.31625', 'USD', 'acme list'); // 1.30975 + 2 × 0.00325
    money(acme.oldCost, '9.608625', 'CNY', 'acme official');
    const globex = group(doc, 'globex');
    assert.equal(globex.requests, 5);
    money(globex.listPrice, '0.01625', 'USD', 'globex list');
    eqDec(doc.totals.listPrice.amount, '1.3325', 'total list');
    // Order does not matter.
    const rev = (await roiJson([join(dir, 'b.db'), join(dir, 'a.db'), '--by', 'tenant'])).doc;
    assert.deepEqual(rev.totals, doc.totals);
  });

  test('the same ledger twice (a copy, or a later snapshot): each request counted once, and stderr says why', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const a = join(dir, 'a.db');
    await writeLedger(a, REPLICA_A.slice(0, 4));
    copyFileSync(a, join(dir, 'old-copy.db'));
    // The live ledger goes on: the copy is an older snapshot of it.
    const l = await openLedger(a);
    for (const r of REPLICA_A.slice(4)) l.add(r);
    await l.close();
    const { doc, stderr } = await roiJson([join(dir, 'old-copy.db'), a, a, '--by', 'tenant']);
    assert.match(stderr, /a\.db is the same file as .*a\.db, given twice; it is read once/);
    assert.match(stderr, /a\.db is the same ledger as .*old-copy\.db \(ledger id [0-9a-f]{12}…\)/);
    assert.equal(doc.duplicates.count, 4);
    money(doc.totals.listPrice, '1.3195', 'USD', 'as the live ledger alone');
  });

  test('found by its header bytes, whatever its name; a CSV named .db is still a CSV; ledgers and CSVs mix', async () => {
    const dir = tempDir('holy-roi-ledger-');
    await writeLedger(join(dir, 'usage.bin'), REPLICA_B);
    writeFileSync(join(dir, 'csv.db'), 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n2026-10-01T00:00:00Z,initech,gpt-4o,1000,200,100,1\n');
    const { doc } = await roiJson([join(dir, 'usage.bin'), join(dir, 'csv.db'), '--by', 'tenant']);
    assert.deepEqual(doc.inputs.map((i: any) => i.format), ['holy-ledger', 'canonical']);
    money(group(doc, 'initech').listPrice, '0.00325', 'USD', 'the CSV row');
    money(doc.totals.listPrice, '0.01625', 'USD', '5 rows');
  });

  test('a CSV dump of usage_records (sqlite3 -header -csv) reads as the same ledger, with the same bill', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const a = join(dir, 'a.db');
    await writeLedger(a, REPLICA_A);
    const db = openDatabase(a, { readonly: true });
    const rows = db.prepare('SELECT * FROM usage_records ORDER BY id').all() as Record<string, unknown>[];
    db.close();
    const cols = Object.keys(rows[0]!);
    writeFileSync(join(dir, 'dump.csv'), [cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\n') + '\n');
    // The .db is summed by SQLite (per model, status, tenant, day); the dump row by row: the same figures for every grouping.
    for (const by of ['tenant', 'day', 'month', 'model']) {
      const fromDb = (await roiJson([a, '--by', by])).doc;
      const fromCsv = (await roiJson([join(dir, 'dump.csv'), '--by', by])).doc;
      assert.equal(fromCsv.inputs[0].format, 'holy-ledger');
      assert.deepEqual(fromCsv.groups, fromDb.groups, `--by ${by}`);
      assert.deepEqual(fromCsv.totals, fromDb.totals, `--by ${by}`);
      assert.deepEqual(fromCsv.period, fromDb.period, `--by ${by}`);
    }
  });

  test('a ledger being written is read as of that moment: the gateway’s writer open, another connection mid-transaction', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const a = join(dir, 'a.db');
    const live = await openLedger(a);
    for (const r of REPLICA_B) live.add(r);
    await until(() => live.written() === 4);
    const other = openDatabase(a);
    other.exec('BEGIN IMMEDIATE');
    other.exec("UPDATE usage_records SET input_tokens = 999999999 WHERE request_id = 'req-0'");
    try {
      const { doc } = await roiJson([a]);
      assert.equal(doc.totals.requests, 4);
      money(doc.totals.listPrice, '0.013', 'USD', 'committed rows only');
    } finally {
      other.exec('ROLLBACK');
      other.close();
      await live.close();
    }
  });
});

describe('roi refuses what is not a ledger, naming the file and what it expected', () => {
  test('an SQLite file without usage_records', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const p = join(dir, 'app.db');
    const db = openDatabase(p);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    const err = await roiFails([p]);
    assert.match(err, /app\.db is an SQLite database but not a holy gateway ledger: it has no usage_records table \(tables: users\); holy roi reads ledgers written by holy gateway \(a usage_records table, user_version 1\)/);
    assert.match(err, /sqlite3 -header -csv/);
  });

  test('the seeds’ BillingTracker database (usage_records, but not holy’s schema)', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const p = join(dir, 'billing.db');
    const db = openDatabase(p);
    db.exec(`CREATE TABLE IF NOT EXISTS usage_records (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER,
      output_tokens INTEGER, cost_usd REAL, cost_cny REAL, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, request_id TEXT UNIQUE)`);
    db.prepare('INSERT INTO usage_records (tenant_id, model, input_tokens, output_tokens, cost_usd, cost_cny, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run('acme', 'gpt-4.1', 10, 10, 0.1, 0.1, 'r1');
    db.close();
    const err = await roiFails([p]);
    assert.match(err, /billing\.db is an SQLite database but not a holy gateway ledger: it has a usage_records table but not holy's schema \(user_version 0/);
  });

  test('a damaged file that starts like SQLite; an empty ledger; --by project; stdin', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 0x41)]));
    assert.match(await roiFails([bad]), /bad\.db starts like an SQLite database but cannot be read as one|bad\.db cannot be read as a ledger/);
    const empty = join(dir, 'empty.db');
    await writeLedger(empty, []);
    assert.match(await roiFails([empty]), /empty\.db is a holy gateway ledger with no billed requests yet/);
    const a = join(dir, 'a.db');
    await writeLedger(a, REPLICA_B);
    assert.match(await roiFails([a, '--by', 'project']), /--by project: .*a\.db \(holy gateway ledger\) has no project column; group it by model, tenant, day, month instead/);
    const ctx = fakeCtx();
    (ctx as { stdin: Readable }).stdin = Readable.from([readFileSync(a)]);
    assert.equal(await main(['roi', '-'], ctx), 2);
    assert.match(ctx.err(), /stdin holds an SQLite database; .*pass the ledger by its file name/);
  });

  test('a row with impossible values is a usage error naming the file and the row id (or skipped with --skip-bad-rows)', async () => {
    const dir = tempDir('holy-roi-ledger-');
    const a = join(dir, 'a.db');
    await writeLedger(a, REPLICA_B);
    const db = openDatabase(a);
    db.exec("UPDATE usage_records SET cached_tokens = 5000 WHERE request_id = 'req-2'");
    db.close();
    assert.match(await roiFails([a]), /a\.db:3: cached tokens \(5000\) exceed input tokens \(1000\)/);
    const { doc } = await roiJson([a, '--skip-bad-rows']);
    assert.equal(doc.totals.requests, 3);
    assert.equal(doc.badRowsSkipped.count, 1);
  });
});
