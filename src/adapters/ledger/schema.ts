/**
 * The ledger file's schema (docs/ledger.md): the seeds' `usage_records` table, extended to one
 * column per LedgerRow field, a `ledger_meta` table with the ledger's random id, and the schema
 * version in PRAGMA user_version. Shared by the writer (ledger-worker.ts) and roi's reader (read.ts).
 */
import type { LedgerEntry, LedgerRow } from '../../core/gateway/types.js';
import { rowCost } from '../../core/gateway/ledger-cost.js';
import type { Db } from '../sqlite.js';

/** PRAGMA user_version of the ledgers this holy writes and reads. */
export const LEDGER_VERSION = 1;
/** PRAGMA application_id: "holy" in ASCII, so `file` and SQLite tools can tell the file apart. */
export const LEDGER_APP_ID = 0x686f6c79;

/** LedgerRow field → column, in insert order (id, the rowid, is assigned by SQLite). */
export const COLUMNS: readonly (readonly [keyof LedgerRow, string, string])[] = [
  ['ts', 'ts', 'INTEGER NOT NULL'],
  ['requestId', 'request_id', 'TEXT NOT NULL'],
  ['tenant', 'tenant_id', 'TEXT NOT NULL'],
  ['endpoint', 'endpoint', 'TEXT NOT NULL'],
  ['modelAsked', 'model_asked', 'TEXT NOT NULL'],
  ['modelServed', 'model', 'TEXT NOT NULL'],
  ['provider', 'provider', 'TEXT NOT NULL'],
  ['stream', 'stream', 'INTEGER NOT NULL'],
  ['inputTokens', 'input_tokens', 'INTEGER NOT NULL'],
  ['cachedTokens', 'cached_tokens', 'INTEGER NOT NULL'],
  ['outputTokens', 'output_tokens', 'INTEGER NOT NULL'],
  ['estimated', 'estimated', 'INTEGER NOT NULL'],
  ['costUSD', 'cost_usd', 'TEXT NOT NULL'],
  ['costCNY', 'cost_cny', 'TEXT NOT NULL'],
  ['status', 'status', 'TEXT NOT NULL'],
  ['httpStatus', 'http_status', 'INTEGER NOT NULL'],
  ['latencyMs', 'latency_ms', 'REAL NOT NULL'],
  ['ttftMs', 'ttft_ms', 'REAL'],
  ['fallback', 'fallback', 'INTEGER NOT NULL'],
  ['arm', 'arm', 'TEXT NOT NULL'],
];

