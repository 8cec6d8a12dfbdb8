/**
 * Reading a gateway ledger (.db) for `holy roi`: the rows come out as records with a header, like a
 * CSV's, so they go through the same reader (adapters/usage/read.ts) — same validation, grouping,
 * dedupe and pricing. Opened read-only; one read transaction, so a ledger being written is read as
 * of the moment reading started (WAL: the writer is never blocked and never blocks this).
 */
import { HolyError, Interrupted, UsageError } from '../../errors.js';
import { parseCount } from '../../core/roi/aggregate.js';
import type { IdSet } from '../../core/roi/idset.js';
import type { TimeParser } from '../../core/roi/time.js';
import type { CsvRecord } from '../usage/rows.js';
import { openDatabase, sqliteCode, type Db } from '../sqlite.js';
import { LEDGER_VERSION, ledgerShape } from './schema.js';

/**
 * The columns of the records handed on, in this order: the "header" the usage reader detects the
 * format from (the same names as usage_records, so a CSV dump of the table is read alike), plus
 * ts_end and requests for records that stand for several rows.
 */
const READ_COLUMNS = ['ts', 'ts_end', 'request_id', 'tenant_id', 'model_asked', 'model', 'input_tokens', 'cached_tokens', 'output_tokens', 'status', 'requests'] as const;

/**
 * A row roi can sum: whole non-negative token counts, cached within input, a time in range, a model.
 * `+ts`: keeps the planner off the ts index, so both queries below scan the covering index
 * usage_records_bill in its order (no sort).
 */
const VALID = `(typeof(input_tokens) = 'integer' AND typeof(cached_tokens) = 'integer' AND typeof(output_tokens) = 'integer'
  AND input_tokens >= 0 AND cached_tokens >= 0 AND output_tokens >= 0 AND cached_tokens <= input_tokens
  AND typeof(ts) = 'integer' AND +ts BETWEEN 0 AND 253402300799999 AND typeof(model) = 'text' AND model <> '' AND typeof(tenant_id) = 'text')`;

/** One record (a group of rows, or one row) as a CsvRecord, read by column position. */
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

export interface LedgerScan {
  /** Rows left out because an earlier copy of this ledger (same ledger id) had their request id. */
  duplicates: number;
  examples: { id: string; row: number }[];
}

export interface LedgerFile {
  /** The ledger's random id (ledger_meta): copies of one ledger share it. */
  ledgerId: string;
  /**
   * Hand the header, then the records, to onRow (`line` = the row id for single rows, 0 for sums).
   * Valid rows are summed by SQLite per model, status, tenant and UTC day, each sum one record with
   * its row count in `requests` and its first and last time; rows roi cannot sum as they are (bad
   * counts or times) come one by one, so the reader names them as it names a CSV's bad lines.
   * `previous`: earlier copies of this ledger, whose request ids are left out here.
   */
  scan(onRow: (r: CsvRecord, line: number) => void, o: { previous: string[]; signal?: AbortSignal }): Promise<LedgerScan>;
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
    return {
      ledgerId: shape.ledgerId,
      async scan(onRow, o) {
        const header = { length: READ_COLUMNS.length, text: (i: number) => READ_COLUMNS[i]! } as CsvRecord;
        onRow(header, 0);
        // Earlier copies of this ledger: their rows are this one's rows with the same request id.
        const prev = o.previous.map((path, i) => {
          db.prepare(`ATTACH DATABASE ? AS prev${i}`).run(path);
          return `EXISTS (SELECT 1 FROM prev${i}.usage_records p WHERE p.request_id = u.request_id)`;
        });
        const seenBefore = prev.length ? `(${prev.join(' OR ')})` : '0';
        // One read transaction: every query sees the same snapshot, whatever the gateway commits meanwhile.
        db.exec('BEGIN');
        try {
          if (o.signal?.aborted) throw new Interrupted();
          // Sums per model, status, tenant and UTC day: one pass over the covering index
          // usage_records_bill (already in that order, so no sort), a few hundred records a month.
          const sums = db.prepare(
            `SELECT min(ts) AS ts, max(ts) AS ts_end, NULL AS request_id, tenant_id, NULL AS model_asked, model,
               sum(input_tokens) AS input_tokens, sum(cached_tokens) AS cached_tokens, sum(output_tokens) AS output_tokens, status, count(*) AS requests
             FROM usage_records u WHERE ${VALID} AND NOT ${seenBefore}
             GROUP BY model, status, tenant_id, ts / 86400000`,
          ).all() as Record<string, unknown>[];
          const row = new DbRow();
          for (const r of sums) {
            row.o = r;
            onRow(row, 0);
          }
          // Rows that cannot be summed as they are (rare): one by one, in id order, so messages name the row.
          const badIds = db.prepare(`SELECT id FROM usage_records u WHERE NOT ${VALID} AND NOT ${seenBefore}`).all() as { id: number }[];
          if (badIds.length) {
            const cols = READ_COLUMNS.map((c) => (c === 'requests' ? '1 AS requests' : c === 'ts_end' ? 'NULL AS ts_end' : c)).join(', ');
            const one = db.prepare(`SELECT id, ${cols} FROM usage_records WHERE id = ?`);
            for (const id of badIds.map((b) => Number(b.id)).sort((a, b) => a - b)) {
              row.o = one.get(id) as Record<string, unknown>;
              onRow(row, id);
            }
          }
          let duplicates = 0;
          let examples: { id: string; row: number }[] = [];
          if (prev.length) {
            duplicates = Number((db.prepare(`SELECT count(*) AS n FROM usage_records u WHERE ${seenBefore}`).get() as { n: number }).n);
            examples = (db.prepare(`SELECT id, request_id FROM usage_records u WHERE ${seenBefore} ORDER BY id LIMIT 5`).all() as { id: number; request_id: string }[]).map((r) => ({ id: String(r.request_id), row: Number(r.id) }));
          }
          return { duplicates, examples };
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

function cannotRead(name: string, e: unknown): HolyError {
  // No SQLite driver on this Node: that is holy's problem, not the file's.
  if (e instanceof HolyError) return e;
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
