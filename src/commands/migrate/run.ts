/** migrate/rollback: options → run (lock, plan, confirm, verify, backup, write, restart, notify; returns data) → render. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Ctx } from '../../context.js';
import { Interrupted, RuntimeError, SilentExit } from '../../errors.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import type { Invocation } from '../kit.js';
import { printEnv, envValues } from '../../core/envfile/parse.js';
import { decodeBytes } from '../../core/envfile/bytes.js';
import { renderFormat, k8sName } from '../../core/migrate/formats.js';
import { OwnerError, canGiveOwner, cleanStaleTemps, targetInfo, type TargetInfo } from '../../adapters/envwriter.js';
import { acquireLock } from '../../adapters/envlock.js';
import { PLACEHOLDER, prepare, shortPath } from './prepare.js';
import { parseMigrateOptions, type Kind, type MigrateFlags, type MigrateOptions } from './options.js';
import { formatVars, secretValues } from './vars.js';
import { maskChanges, renderMigrate, type Result } from './render.js';
import { askToWrite } from './prompt.js';
import { checkMode, hardLinkProblem, hooks, ownerRefusal } from './apply.js';
import { backupStep, notifyStep, restartStep, verifyStep, writeStep, type StepCtx } from './steps.js';

export { hooks };

export const migrateHandler = (inv: Invocation<MigrateFlags>) => handle('migrate', inv);
export const rollbackHandler = (inv: Invocation<MigrateFlags>) => handle('rollback', inv);

async function handle(kind: Kind, { ctx, out, g, opts }: Invocation<MigrateFlags>): Promise<void> {
  const o = await parseMigrateOptions(kind, opts, ctx, g);
  const done = await run(o, ctx, g, out, { confirm: (r, keys) => askToWrite(ctx, out, r, keys) });
  renderMigrate(out, done);
  if (done.result.exitCode !== 0) throw new SilentExit(done.result.exitCode);
}

/** What run decided, for the renderer: the result, which view to print, and the values to redact. */
export interface MigrateRun {
  result: Result;
  view: 'dry' | 'summary';
  keys: Array<string | undefined>;
}

/** The one interaction run needs: may it write? (the diff is shown by the caller's prompt). */
export interface MigrateUi {
  confirm(r: Result, keys: Array<string | undefined>): Promise<boolean>;
}

/** Everything but printing. Throws only usage/check errors found before writing, and Interrupted. */
export async function run(o: MigrateOptions, ctx: Ctx, g: GlobalOpts, out: Out, ui: MigrateUi): Promise<MigrateRun> {
  const t0 = ctx.clock();
  // Taken before the file is read, so a second holy plans from the first one's result, not from what it overwrote.
  const lock = o.willWrite
    ? await acquireLock(o.outFile!, { pid: ctx.pid ?? 0, alive: ctx.processAlive ?? (() => true), now: ctx.now, label: o.outLabel, waitMs: lockWaitMs(ctx), signal: ctx.signal })
    : undefined;
  try {
    const s = await plan(o, ctx, g, out, t0);
    s.written = lock?.release;
    if (lock?.tookOver) s.r.notes.push(`took over a stale lock from pid ${lock.tookOver.pid} (${lock.tookOver.startedAt}); that holy is no longer running.`);
    if (o.willWrite) {
      const gone = [...(await cleanStaleTemps(o.outFile!, ctx.processAlive ?? (() => true))), ...(await cleanStaleTemps(s.p.snapshotFile, ctx.processAlive ?? (() => true)))];
      if (gone.length) s.r.notes.push(`removed ${gone.length} temp file(s) a killed holy left behind: ${gone.map((f) => shortPath(ctx, f)).join(', ')}.`);
    }
    return await apply(s, ui);
  } finally {
    await lock?.release();
  }
}

