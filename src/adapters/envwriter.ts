/**
 * Writing env files safely: backup first, temp file in the same directory (0600 from its first
 * byte, named after the writing process so a later run can prove it stale), fsync, owner and
 * mode of the file it replaces, rename; bytes as given.
 */
import { open, rename, unlink, stat, readFile, realpath, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { syncDir } from './atomic.js';

/** Test hook: runs after the temp file is written and synced, before the rename (a crash there must leave the original intact). */
export interface WriteHooks {
  /** After the content is written and synced, before the final mode is set (it is still 0600 here). */
  afterWrite?(tmpPath: string): void | Promise<void>;
  beforeRename?(tmpPath: string): void | Promise<void>;
}

/** Who owns a file: the new file gets the same, so the app can still read its config. */
export interface Owner {
  uid: number;
  gid: number;
}

export interface WriteOptions {
  /** Permission bits of the new file (applied once its content is complete; it is 0600 until then). */
  mode: number;
  platform: NodeJS.Platform;
  hooks?: WriteHooks;
  /** Give the new file this owner and group (the file it replaces keeps its owner). */
  owner?: Owner;
  /** The writing process, put in the temp file's name so cleanStaleTemps can tell it is dead. */
  pid?: number;
}

/** holy could not give the new file the old one's owner: nothing was replaced. */
export class OwnerError extends Error {
  constructor(readonly owner: Owner, cause: unknown) {
    super(`cannot give a file owner ${owner.uid}:${owner.gid}`, { cause });
  }
}

/** What holy needs to know about an existing file before replacing it. */
export interface TargetInfo extends Owner {
  mode: number;
  nlink: number;
}

/** Where an existing file really lives (so a symlinked .env is updated, not replaced by a plain file). */
export async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** Mode, owner and link count of the file, or undefined if it does not exist. */
export async function targetInfo(path: string): Promise<TargetInfo | undefined> {
  try {
    const s = await stat(path);
    return { mode: s.mode & 0o777, uid: s.uid, gid: s.gid, nlink: s.nlink };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The file's permission bits, or undefined if it does not exist. */
export async function fileMode(path: string): Promise<number | undefined> {
  return (await targetInfo(path))?.mode;
}

/** "20261122T215248Z" for FILE.bak.<UTC timestamp>. */
export function backupStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Create `file` exclusively with mode 0600 and write `data` to it, synced; owner set when asked. */
async function writeNew(file: string, data: string | Uint8Array, o: { owner?: Owner; platform: NodeJS.Platform; mode?: number; hooks?: WriteHooks }): Promise<void> {
  // 0600 from the first byte: open() creates it with that mode (the umask can only remove bits).
  const fh = await open(file, 'wx', 0o600);
  try {
    if (o.owner && o.platform !== 'win32') {
      try {
        await fh.chown(o.owner.uid, o.owner.gid);
      } catch (e) {
        throw new OwnerError(o.owner, e);
      }
    }
    await fh.writeFile(data);
    await fh.sync();
    await o.hooks?.afterWrite?.(file);
    if (o.mode !== undefined && o.platform !== 'win32') await fh.chmod(o.mode);
  } finally {
    await fh.close();
  }
}

/**
 * Copy `path` to path.bak.<UTC timestamp>, byte for byte, mode 0600 from the start (it holds
 * keys), owned like the original when `owner` is given; a second backup in the same second gets "-2", "-3"…
 */
export async function backupFile(path: string, nowMs: number, platform: NodeJS.Platform, owner?: Owner): Promise<string> {
  const data = await readFile(path);
  const base = `${path}.bak.${backupStamp(nowMs)}`;
  for (let n = 1; ; n++) {
    const dest = n === 1 ? base : `${base}-${n}`;
    try {
      await writeNew(dest, data, { platform, owner, mode: 0o600 });
      return dest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      if (e instanceof OwnerError) await unlink(dest).catch(() => undefined);
      throw e;
    }
  }
}

/**
 * Whether a new file beside `path` can be given `owner`: an empty temp file is created, chowned and
 * removed. Lets holy refuse before asking, verifying or backing up, rather than at the write.
 */
export async function canGiveOwner(path: string, owner: Owner, o: { platform: NodeJS.Platform; pid?: number }): Promise<boolean> {
  if (o.platform === 'win32') return true;
  const tmp = join(dirname(path), `.${basename(path)}.holy-tmp-${o.pid !== undefined ? `${o.pid}-` : ''}${randomBytes(6).toString('hex')}`);
  try {
    await writeNew(tmp, '', { owner, platform: o.platform });
    return true;
  } catch (e) {
    if (e instanceof OwnerError) return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** ".env" → the pattern of its temp files: `..env.holy-tmp-<pid>-<12 hex>`. */
function tempPattern(base: string): RegExp {
  return new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.holy-tmp-(\\d+)-[0-9a-f]{12}$`);
}

/**
 * Replace `path` with `data` atomically: readers see the old file or the new one, never half of
 * either. The temp file sits in the same directory so rename(2) cannot cross filesystems.
 */
export async function writeAtomic(path: string, data: string | Uint8Array, opts: WriteOptions): Promise<void> {
  const dir = dirname(path);
  const tag = opts.pid !== undefined ? `${opts.pid}-` : '';
  const tmp = join(dir, `.${basename(path)}.holy-tmp-${tag}${randomBytes(6).toString('hex')}`);
  let renamed = false;
  try {
    await writeNew(tmp, data, { owner: opts.owner, platform: opts.platform, mode: opts.mode, hooks: opts.hooks });
    await opts.hooks?.beforeRename?.(tmp);
    await rename(tmp, path);
    renamed = true;
    await syncDir(dir, opts.platform);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Remove temp files a killed holy left beside `path`: only names holy gives them, and only when
 * the process named in them is no longer alive (so a concurrent writer's file is never touched).
 */
export async function cleanStaleTemps(path: string, alive: (pid: number) => boolean): Promise<string[]> {
  const dir = dirname(path);
  const re = tempPattern(basename(path));
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    try {
      await unlink(join(dir, n));
      removed.push(join(dir, n));
    } catch {
      /* gone already, or not ours to remove: leave it */
    }
  }
  return removed;
}
