/** The write step: snapshot (migrate), atomic replace, used snapshot removed (rollback); a failed write leaves the original. */
import type { Ctx } from '../../context.js';
import { CheckFailed, RuntimeError, UsageError } from '../../errors.js';
import { makeSnapshot, mergeSnapshot, type Snapshot } from '../../core/migrate/snapshot.js';
import { OwnerError, writeAtomic, type Owner, type TargetInfo, type WriteHooks } from '../../adapters/envwriter.js';
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

/**
 * A file with several hard links cannot be replaced by rename without detaching the other names
 * (they would keep the old content, keys included), and writing it in place could leave it torn
 * after a crash — so holy refuses it rather than weaken either guarantee.
 */
export function hardLinkProblem(info: TargetInfo | undefined, label: string): UsageError | undefined {
  if (!info || info.nlink <= 1) return undefined;
  return new UsageError(
    `refusing to replace ${label}: it has ${info.nlink} hard links, and replacing it would leave the other names with the old content, while writing in place could tear it on a crash; nothing was changed.`,
    `find the other names (find / -xdev -samefile ${label}), keep one real file and make the others symlinks to it, then run again.`,
  );
}

/** The refusal when holy cannot give the new file the old one's owner (not root, not the owner). */
export function ownerRefusal(e: OwnerError, label: string): UsageError {
  const { uid, gid } = e.owner;
  return new UsageError(
    `refusing to replace ${label}: it belongs to ${uid}:${gid}, and this user can neither keep that owner and group on a new file nor replace it without changing who owns it; nothing was changed.`,
    `run holy as the file's owner (e.g. sudo -u '#${uid}' holy …) or as root.`,
  );
}

export interface WriteArgs {
  ctx: Ctx;
  kind: Kind;
  p: Prepared;
  dotenv: boolean;
  file: string;
  label: string;
  content: Uint8Array;
  mode: number;
  owner?: Owner;
  backup?: string;
}

/** The snapshot this migrate leaves: a new one, or the existing one with any newly changed variables added. */
function nextSnapshot(ctx: Ctx, p: Prepared): { snap: Snapshot; note?: string } {
  const at = new Date(ctx.now()).toISOString();
  if (!p.snapshot) return { snap: makeSnapshot(p.file, p.plan, { createdAt: at, envFile: p.label, to: p.target.name }) };
  const snap = mergeSnapshot(p.snapshot, p.file, p.plan, at);
  const added = snap.vars.slice(p.snapshot.vars.length).map((v) => v.key);
  const note = added.length
    ? `added ${added.join(', ')} to the snapshot from ${p.snapshot.createdAt}; rollback restores every variable any migrate changed, each to its value from before the first change.`
    : `kept the existing snapshot from ${p.snapshot.createdAt}, so rollback still restores the lines from before the first migrate.`;
  return { snap, note };
}

/** Write the output; returns the snapshot written (if any) and notes. */
export async function writeOutput(a: WriteArgs): Promise<{ snapshot?: string; notes: string[] }> {
  const { ctx, p } = a;
  const notes: string[] = [];
  const wo = { platform: ctx.platform, owner: a.owner, pid: ctx.pid };
  let snapshot: string | undefined;
  // The snapshot goes first: if the env write then fails, we put the old one back; the other order could lose the originals.
  if (a.dotenv && a.kind === 'migrate') {
    const { snap, note } = nextSnapshot(ctx, p);
    await writeSnapshot(p.snapshotFile, snap, ctx.platform, undefined, wo);
    snapshot = shortPath(ctx, p.snapshotFile);
    if (note) notes.push(note);
  }
  try {
    await writeAtomic(a.file, a.content, { ...wo, mode: a.mode, hooks: hooks.write });
  } catch (e) {
    if (snapshot) await (p.snapshot ? writeSnapshot(p.snapshotFile, p.snapshot, ctx.platform, undefined, wo) : removeSnapshot(p.snapshotFile)).catch(() => undefined);
    if (e instanceof OwnerError) throw ownerRefusal(e, a.label);
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new RuntimeError(`could not write ${a.label} (${why}); the original is unchanged.`, a.backup ? `a backup is at ${a.backup}.` : undefined, e);
  }
  if (a.dotenv && a.kind === 'rollback' && p.snapshot) await removeSnapshot(p.snapshotFile);
  return { snapshot, notes };
}
