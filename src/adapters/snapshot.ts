/** The migrate snapshot file beside the env file (FILE.holy-snapshot.json, mode 0600). */
import { readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { snapshotProblem, type Snapshot } from '../core/migrate/snapshot.js';
import { writeAtomic, type Owner, type WriteHooks } from './envwriter.js';

/** ".env" → ".env.holy-snapshot.json" in the same directory. */
export function snapshotPath(envFile: string): string {
  return join(dirname(envFile), `${basename(envFile)}.holy-snapshot.json`);
}

/** The snapshot, or undefined when there is none; a damaged one is a usage error naming the field. */
export async function readSnapshot(file: string, label: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`snapshot ${label} cannot be read (${(e as NodeJS.ErrnoException).code}); fix its permissions or move it away to roll back without it.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`snapshot ${label} is not valid JSON; restore it from a backup, or move it away to roll back without it.`);
  }
  const problem = snapshotProblem(parsed);
  if (problem) throw new UsageError(`snapshot ${label}: ${problem}; move it away to roll back without it.`);
  return parsed as Snapshot;
}

/** Write the snapshot atomically with mode 0600: it holds the pre-migration keys. */
export async function writeSnapshot(file: string, snap: Snapshot, platform: NodeJS.Platform, hooks?: WriteHooks, o: { owner?: Owner; pid?: number } = {}): Promise<void> {
  await writeAtomic(file, JSON.stringify(snap, null, 2) + '\n', { mode: 0o600, platform, hooks, owner: o.owner, pid: o.pid });
}

/** Remove a used snapshot (rollback done); a missing one is fine. */
export async function removeSnapshot(file: string): Promise<void> {
  await unlink(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
