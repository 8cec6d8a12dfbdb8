/**
 * SQLite, one small API over two drivers: better-sqlite3 (native, fastest) and, when its native module
 * will not load on this Node (a Node-20 binary on Node ≥ 22), Node's built-in `node:sqlite`. Both are
 * synchronous; callers keep writes off the hot path themselves.
 */
import { createRequire } from 'node:module';

export interface Db {
  exec(sql: string): void;
  prepare(sql: string): { run(...p: unknown[]): unknown; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  close(): void;
}

const req = createRequire(import.meta.url);

type Ctor = new (path: string, o?: Record<string, unknown>) => Db;
let better: Ctor | null | undefined;
function betterSqlite(): Ctor | null {
  if (better === undefined) {
    try {
      const C = req('better-sqlite3') as Ctor;
      // Loading the module succeeds even when the native binding does not: open a throwaway database to know.
      new C(':memory:').close();
      better = C;
    } catch {
      better = null;
    }
  }
  return better;
}

/** Open (creating unless readonly) the SQLite file at `path`. */
export function openDatabase(path: string, o: { readonly?: boolean } = {}): Db {
  const B = betterSqlite();
  if (B) return new B(path, o.readonly ? { readonly: true, fileMustExist: true } : {});
  const { DatabaseSync } = req('node:sqlite') as { DatabaseSync: new (p: string, o?: Record<string, unknown>) => Db };
  return new DatabaseSync(path, o.readonly ? { readOnly: true } : {});
}