/** HOLY_LOCK_WAIT_MS: how long a second holy waits for the first (default 3 s). */
function lockWaitMs(ctx: Ctx): number {
  const v = Number(ctx.env.HOLY_LOCK_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 3000;
}

interface Planned extends StepCtx {
  content: string;
  changed: boolean;
}

/** Read, plan and describe the change as a Result (nothing written yet). */
async function plan(o: MigrateOptions, ctx: Ctx, g: GlobalOpts, out: Out, t0: number): Promise<Planned> {
  const ps = ctx.clock();
  const p = await prepare(o.kind, o, ctx, g, out);
  const keys = [p.placeholder ? undefined : p.key, ...secretValues(p)];
  const content = o.format === 'dotenv' ? printEnv(p.plan.after) : renderFormat(o.format, formatVars(p), k8sName(basename(p.label)));
  // Editing in place: prepare already read this file (and planned from that text).
  const current = o.outFile === p.path ? p.text : o.outFile ? await readFile(o.outFile).then(decodeBytes, () => undefined) : undefined;
  const changed = current !== content;
  const r: Result = {
    command: o.kind,
    envFile: p.label,
    target: { name: p.target.name, baseURL: p.target.baseURL.trim() },
    keySource: p.keySource,
    dryRun: true,
    applied: false,
    changed,
    changes: maskChanges(p.plan.changes),
    notes: [...p.plan.notes],
    steps: [{ step: 'plan', status: 'ok', ms: ctx.clock() - ps, detail: `${p.plan.changes.length} change(s) to ${p.label} (key from ${p.keySource})` }],
    elapsedMs: 0,
    ok: true,
    exitCode: 0,
  };
  if (o.outFile && o.out) r.output = { file: o.outLabel, format: o.format };
  if (p.placeholder) {
    r.ok = false;
    r.exitCode = 3;
    r.message = `no ${p.target.name} key found (no snapshot, no --key-from-env, no --key-file, and ${p.target.apiKeyEnv ?? 'the key variable'} holds a key that does not belong to ${p.target.name}); the key line gets the placeholder ${PLACEHOLDER} — replace it with the real key, then restart the app.`;
  }
  return { ctx, out, o, p, r, keys, t0, content, changed };
}

/** Decide dry run or not, confirm, then run the steps; returns what to render. */
async function apply(s: Planned, ui: MigrateUi): Promise<MigrateRun> {
  const { ctx, o, p, r } = s;
  const finish = (view: MigrateRun['view']): MigrateRun => {
    r.elapsedMs = ctx.clock() - s.t0;
    return { result: r, view, keys: s.keys };
  };
  const holdsKey = p.vars.some((v) => v.role === 'key' && envValues(p.plan.after)[v.name]) || formatVars(p).some((v) => v.secret);
  const info = o.outFile ? await targetInfo(o.outFile) : undefined;
  if (!s.changed) {
    r.message ??= `nothing to change: ${o.outLabel} already has these values.`;
    if (!o.willWrite) return finish('dry');
    await notifyStep(s);
    return finish('summary');
  }
  if (!o.willWrite) return finish(dryRunNotes(s, info, holdsKey));
  const link = hardLinkProblem(info, o.outLabel);
  if (link) throw link;
  const owner = info ? { uid: info.uid, gid: info.gid } : undefined;
  if (owner && !(await canGiveOwner(o.outFile!, owner, { platform: ctx.platform, pid: ctx.pid }))) throw ownerRefusal(new OwnerError(owner, undefined), o.outLabel);
  const modeWarning = checkMode(ctx, info?.mode, holdsKey, o.outLabel, !!o.force);
  if (modeWarning) s.out.warn(modeWarning);
  if (!o.yes && !(await ui.confirm(r, s.keys))) throw new RuntimeError(`cancelled; ${o.outLabel} was not changed.`);
  if (o.verify && !(await verifyStep(s))) return finish('summary');
  // Ctrl-C before the write leaves everything as it was; once the rename happened it is applied.
  if (ctx.signal.aborted) throw new Interrupted(`interrupted; ${o.outLabel} was not changed.`);
  await backupStep(s, !!info, owner);
  await writeStep(s, s.content, info?.mode ?? 0o600, owner);
  if (o.restart) await restartStep(s);
  await notifyStep(s);
  return finish('summary');
}

/** A dry run: what applying would refuse or need, as notes; returns the view. */
function dryRunNotes(s: Planned, info: TargetInfo | undefined, holdsKey: boolean): 'dry' {
  const { ctx, o, p, r } = s;
  const link = hardLinkProblem(info, o.outLabel);
  if (link) r.notes.push(link.message.replace(/^refusing/, 'applying would refuse'));
  try {
    checkMode(ctx, info?.mode, holdsKey, o.outLabel, !!o.force);
  } catch (e) {
    r.notes.push(`${(e as Error).message.replace(/^refusing/, 'applying would refuse')} Run chmod 600 ${o.outLabel} first (or pass --force).`);
  }
  if (o.format !== 'dotenv') r.preview = renderFormat(o.format, formatVars(p, true), k8sName(basename(p.label)));
  const why = o.dryRun ? '' : !o.outFile ? ` (--format ${o.format} needs --out FILE to write)` : ' (stdin is not a terminal; add --yes to apply)';
  r.message ??= `dry run${why}: nothing was written.`;
  return 'dry';
}
