/**
 * The ledger's writer thread (docs/ledger.md): owns the SQLite connection, so no insert, fsync or
 * lock wait ever runs on the gateway's event loop. Each message of rows is one transaction; every
 * outcome is reported back as counts (written, lost and why), never as an exception.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openDatabase, sqliteBackend, sqliteCode, type Db } from '../sqlite.js';
import { INSERT_SQL, LEDGER_VERSION, createLedger, ledgerShape, wireValues, type WireRow } from './schema.js';

export interface WorkerInit {
  path: string;
  /** PRAGMA max_page_count (a size cap; tests make the file "full" with it). */
  maxPageCount?: number;
  busyTimeoutMs: number;
}
export type ToWorker = { t: 'rows'; rows: WireRow[] } | { t: 'close' };
export type FromWorker =
  | { t: 'ready'; backend: string; ledgerId: string; created: boolean }
  | { t: 'fatal'; usage: boolean; message: string }
  | { t: 'done'; n: number; written: number; lost: number; why?: string; ms: number }
  | { t: 'closed' };

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);

function describe(e: unknown): string {
  const code = sqliteCode(e);
  const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

function tryExec(db: Db, sql: string): void {
  try {
    db.exec(sql);
  } catch {
    // A read-only or locked file refuses pragmas that write; its rows will fail (and be counted) instead.
  }
}

function open(): { db: Db; insert: ReturnType<Db['prepare']> } | null {
  let db: Db | undefined;
  try {
    db = openDatabase(init.path);
    tryExec(db, `PRAGMA busy_timeout = ${Math.max(0, Math.floor(init.busyTimeoutMs))}`);
    const shape = ledgerShape(db);
    if (shape.kind === 'other') {
      post({ t: 'fatal', usage: true, message: `${init.path} is an SQLite database but not a holy gateway ledger: ${shape.why}; point gateway.ledger at a new file (holy creates it) or at a ledger holy wrote.` });
      db.close();
      return null;
    }
    if (shape.kind === 'ledger' && shape.version > LEDGER_VERSION) {
      post({ t: 'fatal', usage: true, message: `${init.path} is a holy ledger of schema version ${shape.version}, newer than this holy's ${LEDGER_VERSION}; upgrade holy, or point gateway.ledger at a new file.` });
      db.close();
      return null;
    }
    // WAL: readers (holy roi, sqlite3) never block the writer and see every committed batch.
    tryExec(db, 'PRAGMA journal_mode = WAL');
    // FULL in WAL mode: each committed batch is on disk before the next one starts (one fsync per batch, not per row).
    tryExec(db, 'PRAGMA synchronous = FULL');
    let ledgerId = shape.kind === 'ledger' ? shape.ledgerId : '';
    if (shape.kind === 'empty') {
      ledgerId = randomBytes(16).toString('hex');
      createLedger(db, ledgerId, new Date().toISOString());
    }
    if (init.maxPageCount) db.exec(`PRAGMA max_page_count = ${Math.floor(init.maxPageCount)}`);
    const insert = db.prepare(INSERT_SQL);
    post({ t: 'ready', backend: sqliteBackend(), ledgerId, created: shape.kind === 'empty' });
    return { db, insert };
  } catch (e) {
    const code = sqliteCode(e);
    const usage = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
    post({
      t: 'fatal',
      usage,
      message: usage
        ? `${init.path} is not an SQLite database (${describe(e)}); point gateway.ledger at a new file (holy creates it) or at a ledger holy wrote.`
        : `the ledger ${init.path} cannot be opened (${describe(e)}); check that its folder exists and is writable.`,
    });
    try {
      db?.close();
    } catch {
      // already unusable
    }
    return null;
  }
}

const opened = open();
let fatalWhy: string | undefined;

/** Errors that concern one row only (a NOT NULL column, a value SQLite cannot bind): the rest of the batch goes on. */
function rowOnly(e: unknown): boolean {
  return (sqliteCode(e) ?? '').startsWith('SQLITE_CONSTRAINT') || e instanceof TypeError || e instanceof RangeError;
}

function write(rows: WireRow[]): FromWorker {
  const t0 = performance.now();
  if (!opened) return { t: 'done', n: rows.length, written: 0, lost: rows.length, why: fatalWhy ?? 'the ledger is not open', ms: 0 };
  const { db, insert } = opened;
  let written = 0;
  let dup = 0;
  let bad = 0;
  let badWhy = '';
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const r of rows) {
      let values: unknown[];
      try {
        // Priced here, off the gateway's event loop; a price that is not a number loses this row only.
        values = wireValues(r);
      } catch (e) {
        bad++;
        badWhy ||= `its cost could not be computed: ${describe(e)}`;
        continue;
      }
      try {
        const res = insert.run(...values) as { changes?: number | bigint };
        if (Number(res.changes) === 1) written++;
        else dup++;
      } catch (e) {
        if (!rowOnly(e)) throw e;
        bad++;
        badWhy ||= describe(e);
      }
    }
    db.exec('COMMIT');
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // SQLite already rolled the transaction back (it does on SQLITE_FULL and some I/O errors).
    }
    return { t: 'done', n: rows.length, written: 0, lost: rows.length, why: describe(e), ms: performance.now() - t0 };
  }
  const lost = dup + bad;
  const why = [bad ? `${bad} row${bad === 1 ? '' : 's'} refused (${badWhy})` : '', dup ? `${dup} duplicate request id${dup === 1 ? '' : 's'} (already in the ledger)` : ''].filter(Boolean).join('; ');
  return { t: 'done', n: rows.length, written, lost, ...(lost ? { why } : {}), ms: performance.now() - t0 };
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'rows') post(write(m.rows));
  else if (m.t === 'close') {
    if (opened) {
      // The last connection: fold the WAL back into the database file so a copy of the .db alone is whole.
      tryExec(opened.db, 'PRAGMA wal_checkpoint(TRUNCATE)');
      try {
        opened.db.close();
      } catch {
        // nothing left to save
      }
    }
    post({ t: 'closed' });
    port.close();
  }
});
if (!opened) fatalWhy = 'the ledger could not be opened';
