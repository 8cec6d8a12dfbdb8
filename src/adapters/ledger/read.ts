/**
 * Reading a gateway ledger (.db) for `holy roi`: the rows come out as records with a header, like a
 * CSV's, so they go through the same reader (adapters/usage/read.ts) — same validation, grouping,
 * dedupe and pricing. Opened read-only; one read transaction, so a ledger being written is read as
 * of the moment reading started (WAL: the writer is never blocked and never blocks this).
 */
import { Interrupted, UsageError } from '../../errors.js';
import { parseCount } from '../../core/roi/aggregate.js';
import type { IdSet } from '../../core/roi/idset.js';
import type { TimeParser } from '../../core/roi/time.js';
import type { CsvRecord } from '../usage/rows.js';
import { openDatabase, sqliteCode, type Db } from '../sqlite.js';
import { LEDGER_VERSION, ledgerShape } from './schema.js';

/** The columns roi reads, in this order: the "header" the usage reader detects the format from. */
const READ_COLUMNS = ['id', 'ts', 'request_id', 'tenant_id', 'model_asked', 'model', 'input_tokens', 'cached_tokens', 'output_tokens', 'status'] as const;
const PAGE = 4096;

/** One ledger row as a CsvRecord (the row object from SQLite, read by column position). */
class DbRow implements CsvRecord {
  o: Record<string, unknown> = {};
  readonly length = READ_COLUMNS.length;
  private v(i: number): unknown {
    return this.o[READ_COLUMNS[i]!];
  }
  text(i: number): string {
    const v = this.v(i);
    return v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v);
  }
  intern(i: number): string {
    return this.text(i);
  }
  count(i: number): number {
    const v = this.v(i);
    if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : -1;
    if (typeof v === 'bigint') return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
    return typeof v === 'string' ? parseCount(v) : -1;
  }
  addId(ids: IdSet, i: number): boolean {
    return ids.add(this.text(i));
  }
  empty(i: number): boolean {
    const v = this.v(i);
    return v === null || v === undefined || v === '';
  }
  time(i: number, p: TimeParser): number {
    // The ledger's ts is always epoch milliseconds; a tiny value must not be taken for seconds.
    p.kind ??= 'epoch-ms';
    const v = this.v(i);
    return typeof v === 'number' ? (Number.isSafeInteger(v) ? v : NaN) : p.parse(this.text(i));
  }
}

export interface LedgerFile {
  /** The ledger's random id (ledger_meta): copies of one ledger share it. */
  ledgerId: string;
  /** Highest row id: the row count unless rows were deleted (for sizing the id set and progress). */
  maxId: number;
  /** Hand the header, then every row (`line` = the row's id), to onRow; onRows after each page. */
  scan(onRow: (r: CsvRecord, line: number) => void, o: { signal?: AbortSignal; onRows?: (rowsRead: number) => void }): Promise<void>;
  close(): void;
}

/** Open a ledger read-only; a file that is SQLite but not a holy ledger is a UsageError naming what was expected. */
export function openLedgerFile(name: string, path: string): LedgerFile {
  let db: Db;
  try {
    db = openDatabase(path, { readonly: true });
  } catch (e) {
    throw cannotRead(name, e);
  }
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const shape = ledgerShape(db);
    if (shape.kind !== 'ledger') {
      throw new UsageError(
        `${name} is an SQLite database but not a holy gateway ledger: ${shape.kind === 'empty' ? 'it has no tables' : shape.why}; holy roi reads ledgers written by holy gateway (a usage_records table, user_version ${LEDGER_VERSION}).`,
        `for another SQLite table, export it to CSV and read that: sqlite3 -header -csv ${name} "SELECT …" > usage.csv (then --columns if its header is not one holy knows).`,
      );
    }
    if (shape.version > LEDGER_VERSION) {
      throw new UsageError(`${name} is a holy ledger of schema version ${shape.version}, newer than this holy reads (${LEDGER_VERSION}); upgrade holy to read it.`);
    }
    const maxId = Number((db.prepare('SELECT max(id) AS m FROM usage_records').get() as { m: unknown } | undefined)?.m ?? 0);
    return {
      ledgerId: shape.ledgerId,
      maxId,
      async scan(onRow, o) {
        const page = db.prepare(`SELECT ${READ_COLUMNS.join(', ')} FROM usage_records WHERE id > ? ORDER BY id LIMIT ${PAGE}`);
        const header = { length: READ_COLUMNS.length, text: (i: number) => READ_COLUMNS[i]! } as CsvRecord;
        onRow(header, 0);
        const row = new DbRow();
        let last = 0;
        let read = 0;
        // One read transaction: every page sees the same snapshot, whatever the gateway commits meanwhile.
        db.exec('BEGIN');
        try {
          for (;;) {
            if (o.signal?.aborted) throw new Interrupted();
            const rows = page.all(last) as Record<string, unknown>[];
            for (const r of rows) {
              row.o = r;
              onRow(row, Number(r.id));
            }
            read += rows.length;
            o.onRows?.(read);
            if (rows.length < PAGE) break;
            last = Number(rows[rows.length - 1]!.id);
            // Let Ctrl-C and the progress line through between pages.
            await new Promise<void>((r) => setImmediate(r));
          }
        } finally {
          db.exec('COMMIT');
        }
      },
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    if (e instanceof UsageError) throw e;
    throw cannotRead(name, e);
  }
}

function cannotRead(name: string, e: unknown): UsageError {
  const code = sqliteCode(e);
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new UsageError(`${name} starts like an SQLite database but cannot be read as one (${code}: ${msg}); check that the file is whole (copy the .db together with its -wal file, or after the gateway stopped).`);
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new UsageError(`${name} is locked by another program (${code}); holy reads ledgers while the gateway writes them (WAL), so another tool holds an exclusive lock — retry when it is done.`);
  }
  return new UsageError(`${name} cannot be read as a ledger (${code ? `${code}: ` : ''}${msg}); check the file and its folder's permissions (SQLite needs the -wal and -shm files beside it).`);
}
