import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync, symlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { backupFile, backupStamp, resolveTarget, writeAtomic } from '../../src/adapters/envwriter.js';
import { readSnapshot, snapshotPath } from '../../src/adapters/snapshot.js';
import { tempDir } from '../helpers/tmp.js';

const posix = process.platform !== 'win32';
const dir = () => tempDir('holy-writer-');

describe('atomic env writer', () => {
  test('backup is FILE.bak.<UTC timestamp>, same bytes, mode 0600, and never overwrites an earlier one', async () => {
    const d = dir();
    const f = join(d, '.env');
    writeFileSync(f, 'A=1\r\n', { mode: 0o644 });
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    assert.equal(backupStamp(at), '20260102T030405Z');
    const b1 = await backupFile(f, at, process.platform);
    assert.equal(b1, `${f}.bak.20260102T030405Z`);
    assert.equal(readFileSync(b1, 'utf8'), 'A=1\r\n');
    if (posix) assert.equal(statSync(b1).mode & 0o777, 0o600);
    writeFileSync(f, 'A=2\n');
    const b2 = await backupFile(f, at, process.platform);
    assert.equal(b2, `${f}.bak.20260102T030405Z-2`);
    assert.equal(readFileSync(b1, 'utf8'), 'A=1\r\n');
    assert.equal(readFileSync(b2, 'utf8'), 'A=2\n');
  });

  test('writes with the requested mode and leaves no temp file', async () => {
    const d = dir();
    const f = join(d, 'out.env');
    await writeAtomic(f, 'K=v\n', { mode: 0o600, platform: process.platform });
    assert.equal(readFileSync(f, 'utf8'), 'K=v\n');
    if (posix) assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(d), ['out.env']);
  });

  test('a crash between the temp write and the rename leaves the original intact and no temp file', async () => {
    const d = dir();
    const f = join(d, '.env');
    writeFileSync(f, 'ORIGINAL=1\n', { mode: 0o600 });
    let sawTemp = '';
    await assert.rejects(
      writeAtomic(f, 'NEW=2\n', {
        mode: 0o600,
        platform: process.platform,
        hooks: {
          beforeRename(tmp) {
            sawTemp = readFileSync(tmp, 'utf8');
            throw new Error('simulated crash');
          },
        },
      }),
      /simulated crash/,
    );
    assert.equal(sawTemp, 'NEW=2\n', 'the temp file was fully written and synced before the rename');
    assert.equal(readFileSync(f, 'utf8'), 'ORIGINAL=1\n');
    assert.deepEqual(readdirSync(d), ['.env']);
  });

  test('a symlinked env file is updated through the link', { skip: !posix }, async () => {
    const d = dir();
    writeFileSync(join(d, 'real.env'), 'A=1\n');
    symlinkSync('real.env', join(d, '.env'));
    const target = await resolveTarget(join(d, '.env'));
    await writeAtomic(target, 'A=2\n', { mode: 0o600, platform: process.platform });
    assert.ok(lstatSync(join(d, '.env')).isSymbolicLink());
    assert.equal(readFileSync(join(d, '.env'), 'utf8'), 'A=2\n');
  });

  test('snapshot files: path beside the env file; damaged ones are usage errors naming the file', async () => {
    const d = dir();
    const f = join(d, '.env');
    assert.equal(snapshotPath(f), join(d, '.env.holy-snapshot.json'));
    assert.equal(await readSnapshot(snapshotPath(f), 'x'), undefined);
    writeFileSync(snapshotPath(f), '{not json');
    await assert.rejects(readSnapshot(snapshotPath(f), '.env.holy-snapshot.json'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /\.env\.holy-snapshot\.json is not valid JSON/.test(e.message));
  });
});
