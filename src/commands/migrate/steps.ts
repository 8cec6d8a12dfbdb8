/** The steps after the plan — verify, backup, write, restart, notify — each timed and recorded on the result. */
import type { Ctx } from '../../context.js';
import { Interrupted } from '../../errors.js';
import type { Out } from '../../ui/output.js';
import { envValues } from '../../core/envfile/parse.js';
import { encodeBytes } from '../../core/envfile/bytes.js';
import { OwnerError, backupFile, type Owner } from '../../adapters/envwriter.js';
import { postNotify } from '../../adapters/notify.js';
import { shortPath, type Prepared } from './prepare.js';
import type { MigrateOptions } from './options.js';
import { notifyText, safe, type Result, type Step, type StepName } from './render.js';
import { runRestart } from './restart.js';
import { ownerRefusal, writeOutput } from './apply.js';
import { verifyTarget } from './verify-step.js';

/** What the steps share: the plan, the result being filled in, and the values to redact. */
export interface StepCtx {
  ctx: Ctx;
  out: Out;
  o: MigrateOptions;
  p: Prepared;
  r: Result;
  keys: Array<string | undefined>;
  t0: number;
  /** Called once the file is written: the lock is released then, not after a long --restart. */
  written?(): Promise<void>;
}

/** Run `f` as step `name`: the step is recorded (status ok until the caller says otherwise) and timed. */
export async function timed<T>(s: StepCtx, name: StepName, f: () => Promise<T>): Promise<{ value: T; step: Step }> {
  const step: Step = { step: name, status: 'ok', ms: 0, detail: '' };
  s.r.steps.push(step);
  const start = s.ctx.clock();
  try {
    return { value: await f(), step };
  } finally {
    step.ms = s.ctx.clock() - start;
  }
}

/** --verify with exactly the key about to be written; false when it failed and the run must stop (exit 3). */
export async function verifyStep(s: StepCtx): Promise<boolean> {
  const { o, p, r } = s;
  if (p.placeholder) {
    r.steps.push({ step: 'verify', status: 'skipped', ms: 0, detail: `no ${p.target.name} key to verify` });
    return true;
  }
  const keyVar = p.vars.find((v) => v.role === 'key')?.name ?? 'OPENAI_API_KEY';
  const key = envValues(p.plan.after)[keyVar] ?? p.key;
  const spec = o.to?.includes('=') ? o.to : p.target.name;
  const { value: v, step } = await timed(s, 'verify', () => verifyTarget(s.ctx, p.g, spec, p.target.name, key, !!o.force));
  // Ctrl-C during verify: the checks were cut short, which is not a verdict on the key.
  if (s.ctx.signal.aborted) throw new Interrupted(`interrupted during verify; ${o.outLabel} was not changed.`);
  const why = v.failed.map((c) => `${c.check}: ${c.detail}`).join('; ');
  if (v.ok) step.detail = `${p.target.name} passed`;
  else if (o.force) Object.assign(step, { status: 'warn', detail: `failed (${why}); continuing because of --force` });
  else {
    Object.assign(step, { status: 'failed', detail: `failed: ${why}` });
    Object.assign(r, { ok: false, exitCode: 3, message: `verify failed for ${p.target.name}, so ${o.outLabel} was not changed; fix the cause above, or pass --force to write anyway.` });
    return false;
  }
  return true;
}

/** Back up the file about to be replaced (owned like it), or record that there was none. */
export async function backupStep(s: StepCtx, exists: boolean, owner: Owner | undefined): Promise<void> {
  if (!exists) {
    s.r.steps.push({ step: 'backup', status: 'skipped', ms: 0, detail: `${s.o.outLabel} did not exist` });
    return;
  }
  const { value: bak, step } = await timed(s, 'backup', () =>
    backupFile(s.o.outFile!, s.ctx.now(), s.ctx.platform, owner).catch((e: unknown) => {
      throw e instanceof OwnerError ? ownerRefusal(e, s.o.outLabel) : e;
    }),
  );
  s.r.backup = shortPath(s.ctx, bak);
  step.detail = s.r.backup;
}

/** Replace the output file (and write the snapshot); from here on the change is applied. */
export async function writeStep(s: StepCtx, content: string, mode: number, owner: Owner | undefined): Promise<void> {
  const { o, r } = s;
  const { value: w, step } = await timed(s, 'write', () =>
    writeOutput({ ctx: s.ctx, kind: o.kind, p: s.p, dotenv: o.format === 'dotenv', file: o.outFile!, label: o.outLabel, content: encodeBytes(content), mode, owner, backup: r.backup }),
  );
  await s.written?.();
  r.snapshot = w.snapshot;
  r.notes.push(...w.notes);
  r.applied = true;
  r.dryRun = false;
  const modeText = mode.toString(8);
  step.detail = `${o.outLabel} (mode ${modeText})${r.snapshot ? `; snapshot ${r.snapshot}` : ''}`;
  if (r.output) r.output.mode = modeText;
}

/** --restart: run the user's command; a failure is reported (exit 1), the change stays applied. */
export async function restartStep(s: StepCtx): Promise<void> {
  const { o, r } = s;
  const cmd = o.restart!;
  s.out.info(`running: ${cmd}`);
  const { value: rr, step } = await timed(s, 'restart', () => runRestart(s.ctx, cmd));
  const undo = `holy ${o.kind === 'migrate' ? 'rollback' : 'migrate'} --env-file ${s.p.label} --yes`;
  if (s.ctx.signal.aborted) throw new Interrupted(`interrupted during "${cmd}"; ${o.outLabel} stays applied (undo with ${undo}).`);
  if (rr.code === 0) {
    step.detail = `${cmd} exited 0`;
    return;
  }
  const how = rr.error ?? (rr.signal ? `was killed by ${rr.signal}` : `exited ${rr.code}`);
  Object.assign(step, { status: 'failed', detail: `${cmd} ${how}` });
  Object.assign(r, { ok: false, exitCode: 1, message: `the restart command "${cmd}" ${how}; ${o.outLabel} stays applied — fix the service, or undo with: ${undo}` });
}

/** --notify: POST the summary (no keys); a failed delivery is a warning, not a failed migrate. */
export async function notifyStep(s: StepCtx): Promise<void> {
  const { o, r, keys } = s;
  if (!o.notify) return;
  r.elapsedMs = s.ctx.clock() - s.t0;
  const body = { text: notifyText(r), holy: { ...r, steps: [...r.steps] } };
  const { value: n, step } = await timed(s, 'notify', () => postNotify(s.ctx, o.notify!, JSON.parse(safe(JSON.stringify(body), keys)), { keys: keys.filter((k): k is string => !!k) }));
  Object.assign(step, n.ok ? { detail: `HTTP ${n.status}` } : { status: 'warn', detail: `not delivered: ${n.error}` });
  if (!n.ok) s.out.warn(safe(`--notify: the summary was not delivered (${n.error}); the ${o.kind} itself is done.`, keys));
}
