/** The write step: snapshot (migrate), atomic replace, used snapshot removed (rollback); a failed write leaves the original. */
import type { Ctx } from '../../context.js';
import { CheckFailed, RuntimeError } from '../../errors.js';
import { makeSnapshot } from '../../core/migrate/snapshot.js';
import { writeAtomic, type WriteHooks } from '../../adapters/envwriter.js';
import { removeSnapshot, writeSnapshot } from '../../adapters/snapshot.js';
import { shortPath, type Kind, type Prepared } from './prepare.js';

/** Test hook for the write step (inject a crash between temp write and rename). */
export const hooks: { write?: WriteHooks } = {};

/** Refuse to put a key into a file group/others can read; Windows has no such mode bits. */
export function checkMode(ctx: Ctx, mode: number | undefined, holdsKey: boolean, label: string, force: boolean): string | undefined {
  if (mode === undefined || ctx.platform === 'win32' || !holdsKey || (mode & 0o077) === 0) return undefined;
  const octal = mode.toString(8).padStart(4, '0');
  if (force) return `${label} stays mode ${octal} (readable by others) because of --force.`;
  throw new CheckFailed(`refusing to write a key into ${label}: its mode is ${octal}, so other users can read it.`, `run chmod 600 ${label} (or pass --force to keep its mode).`);
}

export interface WriteArgs {
  ctx: Ctx;
  kind: Kind;
  p: Prepared;
  dotenv: boolean;
  file: string;
  label: string;
  content: string;
  mode: number;
  backup?: string;
}

/** Write the output; returns the snapshot written (if any) and notes. */
export async function writeOutput(a: WriteArgs): Promise<{ snapshot?: string; notes: string[] }> {
  const { ctx, p } = a;
  const notes: string[] = [];
  let snapshot: string | undefined;
  // The snapshot goes first: if the env write then fails, we remove it; the other order could lose the originals.
  if (a.dotenv && a.kind === 'migrate' && !p.snapshot) {
    await writeSnapshot(p.snapshotFile, makeSnapshot(p.file, p.plan, { createdAt: new Date(ctx.now()).toISOString(), envFile: p.label, to: p.target.name }), ctx.platform);
    snapshot = shortPath(ctx, p.snapshotFile);
  } else if (a.dotenv && a.kind === 'migrate') {
    notes.push(`kept the existing snapshot from ${p.snapshot!.createdAt}, so rollback still restores the lines from before the first migrate.`);
  }
  try {
    await writeAtomic(a.file, a.content, { mode: a.mode, platform: ctx.platform, hooks: hooks.write });
  } catch (e) {
    if (snapshot) await removeSnapshot(p.snapshotFile).catch(() => undefined);
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new RuntimeError(`could not write ${a.label} (${why}); the original is unchanged.`, a.backup ? `a backup is at ${a.backup}.` : undefined, e);
  }
  if (a.dotenv && a.kind === 'rollback' && p.snapshot) await removeSnapshot(p.snapshotFile);
  return { snapshot, notes };
}
