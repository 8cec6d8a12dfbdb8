import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runHoly, spawnHoly } from '../helpers/ctx.js';
import { writeAtomic, cleanStaleTemps } from '../../src/adapters/envwriter.js';
import { BASE, OFFICIAL, bytesOf, envDir, others, posix } from './helpers.js';

/** The pid of a process that has exited (so it is certainly not alive). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}
const lockOf = (pid: number, startedAt = new Date().toISOString()) => JSON.stringify({ pid, host: hostname(), startedAt }) + '\n';
const TWO_VARS = `${BASE}LLM_BASE_URL=https://api.openai.com/v1\nEMB_BASE_URL=https://api.openai.com/v1\n`;

describe('one holy at a time per env file', () => {
  test('two real concurrent migrates editing different variables: both succeed and neither edit is lost', async () => {
    for (let round = 0; round < 3; round++) {
      const d = envDir(TWO_VARS);
      const [a, b] = await Promise.all([
        spawnHoly(['migrate', '--yes', '--var', 'LLM_BASE_URL'], { cwd: d }),
        spawnHoly(['migrate', '--yes', '--var', 'EMB_BASE_URL'], { cwd: d }),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const text = bytesOf(d).toString();
      assert.match(text, /^LLM_BASE_URL=https:\/\/api\.holysheep\.ai\/v1$/m, text);
      assert.match(text, /^EMB_BASE_URL=https:\/\/api\.holysheep\.ai\/v1$/m, text);
      assert.ok(!existsSync(join(d, '.env.holy-lock')), 'the lock is removed on exit');
      // Rollback restores both (the second migrate added its variable to the snapshot).
      assert.equal((await runHoly(['rollback', '--yes'], { cwd: d })).code, 0);
      assert.equal(bytesOf(d).toString(), TWO_VARS);
    }
  });

  test('a lock held by a live holy: the second waits, then fails "another holy is editing .env" (exit 1), file untouched', async () => {
    const d = envDir(BASE);
    writeFileSync(join(d, '.env.holy-lock'), lockOf(process.pid));
    const r = await runHoly(['migrate', '--yes'], { cwd: d, env: { HOLY_LOCK_WAIT_MS: '300' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^holy: another holy is editing \\.env \\(pid ${process.pid} on .*\\); nothing was changed\\.$`, 'm'));
    assert.equal(bytesOf(d).toString(), BASE);
    assert.ok(existsSync(join(d, '.env.holy-lock')), "another holy's lock is left alone");
    assert.deepEqual(others(d), ['.env', '.env.holy-lock']);
  });

  test('the second holy goes ahead once the first releases the lock within the wait', async () => {
    const d = envDir(BASE);
    const lock = join(d, '.env.holy-lock');
    writeFileSync(lock, lockOf(process.pid));
    const pending = runHoly(['migrate', '--yes'], { cwd: d, env: { HOLY_LOCK_WAIT_MS: '20000' } });
    await new Promise((r) => setTimeout(r, 200));
    (await import('node:fs')).unlinkSync(lock);
    const r = await pending;
    assert.equal(r.code, 0, r.stderr);
    assert.match(bytesOf(d).toString(), /holysheep/);
    assert.ok(!existsSync(lock));
  });

  test('a stale lock (its pid is gone) is taken over, with a note', async () => {
    const d = envDir(BASE);
    const pid = deadPid();
    writeFileSync(join(d, '.env.holy-lock'), lockOf(pid));
    const r = await runHoly(['migrate', '--yes'], { cwd: d, env: { HOLY_LOCK_WAIT_MS: '0' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`note: took over a stale lock from pid ${pid}`));
    assert.ok(!existsSync(join(d, '.env.holy-lock')));
  });

  test('a lock older than an hour is stale even if its pid is alive (pid reuse)', async () => {
    const d = envDir(BASE);
    const lock = join(d, '.env.holy-lock');
    writeFileSync(lock, lockOf(process.pid, '2026-01-01T00:00:00.000Z'));
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(lock, old, old);
    const r = await runHoly(['migrate', '--yes'], { cwd: d, env: { HOLY_LOCK_WAIT_MS: '0' } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(lock));
  });

  test('a dry run takes no lock and needs none', async () => {
    const d = envDir(BASE);
    writeFileSync(join(d, '.env.holy-lock'), lockOf(process.pid));
    const r = await runHoly(['migrate', '--dry-run'], { cwd: d, env: { HOLY_LOCK_WAIT_MS: '0' } });
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('temp files', { skip: !posix && 'POSIX modes' }, () => {
  test('a temp file is 0600 while it holds the content, even when the final mode is wider', async () => {
    const d = envDir('');
    const f = join(d, 'wide.env');
    let seen = -1;
    let content = '';
    await writeAtomic(f, `K=${OFFICIAL}\n`, {
      mode: 0o644,
      platform: process.platform,
      pid: process.pid,
      hooks: {
        afterWrite(tmp) {
          seen = statSync(tmp).mode & 0o777;
          content = readFileSync(tmp, 'utf8');
        },
      },
    });
    assert.equal(content, `K=${OFFICIAL}\n`);
    assert.equal(seen, 0o600);
    assert.equal(statSync(f).mode & 0o777, 0o644);
  });

  test("the next run removes temp files a killed holy left (name pattern + dead pid), and nothing else", async () => {
    const d = envDir(BASE);
    const dead = `..env.holy-tmp-${deadPid()}-0123456789ab`;
    const live = `..env.holy-tmp-${process.pid}-0123456789ab`;
    const foreign = ['..env.holy-tmp-0123456789ab', '.other.holy-tmp-1-0123456789ab', '..env.holy-tmp-12-notours'];
    for (const n of [dead, live, ...foreign]) writeFileSync(join(d, n), `OPENAI_API_KEY=${OFFICIAL}\n`, { mode: 0o600 });
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: removed 1 temp file\(s\) a killed holy left behind: \.\.env\.holy-tmp-\d+-0123456789ab\./);
    const left = readdirSync(d);
    assert.ok(!left.includes(dead));
    for (const n of [live, ...foreign]) assert.ok(left.includes(n), n);
    assert.deepEqual(await cleanStaleTemps(join(d, '.env'), () => true), [], 'nothing is removed while its writer is alive');
  });
});

describe('the lock is held for the edit, not for --restart', () => {
  test('while the restart command runs, the lock is gone; released once only', async () => {
    const d = envDir(BASE);
    const probe = join(d, 'lock-during-restart');
    const r = await runHoly(['migrate', '--yes', '--restart', `test -e .env.holy-lock && echo held > ${JSON.stringify(probe)} || echo free > ${JSON.stringify(probe)}`], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(probe, 'utf8').trim(), 'free');
    assert.ok(!existsSync(join(d, '.env.holy-lock')));
  });
});

describe('kill -9 in the middle of a write', { skip: !posix && 'POSIX signals and modes' }, () => {
  test('the temp file a killed writer leaves is 0600, and the next migrate removes it', async () => {
    const d = envDir(BASE);
    const writer = new URL('../../src/adapters/envwriter.js', import.meta.url).href;
    // A real writer process, stopped between the temp write and the rename, then killed with SIGKILL.
    const script = `import { writeAtomic } from ${JSON.stringify(writer)};
      await writeAtomic(${JSON.stringify(join(d, '.env'))}, 'OPENAI_API_KEY=${OFFICIAL}\\n', { mode: 0o600, platform: process.platform, pid: process.pid,
        hooks: { beforeRename: () => { process.stdout.write('ready'); return new Promise(() => {}); } } });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await closed;
    const left = readdirSync(d).filter((f) => f.includes('.holy-tmp-'));
    assert.equal(left.length, 1, 'kill -9 left the temp file');
    assert.equal(statSync(join(d, left[0]!)).mode & 0o777, 0o600);
    assert.equal(bytesOf(d).toString(), BASE, 'the original is intact');
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: removed 1 temp file\(s\) a killed holy left behind/);
    assert.deepEqual(readdirSync(d).filter((f) => f.includes('.holy-tmp-')), []);
  });
});

test('Ctrl-C while waiting for the lock stops waiting: exit 130, nothing changed', async () => {
  const { fakeCtx } = await import('../helpers/ctx.js');
  const { main } = await import('../../src/cli.js');
  const d = envDir(BASE);
  writeFileSync(join(d, '.env.holy-lock'), lockOf(process.pid));
  const ctx = fakeCtx({ cwd: d, env: { HOLY_LOCK_WAIT_MS: '600000' } });
  const done = main(['migrate', '--yes'], ctx);
  setTimeout(() => ctx.abort(), 50);
  assert.equal(await done, 130);
  assert.match(ctx.err(), /interrupted while waiting for another holy to finish with \.env; nothing was changed\./);
  assert.equal(bytesOf(d).toString(), BASE);
});
