/**
 * SQLite for holy (the gateway's ledger and state, `holy roi` reading ledgers): one small API over
 * two drivers. better-sqlite3 first (fast, synchronous, the driver the package pins); when its native
 * module does not load on this Node — the binary is built for one ABI, and Node 22/24/26 refuse it
 * with ERR_DLOPEN_FAILED / NODE_MODULE_VERSION — Node's built-in `node:sqlite` (DatabaseSync, Node
 * ≥ 22.5) with the same API. Only node:sqlite's ExperimentalWarning is silenced, nothing else.
 *
 * Values bound as parameters: numbers, strings, bigints, Buffers and null; booleans become 0/1 and
 * undefined becomes null on both drivers. Rows come back as plain objects with numbers (not bigints).
 */
import { createRequire } from 'node:module';
import { RuntimeError } from '../errors.js';

export interface Db {
  exec(sql: string): void;
  prepare(sql: string): { run(...p: unknown[]): unknown; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  close(): void;
}

export type SqliteBackend = 'better-sqlite3' | 'node:sqlite';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------- the two drivers, loaded lazily
interface BetterStatement {
  run(...p: unknown[]): unknown;
  get(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
}
interface BetterDb {
  exec(sql: string): unknown;
  prepare(sql: string): BetterStatement;
  close(): unknown;
}
type BetterCtor = new (path: string, o?: { readonly?: boolean; fileMustExist?: boolean }) => BetterDb;

interface NodeStatement {
  run(...p: unknown[]): unknown;
  get(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
}
interface NodeDb {
  exec(sql: string): void;
  prepare(sql: string): NodeStatement;
  close(): void;
}
type NodeCtor = new (path: string, o?: { readOnly?: boolean }) => NodeDb;

let better: BetterCtor | null | undefined;
let betterWhy = '';
let nodeSqlite: NodeCtor | null | undefined;
let nodeWhy = '';

/** better-sqlite3, or null when its native module does not load on this Node (the reason is kept for messages). */
function loadBetter(): BetterCtor | null {
  if (better !== undefined) return better;
  try {
    const B = require('better-sqlite3') as BetterCtor;
    // The native module is loaded by the first constructor call, not by require: try one.
    new B(':memory:').close();
    better = B;
  } catch (e) {
    better = null;
    betterWhy = firstLine(e);
  }
  return better;
}

/** node:sqlite's DatabaseSync (Node ≥ 22.5), or null; its ExperimentalWarning alone is silenced. */
function loadNodeSqlite(): NodeCtor | null {
  if (nodeSqlite !== undefined) return nodeSqlite;
  const emit = process.emitWarning;
  // Why a temporary wrapper: the warning is emitted synchronously while the module loads, and
  // process.on('warning') cannot stop Node printing it. Every other warning passes through.
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteExperimental(warning, rest[0])) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqlite = (require('node:sqlite') as { DatabaseSync: NodeCtor }).DatabaseSync;
  } catch (e) {
    nodeSqlite = null;
    nodeWhy = firstLine(e);
  } finally {
    process.emitWarning = emit;
  }
  return nodeSqlite;
}

function isSqliteExperimental(warning: string | Error, typeOrOpts: unknown): boolean {
  const type = typeof typeOrOpts === 'string' ? typeOrOpts : (typeOrOpts as { type?: string } | undefined)?.type;
  const name = warning instanceof Error ? warning.name : type;
  const text = warning instanceof Error ? warning.message : warning;
  return (name === 'ExperimentalWarning' || type === 'ExperimentalWarning') && /sqlite/i.test(String(text));
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/** The driver openDatabase uses on this Node: better-sqlite3 when it loads, else node:sqlite. */
export function sqliteBackend(): SqliteBackend {
  if (loadBetter()) return 'better-sqlite3';
  if (loadNodeSqlite()) return 'node:sqlite';
  throw new RuntimeError(
    `SQLite is not available on Node ${process.version}: better-sqlite3 does not load (${betterWhy}) and node:sqlite is missing (${nodeWhy}).`,
    'run holy on Node 20 (better-sqlite3 ships for it) or on Node 22.5 or later (built-in node:sqlite), or rebuild better-sqlite3 for this Node (npm rebuild better-sqlite3).',
  );
}

/** Which drivers load on this Node (tests run every one available). */
export function availableBackends(): SqliteBackend[] {
  return [...(loadBetter() ? ['better-sqlite3' as const] : []), ...(loadNodeSqlite() ? ['node:sqlite' as const] : [])];
}

/** Open (or create, unless readonly) a database file with the driver this Node has. */
export function openDatabase(path: string, o: { readonly?: boolean } = {}): Db {
  return openDatabaseWith(sqliteBackend(), path, o);
}

/** Open with a named driver (tests of both back-ends; everything else uses openDatabase). */
export function openDatabaseWith(backend: SqliteBackend, path: string, o: { readonly?: boolean } = {}): Db {
  const readonly = o.readonly === true;
  if (backend === 'better-sqlite3') {
    const B = loadBetter();
    if (!B) throw new RuntimeError(`better-sqlite3 does not load on Node ${process.version} (${betterWhy}).`);
    const db = new B(path, readonly ? { readonly: true, fileMustExist: true } : {});
    return wrap(db);
  }
  const N = loadNodeSqlite();
  if (!N) throw new RuntimeError(`node:sqlite is not available on Node ${process.version} (${nodeWhy}).`);
  const db = new N(path, readonly ? { readOnly: true } : {});
  // A Node whose DatabaseSync predates the readOnly option ignores it: query_only refuses writes anyway.
  if (readonly) db.exec('PRAGMA query_only = ON');
  return wrap(db);
}

/** Both drivers have the same statement shape; only the bound values need one rule. */
function wrap(db: BetterDb | NodeDb): Db {
  return {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => {
      const s = db.prepare(sql);
      return {
        run: (...p) => s.run(...bindable(p)),
        get: (...p) => s.get(...bindable(p)) ?? undefined,
        all: (...p) => s.all(...bindable(p)),
      };
    },
    close: () => void db.close(),
  };
}

/** Booleans → 0/1 and undefined → null (neither driver binds them); the array is copied only when needed. */
function bindable(p: unknown[]): unknown[] {
  let out = p;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (typeof v === 'boolean' || v === undefined) {
      if (out === p) out = p.slice();
      out[i] = v === undefined ? null : v ? 1 : 0;
    }
  }
  return out;
}

const PRIMARY: Record<number, string> = {
  1: 'SQLITE_ERROR', 3: 'SQLITE_PERM', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED', 7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 19: 'SQLITE_CONSTRAINT', 26: 'SQLITE_NOTADB',
};

/**
 * The SQLite result code of a driver error, by name ("SQLITE_FULL", "SQLITE_READONLY_DBMOVED", …), or
 * undefined for an error that is not SQLite's. better-sqlite3 names it in `code`; node:sqlite gives
 * the number in `errcode` (extended codes keep their primary code in the low byte).
 */
export function sqliteCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errcode?: unknown } | null;
  if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_')) return err.code;
  if (typeof err?.errcode === 'number') return PRIMARY[err.errcode & 0xff] ?? `SQLITE_${err.errcode}`;
  return undefined;
}

/** The 16 bytes every SQLite 3 database file starts with. */
export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** True when the bytes are the start of an SQLite 3 database file. */
export function isSqliteHeader(b: Buffer): boolean {
  return b.length >= 16 && b.subarray(0, 16).equals(SQLITE_MAGIC);
}
