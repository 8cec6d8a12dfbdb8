/** src/adapters/sqlite.ts: the same API on every driver this Node has (better-sqlite3 on Node 20; node:sqlite on 22+). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { availableBackends, isSqliteHeader, openDatabase, openDatabaseWith, sqliteBackend, sqliteCode } from '../../src/adapters/sqlite.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';

const backends = availableBackends();

test('at least one driver loads, and openDatabase picks better-sqlite3 when it does', () => {
  assert.ok(backends.length >= 1, 'no SQLite driver on this Node');
  assert.equal(sqliteBackend(), backends[0]);
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  // better-sqlite3 12.11.1 ships the Node 20 ABI; from 22.5 on node:sqlite is there.
  if (major === 20) assert.equal(sqliteBackend(), 'better-sqlite3');
  if (major > 22 || (major === 22 && minor >= 5)) assert.ok(backends.includes('node:sqlite'), `Node ${process.version} has node:sqlite`);
});

for (const backend of backends) {
  describe(`driver ${backend}`, () => {
    test('exec, prepare → run/get/all; booleans bind as 0/1, undefined as NULL; rows are plain objects with numbers', () => {
      const dir = tempDir('holy-sqlite-');
      const db = openDatabaseWith(backend, join(dir, 'a.db'));
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER, note TEXT, n REAL)');
      const ins = db.prepare('INSERT INTO t (name, flag, note, n) VALUES (?, ?, ?, ?)');
      const r = ins.run('a', true, undefined, 1.5) as { changes: number | bigint };
      assert.equal(Number(r.changes), 1);
      ins.run('b', false, 'x', 2);
      assert.deepEqual({ ...(db.prepare('SELECT name, flag, note, n FROM t WHERE id = ?').get(1) as object) }, { name: 'a', flag: 1, note: null, n: 1.5 });
      assert.equal(db.prepare('SELECT * FROM t WHERE id = ?').get(99), undefined);
      const all = db.prepare('SELECT name, flag FROM t ORDER BY id').all() as { name: string; flag: number }[];
      assert.deepEqual(all.map((x) => [x.name, x.flag]), [['a', 1], ['b', 0]]);
      db.close();
      assert.ok(isSqliteHeader(readFileSync(join(dir, 'a.db'))), 'the file starts with SQLite’s header bytes');
    });

    test('readonly: reads work, writes fail with SQLITE_READONLY (or query_only), a missing file is not created', () => {
      const dir = tempDir('holy-sqlite-');
      const p = join(dir, 'a.db');
      const w = openDatabaseWith(backend, p);
      w.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)');
      w.close();
      const r = openDatabaseWith(backend, p, { readonly: true });
      assert.equal((r.prepare('SELECT x FROM t').get() as { x: number }).x, 7);
      assert.throws(() => r.exec('INSERT INTO t VALUES (8)'), (e) => /SQLITE_READONLY|readonly|read-only|query_only/i.test(`${sqliteCode(e)} ${(e as Error).message}`));
      r.close();
      assert.throws(() => openDatabaseWith(backend, join(dir, 'missing.db'), { readonly: true }));
    });

    test('sqliteCode names the error: a constraint, a file that is not a database', () => {
      const dir = tempDir('holy-sqlite-');
      const db = openDatabaseWith(backend, join(dir, 'a.db'));
      db.exec('CREATE TABLE t (x INTEGER NOT NULL UNIQUE)');
      db.prepare('INSERT INTO t VALUES (?)').run(1);
      let code: string | undefined;
      try {
        db.prepare('INSERT INTO t VALUES (?)').run(1);
      } catch (e) {
        code = sqliteCode(e);
      }
      assert.match(code ?? '', /^SQLITE_CONSTRAINT/);
      db.close();
      writeFileSync(join(dir, 'text.db'), 'this is not a database, just some text that is long enough to be a header page\n'.repeat(50));
      let notadb: string | undefined;
      try {
        const t = openDatabaseWith(backend, join(dir, 'text.db'));
        t.prepare('SELECT * FROM sqlite_master').all();
        t.close();
      } catch (e) {
        notadb = sqliteCode(e);
      }
      assert.equal(notadb, 'SQLITE_NOTADB');
      assert.equal(sqliteCode(new Error('plain')), undefined);
    });
  });
}

test('loading node:sqlite prints no ExperimentalWarning, other warnings still print', () => {
  if (!backends.includes('node:sqlite')) return; // Node 20: nothing to silence
  const url = new URL('../../src/adapters/sqlite.js', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)}); const db = m.openDatabaseWith('node:sqlite', ':memory:'); db.close(); process.emitWarning('still here', 'ExperimentalWarning');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /SQLite is an experimental/i);
  assert.match(r.stderr, /still here/);
});

test('openDatabase is the default driver', () => {
  const db = openDatabase(':memory:');
  assert.equal((db.prepare('SELECT 1 + 1 AS v').get() as { v: number }).v, 2);
  db.close();
});
