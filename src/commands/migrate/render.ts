/** How migrate/rollback show a plan (a masked diff) and a summary (steps, times); keys never appear unmasked. */
import { maskKey, redact } from '../../core/redact.js';
import type { Change } from '../../core/migrate/plan.js';
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import { PLACEHOLDER } from './prepare.js';

export type StepName = 'plan' | 'verify' | 'backup' | 'write' | 'restart' | 'notify';
export interface Step {
  step: StepName;
  status: 'ok' | 'failed' | 'warn' | 'skipped';
  ms: number;
  detail: string;
}

export interface MaskedChange {
  key: string;
  action: Change['action'];
  line: number;
  before?: string;
  after?: string;
}

export interface Result {
  command: 'migrate' | 'rollback';
  envFile: string;
  target: { name: string; baseURL: string };
  keySource: string;
  dryRun: boolean;
  applied: boolean;
  changed: boolean;
  changes: MaskedChange[];
  notes: string[];
  output?: { file: string; format: string; mode?: string };
  backup?: string;
  snapshot?: string;
  /** Masked preview of a non-dotenv output in a dry run. */
  preview?: string;
  steps: Step[];
  elapsedMs: number;
  ok: boolean;
  exitCode: number;
  message?: string;
}

/** A value as it may be shown: secrets masked, the placeholder as is. */
export function shown(value: string | undefined, secret: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (!secret || value === PLACEHOLDER) return visible(value);
  return maskKey(value);
}

/** A value from the env file as it may reach a terminal: control characters (escapes, line breaks) written as \u001b etc. */
function visible(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Changes in file order, added lines last. */
export function maskChanges(changes: Change[]): MaskedChange[] {
  const order = (c: Change) => (c.line === 0 ? Number.MAX_SAFE_INTEGER : c.line);
  return [...changes].sort((a, b) => order(a) - order(b)).map((c) => ({ key: c.key, action: c.action, line: c.line, before: shown(c.before, c.secret), after: shown(c.after, c.secret) }));
}

/** The plan as a unified-style diff of provider lines. */
export function diffLines(r: Pick<Result, 'envFile' | 'changes' | 'command' | 'target'>, c: Out['c']): string[] {
  const lines = [c.bold(`--- ${r.envFile}`), c.bold(`+++ ${r.envFile} (after holy ${r.command} --to ${r.target.name})`)];
  for (const ch of r.changes) {
    lines.push(c.cyan(ch.line ? `@@ line ${ch.line} @@` : '@@ end of file @@'));
    if (ch.before !== undefined) lines.push(c.red(`-${ch.key}=${ch.before}`));
    if (ch.after !== undefined) lines.push(c.green(`+${ch.key}=${ch.after}`));
  }
  return lines;
}

/** Everything printed goes through here, so a key that slipped into a message is still masked. */
export function safe(text: string, keys: Array<string | undefined>): string {
  return redact(text, keys);
}

/** Dry run: the diff on stdout (it is the result), notes on stderr. */
export function renderDryRun(out: Out, r: Result, keys: Array<string | undefined>): void {
  if (out.mode === 'json') return out.json(JSON.parse(safe(JSON.stringify(r), keys)));
  if (!r.changed) out.line(safe(r.message ?? `${r.envFile}: nothing to change.`, keys));
  else for (const l of diffLines(r, out.c)) out.line(safe(l, keys));
  if (r.preview) out.line(safe(r.preview.trimEnd(), keys));
  for (const n of r.notes) out.info(safe(`note: ${n}`, keys));
  if (r.message && r.changed) (r.ok ? out.info : out.warn)(safe(r.message, keys));
}

/** After applying (or deciding there is nothing to do): the steps and the total time. */
export function renderSummary(out: Out, r: Result, keys: Array<string | undefined>): void {
  if (out.mode === 'json') return out.json(JSON.parse(safe(JSON.stringify(r), keys)));
  if (!r.changed) return out.line(safe(r.message ?? `${r.envFile}: nothing to change.`, keys));
  printTable(
    out,
    [{ header: 'step' }, { header: 'status' }, { header: 'ms', align: 'right' }, { header: 'detail' }],
    r.steps.map((s) => [s.step, colourStatus(out, s.status), Math.round(s.ms), safe(s.detail, keys)]),
  );
  const verdict = r.ok ? out.c.green('done') : out.c.red('failed');
  out.line(safe(`${r.command} ${verdict}: ${r.envFile} → ${r.target.name} in ${Math.round(r.elapsedMs)} ms${r.backup ? `; backup ${r.backup}` : ''}`, keys));
  for (const n of r.notes) out.info(safe(`note: ${n}`, keys));
  if (r.message) (r.ok ? out.info : out.warn)(safe(r.message, keys));
}

function colourStatus(out: Out, s: Step['status']): string {
  return s === 'ok' ? out.c.green(s) : s === 'failed' ? out.c.red(s) : s === 'warn' ? out.c.yellow(s) : out.c.dim(s);
}

/** Print what run returned: the plan (dry run) or the steps (applied, or nothing to do). */
export function renderMigrate(out: Out, done: { result: Result; view: 'dry' | 'summary'; keys: Array<string | undefined> }): void {
  (done.view === 'dry' ? renderDryRun : renderSummary)(out, done.result, done.keys);
}

/** Slack-compatible one-paragraph text for --notify: no keys, no values of secret variables. */
export function notifyText(r: Result): string {
  const steps = r.steps.map((s) => `${s.step} ${s.status}`).join(', ');
  const what = r.changes.map((c) => `${c.key} ${c.action}`).join(', ') || 'no changes';
  return `holy ${r.command} ${r.ok ? 'succeeded' : 'FAILED'}: ${r.envFile} → ${r.target.name} (${r.target.baseURL}) in ${Math.round(r.elapsedMs)} ms. Changes: ${what}. Steps: ${steps}.`;
}
