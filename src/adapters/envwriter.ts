/** Writing env files safely: backup first, temp file in the same directory, fsync, rename; modes kept tight. */
import { open, rename, unlink, stat, copyFile, chmod, realpath } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { syncDir } from './atomic.js';

/** Test hook: runs after the temp file is written and synced, before the rename (a crash there must leave the original intact). */
export interface WriteHooks {
  beforeRename?(tmpPath: string): void | Promise<void>;
}

/** Where an existing file really lives (so a symlinked .env is updated, not replaced by a plain file). */
export async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** The file's permission bits, or undefined if it does not exist. */
export async function fileMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** "20261122T215248Z" for FILE.bak.<UTC timestamp>. */
export function backupStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Copy `path` to path.bak.<UTC timestamp> (mode 0600: it holds keys); a second backup in the same second gets "-2", "-3"… */
export async function backupFile(path: string, nowMs: number, platform: NodeJS.Platform): Promise<string> {
  const base = `${path}.bak.${backupStamp(nowMs)}`;
  for (let n = 1; ; n++) {
    const dest = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(path, dest, constants.COPYFILE_EXCL);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    if (platform !== 'win32') await chmod(dest, 0o600);
    return dest;
  }
}

/**
 * Replace `path` with `data` atomically: readers see the old file or the new one, never half of
 * either. The temp file sits in the same directory so rename(2) cannot cross filesystems.
 */
export async function writeAtomic(path: string, data: string, opts: { mode: number; platform: NodeJS.Platform; hooks?: WriteHooks }): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.holy-tmp-${randomBytes(6).toString('hex')}`);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx', opts.mode);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // open() applies the umask; set the exact mode the caller asked for.
    if (opts.platform !== 'win32') await chmod(tmp, opts.mode);
    await opts.hooks?.beforeRename?.(tmp);
    await rename(tmp, path);
    renamed = true;
    await syncDir(dir, opts.platform);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}
