import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, linkSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HOLY_BIN, runHoly } from '../helpers/ctx.js';
import { BASE, bytesOf, envDir, isRoot, others, posix } from './helpers.js';

const NOBODY = 65534;

/** Run the real CLI as another user (tests run as root). */
function holyAs(uid: number, gid: number, cwd: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--', HOLY_BIN, ...argv], { cwd, uid, gid, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

describe('owner, group and mode', { skip: !isRoot && 'needs root to chown fixtures' }, () => {
  test('as root, a nobody:nogroup 0600 .env stays nobody:nogroup 0600 through migrate and rollback; backup and snapshot too', async () => {
    const d = envDir(BASE);
    chownSync(join(d, '.env'), NOBODY, NOBODY);
    const m = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(m.code, 0, m.stderr);
    for (const f of readdirSync(d)) {
      const s = statSync(join(d, f));
      assert.deepEqual([f, s.uid, s.gid, s.mode & 0o777], [f, NOBODY, NOBODY, 0o600]);
    }
    assert.match(bytesOf(d).toString(), /holysheep/);
    const r = await runHoly(['rollback', '--yes'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    const s = statSync(join(d, '.env'));
    assert.deepEqual([s.uid, s.gid, s.mode & 0o777], [NOBODY, NOBODY, 0o600]);
    assert.equal(bytesOf(d).toString(), BASE);
  });

  test('the owner (not root) can migrate its own file, which keeps its owner', async () => {
    const d = envDir(BASE);
    chmodSync(d, 0o777);
    chownSync(join(d, '.env'), NOBODY, NOBODY);
    const r = await holyAs(NOBODY, NOBODY, d, ['migrate', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(d, '.env')).uid, NOBODY);
    assert.match(bytesOf(d).toString(), /holysheep/);
  });

  test('neither root nor the owner: refused with exit 2 before anything is written, file untouched', async () => {
    const d = envDir(BASE);
    chmodSync(d, 0o777);
    chmodSync(join(d, '.env'), 0o666); // writable by nobody, owned by root
    // --verify against a closed port: the refusal must come before verify (and before any backup).
    const r = await holyAs(NOBODY, NOBODY, d, ['migrate', '--yes', '--force', '--verify'], { HOLYSHEEP_BASE_URL: 'http://127.0.0.1:9/v1' });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /verify/);
    assert.match(r.stderr, /^holy: refusing to replace \.env: it belongs to 0:0, and this user can neither keep that owner and group on a new file nor replace it without changing who owns it; nothing was changed\.$/m);
    assert.equal(bytesOf(d).toString(), BASE);
    assert.equal(statSync(join(d, '.env')).uid, 0);
    assert.deepEqual(readdirSync(d), ['.env'], 'no backup, snapshot, temp or lock file left');
  });
});

describe('hard links', { skip: !posix && 'POSIX links' }, () => {
  test('a .env with two links is refused (exit 2) with the reason; both names keep their bytes; a dry run says so', async () => {
    const d = envDir(BASE);
    linkSync(join(d, '.env'), join(d, 'app.env'));
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^holy: refusing to replace \.env: it has 2 hard links, and replacing it would leave the other names with the old content, while writing in place could tear it on a crash; nothing was changed\.$/m);
    assert.equal(bytesOf(d).toString(), BASE);
    assert.equal(statSync(join(d, 'app.env')).nlink, 2, 'still linked');
    assert.deepEqual(others(d), ['.env', 'app.env']);
    const dry = await runHoly(['migrate'], { cwd: d });
    assert.equal(dry.code, 0);
    assert.match(dry.stderr, /note: applying would refuse to replace \.env: it has 2 hard links/);
  });
});

describe('a directory holy may not write in', { skip: !isRoot && 'needs root to run as nobody' }, () => {
  test('refused before anything is written (exit 2), naming the directory', async () => {
    const d = envDir(BASE);
    chmodSync(d, 0o755); // root's: nobody cannot create the lock, temp file or backup
    chmodSync(join(d, '.env'), 0o666);
    const r = await holyAs(NOBODY, NOBODY, d, ['migrate', '--yes', '--force']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^holy: cannot write in .* \(EACCES\), where holy puts its lock, temp file and backup beside \.env; nothing was changed\.$/m);
    assert.equal(bytesOf(d).toString(), BASE);
    assert.deepEqual(readdirSync(d), ['.env']);
  });
});
