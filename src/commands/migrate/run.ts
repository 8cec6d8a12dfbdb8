/** migrate/rollback: plan → (confirm) → verify → backup → write → restart → notify, each step timed. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Ctx } from '../../context.js';
import { Interrupted, RuntimeError, SilentExit, UsageError } from '../../errors.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import type { Invocation } from '../kit.js';
import { printEnv, envValues } from '../../core/envfile/parse.js';
import { renderFormat, k8sName, type FormatVar } from '../../core/migrate/formats.js';
import { isSecretName } from '../../core/migrate/plan.js';
import { backupFile, fileMode } from '../../adapters/envwriter.js';
import { postNotify } from '../../adapters/notify.js';
import { PLACEHOLDER, prepare, shortPath, type Kind, type MigrateOpts, type Prepared } from './prepare.js';
import { diffLines, maskChanges, notifyText, renderDryRun, renderSummary, safe, type Result, type Step } from './render.js';
import { runRestart } from './restart.js';
import { checkMode, hooks, writeOutput } from './apply.js';
import { verifyTarget } from './verify-step.js';

export const migrateHandler = (inv: Invocation<MigrateOpts>) => handle('migrate', inv);
export const rollbackHandler = (inv: Invocation<MigrateOpts>) => handle('rollback', inv);

async function handle(kind: Kind, { ctx, out, g, opts }: Invocation<MigrateOpts>): Promise<void> {
  const r = await run(kind, opts, ctx, g, out);
  if (r.exitCode !== 0) throw new SilentExit(r.exitCode);
}

export { hooks };

/** Run the whole operation and print it; returns the result (exitCode set) — throws only usage/check errors found before writing. */
export async function run(kind: Kind, opts: MigrateOpts, ctx: Ctx, g: GlobalOpts, out: Out): Promise<Result> {
  const t0 = ctx.clock();
  const steps: Step[] = [];
  // Times the step most recently pushed onto `steps`.
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const s = ctx.clock();
    try {
      return await f();
    } finally {
      steps.at(-1)!.ms = ctx.clock() - s;
    }
  };
  if (opts.apply && opts.out) throw new UsageError('--apply writes the env file in place and --out writes elsewhere; give one of them.');
  if (opts.apply && opts.format !== 'dotenv') throw new UsageError(`--apply edits the dotenv file in place; --format ${opts.format} needs --out FILE.`);

  const ps = ctx.clock();
  const p = await prepare(kind, opts, ctx, g, out);
  const keys = [p.placeholder ? undefined : p.key, ...secretValues(p)];
  const newText = printEnv(p.plan.after);
  const outFile = opts.out ? resolve(ctx.cwd, opts.out) : opts.format === 'dotenv' ? p.path : undefined;
  const outLabel = opts.out ?? p.label;
  const content = opts.format === 'dotenv' ? newText : renderFormat(opts.format, formatVars(p), k8sName(basename(p.label)));
  // Editing in place: prepare already read this file (and planned from that text).
  const current = outFile === p.path ? p.text : outFile ? await readFile(outFile, 'utf8').catch(() => undefined) : undefined;
  const changed = current !== content;
  steps.push({ step: 'plan', status: 'ok', ms: ctx.clock() - ps, detail: `${p.plan.changes.length} change(s) to ${p.label} (key from ${p.keySource})` });

  const r: Result = {
    command: kind,
    envFile: p.label,
    target: { name: p.target.name, baseURL: p.target.baseURL.trim() },
    keySource: p.keySource,
    dryRun: true,
    applied: false,
    changed,
    changes: maskChanges(p.plan.changes),
    notes: [...p.plan.notes],
    steps,
    elapsedMs: 0,
    ok: true,
    exitCode: 0,
  };
  if (outFile && opts.out) r.output = { file: outLabel, format: opts.format };
  const finish = (render: 'dry' | 'summary'): Result => {
    r.elapsedMs = ctx.clock() - t0;
    (render === 'dry' ? renderDryRun : renderSummary)(out, r, keys);
    return r;
  };
  if (p.placeholder) {
    r.ok = false;
    r.exitCode = 3;
    r.message = `no ${p.target.name} key found (no snapshot, no --key-from-env, no --key-file, and ${p.target.apiKeyEnv ?? 'the key variable'} holds a key that does not belong to ${p.target.name}); the key line gets the placeholder ${PLACEHOLDER} — replace it with the real key, then restart the app.`;
  }

  const holdsKey = p.vars.some((v) => v.role === 'key' && envValues(p.plan.after)[v.name]) || formatVars(p).some((v) => v.secret);
  const mode = outFile ? await fileMode(outFile) : undefined;

  // Non-dotenv formats cannot be edited in place: without --out they are a (masked) preview.
  const dryRun = !!opts.dryRun || !outFile || (!opts.yes && !ctx.stdin.isTTY);
  if (opts.apply && !opts.yes && !ctx.stdin.isTTY && !opts.dryRun) {
    throw new UsageError(`refusing to write ${p.label} without confirmation: stdin is not a terminal; add --yes (or --dry-run to only see the plan).`);
  }
  if (!changed) {
    r.message ??= `nothing to change: ${outLabel} already has these values.`;
    if (!dryRun) await notify();
    return finish(dryRun ? 'dry' : 'summary');
  }
  if (dryRun) {
    try {
      checkMode(ctx, mode, holdsKey, outLabel, !!opts.force);
    } catch (e) {
      r.notes.push(`${(e as Error).message.replace(/^refusing/, 'applying would refuse')} Run chmod 600 ${outLabel} first (or pass --force).`);
    }
    if (opts.format !== 'dotenv') r.preview = renderFormat(opts.format, formatVars(p, true), k8sName(basename(p.label)));
    const why = opts.dryRun ? '' : !outFile ? ` (--format ${opts.format} needs --out FILE to write)` : ' (stdin is not a terminal; add --yes to apply)';
    r.message ??= `dry run${why}: nothing was written.`;
    return finish('dry');
  }

  const modeWarning = checkMode(ctx, mode, holdsKey, outLabel, !!opts.force);
  if (modeWarning) out.warn(modeWarning);

  if (!opts.yes) {
    for (const l of diffLines(r, out.c)) ctx.stderr.write(safe(l, keys) + '\n');
    if (!(await confirm(ctx, `Write ${outLabel}? [y/N] `))) throw new RuntimeError(`cancelled; ${outLabel} was not changed.`);
  }

  if (opts.verify && p.placeholder) steps.push({ step: 'verify', status: 'skipped', ms: 0, detail: `no ${p.target.name} key to verify` });
  else if (opts.verify) {
    steps.push({ step: 'verify', status: 'ok', ms: 0, detail: '' });
    const v = await timed(() => verifyTarget(ctx, p.g, opts.to?.includes('=') ? opts.to : p.target.name, p.target.name, p.placeholder ? undefined : envValues(p.plan.after)[firstKeyVar(p)] ?? p.key, !!opts.force));
    const step = steps.at(-1)!;
    const why = v.failed.map((c) => `${c.check}: ${c.detail}`).join('; ');
    if (v.ok) step.detail = `${p.target.name} passed`;
    else if (opts.force) Object.assign(step, { status: 'warn', detail: `failed (${why}); continuing because of --force` });
    else {
      Object.assign(step, { status: 'failed', detail: `failed: ${why}` });
      r.ok = false;
      r.exitCode = 3;
      r.message = `verify failed for ${p.target.name}, so ${outLabel} was not changed; fix the cause above, or pass --force to write anyway.`;
      return finish('summary');
    }
  }

  // Ctrl-C before the write leaves everything as it was; once the rename happened it is applied.
  if (ctx.signal.aborted) throw new Interrupted(`interrupted; ${outLabel} was not changed.`);
  if (mode !== undefined) {
    steps.push({ step: 'backup', status: 'ok', ms: 0, detail: '' });
    const bak = await timed(() => backupFile(outFile!, ctx.now(), ctx.platform));
    r.backup = shortPath(ctx, bak);
    steps.at(-1)!.detail = r.backup;
  } else steps.push({ step: 'backup', status: 'skipped', ms: 0, detail: `${outLabel} did not exist` });

  steps.push({ step: 'write', status: 'ok', ms: 0, detail: '' });
  const w = await timed(() =>
    writeOutput({ ctx, kind, p, dotenv: opts.format === 'dotenv', file: outFile!, label: outLabel, content, mode: mode ?? 0o600, backup: r.backup }),
  );
  r.snapshot = w.snapshot;
  r.notes.push(...w.notes);
  r.applied = true;
  r.dryRun = false;
  const modeText = ((mode ?? 0o600) & 0o777).toString(8);
  steps.at(-1)!.detail = `${outLabel} (mode ${modeText})${r.snapshot ? `; snapshot ${r.snapshot}` : ''}`;
  if (r.output) r.output.mode = modeText;

  if (opts.restart) {
    steps.push({ step: 'restart', status: 'ok', ms: 0, detail: '' });
    out.info(`running: ${opts.restart}`);
    const rr = await timed(() => runRestart(ctx, opts.restart!));
    if (ctx.signal.aborted) throw new Interrupted(`interrupted during "${opts.restart}"; ${outLabel} stays applied (undo with holy ${kind === 'migrate' ? 'rollback' : 'migrate'} --env-file ${p.label} --yes).`);
    const step = steps.at(-1)!;
    if (rr.code === 0) step.detail = `${opts.restart} exited 0`;
    else {
      const how = rr.error ?? (rr.signal ? `was killed by ${rr.signal}` : `exited ${rr.code}`);
      Object.assign(step, { status: 'failed', detail: `${opts.restart} ${how}` });
      r.ok = false;
      r.exitCode = 1;
      r.message = `the restart command "${opts.restart}" ${how}; ${outLabel} stays applied — fix the service, or undo with: holy ${kind === 'migrate' ? 'rollback' : 'migrate'} --env-file ${p.label} --yes`;
    }
  }

  await notify();
  return finish('summary');

  async function notify(): Promise<void> {
    if (!opts.notify) return;
    steps.push({ step: 'notify', status: 'ok', ms: 0, detail: '' });
    r.elapsedMs = ctx.clock() - t0;
    const body = { text: notifyText(r), holy: { ...r, steps: r.steps.filter((s) => s.step !== 'notify') } };
    const n = await timed(() => postNotify(ctx, opts.notify!, JSON.parse(safe(JSON.stringify(body), keys)), { keys: keys.filter((k): k is string => !!k) }));
    Object.assign(steps.at(-1)!, n.ok ? { detail: `HTTP ${n.status}` } : { status: 'warn', detail: `not delivered: ${n.error}` });
    if (!n.ok) out.warn(safe(`--notify: the summary was not delivered (${n.error}); the ${kind} itself is done.`, keys));
    if (n.interrupted) r.exitCode = 130; // Ctrl-C is never "ok", even after the env file was written
  }
}

function firstKeyVar(p: Prepared): string {
  return p.vars.find((v) => v.role === 'key')?.name ?? 'OPENAI_API_KEY';
}

/** Values of secret variables in the file, before and after, for redaction of anything printed. */
function secretValues(p: Prepared): string[] {
  const vals = [envValues(p.file), envValues(p.plan.after)].flatMap((o) => Object.entries(o).filter(([k]) => isSecretName(k)).map(([, v]) => v));
  return vals.filter((v) => v.length >= 8 && v !== PLACEHOLDER);
}

/** Provider variables as the app would see them after the plan (for sh/k8s/compose). */
function formatVars(p: Prepared, masked = false): FormatVar[] {
  const vals = envValues(p.plan.after);
  return p.vars
    .filter((v) => vals[v.name] !== undefined)
    .map((v) => {
      const secret = v.role === 'key' || isSecretName(v.name);
      const value = vals[v.name]!;
      return { name: v.name, secret, value: masked && secret ? safe(value, [value]) : value };
    });
}

async function confirm(ctx: Ctx, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  try {
    const answer = await new Promise<string>((res) => {
      rl.question(question, res);
      rl.once('close', () => res(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