const CREATE = `
CREATE TABLE usage_records (
  id INTEGER PRIMARY KEY,
${COLUMNS.map(([, c, t]) => `  ${c} ${t}`).join(',\n')}
);
CREATE UNIQUE INDEX usage_records_request_id ON usage_records(request_id);
CREATE INDEX usage_records_tenant_ts ON usage_records(tenant_id, ts);
CREATE INDEX usage_records_ts ON usage_records(ts);
-- What holy roi sums, in the order it groups: one pass, no sort (adapters/ledger/read.ts).
CREATE INDEX usage_records_bill ON usage_records(model, status, tenant_id, ts / 86400000, ts, input_tokens, cached_tokens, output_tokens);
CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** A duplicate request id is not inserted (changes = 0): the writer counts it as lost and says why. */
export const INSERT_SQL = `INSERT INTO usage_records (${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT(request_id) DO NOTHING`;

/**
 * A ledger entry as it crosses from the gateway's thread to the writer: one flat array of primitives,
 * no keys and no nested price object. Structured clone copies such an array in under half the time of
 * the object, and the copy of a whole batch runs on the gateway's event loop at every flush
 * (docs/ledger.md, "How it is written"). Fixed layout: [kind, the 18 fields of LedgerRow other than
 * the costs in COLUMNS order, then four slots]: kind 2 = already priced (costUSD, costCNY, null, null);
 * 1 = unpriced with a price (cnyRate, input, cachedInput, output); 0 = unpriced, no price (cnyRate,
 * null, null, null). Fields travel as they are: an undefined stays undefined and the writer refuses
 * that row alone, as it would the object.
 */
export type WireRow = unknown[];

export function toWire(e: LedgerEntry): WireRow {
  const priced = !('price' in e);
  const p = priced ? null : e.price;
  return [
    priced ? 2 : p ? 1 : 0, e.ts, e.requestId, e.tenant, e.endpoint, e.modelAsked, e.modelServed, e.provider, e.stream,
    e.inputTokens, e.cachedTokens, e.outputTokens, e.estimated, e.status, e.httpStatus, e.latencyMs, e.ttftMs, e.fallback, e.arm,
    priced ? e.costUSD : e.cnyRate, priced ? e.costCNY : p ? p.input : null, p ? p.cachedInput : null, p ? p.output : null,
  ];
}

/**
 * The writer's side: a WireRow's values in COLUMNS order, priced (rowCost) when it came unpriced —
 * booleans 0/1, no TTFT = NULL, without building the entry or the priced row. Throws on a
 * price that is not a decimal number (that row alone is lost).
 */
export function wireValues(w: WireRow): unknown[] {
  let usd = w[19];
  let cny = w[20];
  if (w[0] !== 2) {
    const price = w[0] === 1 ? { input: w[20] as string, cachedInput: w[21] as string | null, output: w[22] as string } : null;
    const c = rowCost(price, { inputTokens: w[9] as number, cachedTokens: w[10] as number, outputTokens: w[11] as number }, w[19] as string);
    usd = c.costUSD;
    cny = c.costCNY;
  }
  return [w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8] ? 1 : 0, w[9], w[10], w[11], w[12] ? 1 : 0, usd, cny, w[13], w[14], w[15], w[16] ?? null, w[17] ? 1 : 0, w[18]];
}

/** What a SQLite file holds, as far as holy's ledger is concerned. */
export type LedgerShape =
  | { kind: 'empty' }
  | { kind: 'ledger'; version: number; ledgerId: string }
  | { kind: 'other'; why: string };

const num = (v: unknown) => Number(v ?? 0);

/** Look at a database: an empty file, a holy ledger (and which version), or something else (why). */
export function ledgerShape(db: Db): LedgerShape {
  const version = num((db.prepare('PRAGMA user_version').get() as { user_version?: unknown } | undefined)?.user_version);
  const app = num((db.prepare('PRAGMA application_id').get() as { application_id?: unknown } | undefined)?.application_id);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  if (tables.length === 0 && version === 0) return { kind: 'empty' };
  if (!tables.includes('usage_records')) {
    return { kind: 'other', why: `it has no usage_records table (tables: ${tables.slice(0, 8).join(', ') || 'none'})` };
  }
  if (app !== LEDGER_APP_ID || version === 0 || !tables.includes('ledger_meta')) {
    return { kind: 'other', why: `it has a usage_records table but not holy's schema (user_version ${version}, application_id ${app}; a holy ledger has user_version ${LEDGER_VERSION} and application_id ${LEDGER_APP_ID})` };
  }
  const id = db.prepare("SELECT value FROM ledger_meta WHERE key = 'ledger_id'").get() as { value?: unknown } | undefined;
  return { kind: 'ledger', version, ledgerId: String(id?.value ?? '') };
}

/** Create the schema in an empty database, in one transaction. */
export function createLedger(db: Db, ledgerId: string, createdAt: string): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(CREATE);
    const meta = db.prepare('INSERT INTO ledger_meta (key, value) VALUES (?, ?)');
    meta.run('ledger_id', ledgerId);
    meta.run('created_at', createdAt);
    db.exec(`PRAGMA application_id = ${LEDGER_APP_ID}`);
    db.exec(`PRAGMA user_version = ${LEDGER_VERSION}`);
    db.exec('COMMIT');
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // The transaction is already gone (SQLite rolls back on some errors by itself).
    }
    throw e;
  }
}
