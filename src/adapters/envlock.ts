/**
 * One holy at a time per env file: an exclusive lock file FILE.holy-lock beside it, created with
 * O_EXCL (atomic on every local filesystem), holding who took it. A lock whose process is gone
 * (same host) or that is older than STALE_MS is stale and taken over.
 */
import { open, readFile, rename, unlink, link, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Interrupted, RuntimeError, UsageError } from '../errors.js';
import { dirname } from 'node:path';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface LockOptions {
  pid: number;
  alive(pid: number): boolean;
  now(): number;
  /** How long to wait for another holy to finish (ms). */
  waitMs?: number;
  /** For messages. */
  label: string;
  /** Ctrl-C while waiting for another holy: stop waiting (exit 130). */
  signal?: AbortSignal;
}

export interface Lock {
  file: string;
  /** A stale lock that was taken over, for a note. */
  tookOver?: LockHolder;
  /** Remove the lock; later calls do nothing. */
  release(): Promise<void>;
}

/** Longer than any migrate (verify timeouts, a restart command) should take. */
export const STALE_MS = 60 * 60 * 1000;
const POLL_MS = 100;

export function lockPath(target: string): string {
  return `${target}.holy-lock`;
}

async function readHolder(file: string): Promise<{ text: string; holder?: LockHolder; mtimeMs: number } | undefined> {
  try {
    const [text, s] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let holder: LockHolder | undefined;
    try {
      const o = JSON.parse(text) as LockHolder;
      if (Number.isInteger(o.pid) && typeof o.host === 'string') holder = o;
    } catch {
      /* being written right now, or damaged: judged by age alone */
    }
    return { text, holder, mtimeMs: s.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function isStale(h: { holder?: LockHolder; mtimeMs: number }, o: LockOptions): boolean {
  if (o.now() - h.mtimeMs > STALE_MS) return true;
  return !!h.holder && h.holder.host === hostname() && h.holder.pid !== o.pid && !o.alive(h.holder.pid);
}

/** Move a stale lock aside; if it turned out to be a fresh one (a race), put it back. */
async function breakStale(file: string, seen: string): Promise<boolean> {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return false;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== seen) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return moved === seen;
}

/** Take the lock for `target`, waiting up to waitMs for another holy; fails with "another holy is editing FILE". */
export async function acquireLock(target: string, o: LockOptions): Promise<Lock> {
  const file = lockPath(target);
  const me: LockHolder = { pid: o.pid, host: hostname(), startedAt: new Date(o.now()).toISOString() };
  const deadline = o.now() + (o.waitMs ?? 3000);
  let tookOver: LockHolder | undefined;
  for (;;) {
    try {
      const fh = await open(file, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(me) + '\n');
      } finally {
        await fh.close();
      }
      // Once only: after an early release another holy may hold a lock of the same name.
      let held = true;
      const release = async () => {
        if (!held) return;
        held = false;
        await unlink(file).catch(() => undefined);
      };
      return { file, tookOver, release };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new UsageError(`cannot write in ${dirname(file)} (${code}), where holy puts its lock, temp file and backup beside ${o.label}; nothing was changed.`, 'run holy as a user who may write in that directory (the owner of the env file, or root).');
      }
      if (code !== 'EEXIST') throw new RuntimeError(`cannot create the lock ${file} (${code}); nothing was changed.`, undefined, e);
    }
    const h = await readHolder(file);
    if (h && isStale(h, o)) {
      if (await breakStale(file, h.text)) tookOver = h.holder ?? { pid: 0, host: '?', startedAt: new Date(h.mtimeMs).toISOString() };
      continue;
    }
    if (o.now() >= deadline) {
      const who = h?.holder ? ` (pid ${h.holder.pid} on ${h.holder.host}, since ${h.holder.startedAt})` : '';
      throw new RuntimeError(
        `another holy is editing ${o.label}${who}; nothing was changed.`,
        `wait for it to finish and run again; if no holy is running, remove ${file}.`,
      );
    }
    if (o.signal?.aborted) throw new Interrupted(`interrupted while waiting for another holy to finish with ${o.label}; nothing was changed.`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
