/** Pre-migration snapshots: what each changed provider line was, byte for byte, so rollback can put it back. */
import { createHash } from 'node:crypto';
import { entriesOf, parseEnv, printEnv, type EnvEntry, type EnvFile } from '../envfile/parse.js';
import { appendEntry, cloneEnv, endsWithEol } from '../envfile/edit.js';
import { encodeBytes } from '../envfile/bytes.js';
import { isSecretName, type Change, type Plan } from './plan.js';

export interface SnapshotVar {
  key: string;
  /** It holds a key (a --var NAME=key need not look like one by name): mask it when rollback shows it. Absent in older snapshots. */
  secret?: boolean;
  /** The variable's assignments before migrating, exact text and line break; empty = it did not exist. */
  entries: Array<{ text: string; eol: string }>;
}

export interface Snapshot {
  kind: 'holy-migrate-snapshot';
  version: 1;
  createdAt: string;
  /** When a later migrate last added variables to it (absent until one does). */
  updatedAt?: string;
  envFile: string;
  to: string;
  /** Whether the original file ended with a line break (appending a line may have added one). */
  finalEol: boolean;
  /** sha256 of the file as migrate left it, to tell whether it was edited since. */
  afterSha256: string;
  vars: SnapshotVar[];
}

/** Hash of the file's bytes (the model's text encoded back exactly, escaped non-UTF-8 bytes included). */
export function sha256(text: string): string {
  return createHash('sha256').update(encodeBytes(text)).digest('hex');
}

/** The snapshot for a plan: the original assignments of every variable the plan changes. */
export function makeSnapshot(before: EnvFile, plan: Plan, meta: { createdAt: string; envFile: string; to: string }): Snapshot {
  const keys = [...new Set(plan.changes.map((c) => c.key))];
  const text = printEnv(before);
  return {
    kind: 'holy-migrate-snapshot',
    version: 1,
    ...meta,
    finalEol: endsWithEol(text),
    afterSha256: sha256(printEnv(plan.after)),
    vars: keys.map((key) => ({
      key,
      secret: plan.changes.some((c) => c.key === key && c.secret),
      entries: entriesOf(before, key).map((e) => ({ text: e.text, eol: e.eol })),
    })),
  };
}

/**
 * A later migrate on top of an existing snapshot: variables the snapshot already holds keep their
 * earliest original lines; variables only this run changes are added with their lines from before
 * this run. Rollback then restores every variable any migrate changed.
 */
export function mergeSnapshot(prev: Snapshot, before: EnvFile, plan: Plan, updatedAt: string): Snapshot {
  const fresh = makeSnapshot(before, plan, { createdAt: prev.createdAt, envFile: prev.envFile, to: prev.to });
  const known = new Set(prev.vars.map((v) => v.key));
  const added = fresh.vars.filter((v) => !known.has(v.key));
  return { ...prev, updatedAt, afterSha256: fresh.afterSha256, vars: [...prev.vars, ...added] };
}

/** Check a parsed snapshot file's shape; returns a message naming the bad field, or undefined. */
export function snapshotProblem(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'it is not a JSON object';
  const o = s as Record<string, unknown>;
  if (o.kind !== 'holy-migrate-snapshot') return 'field "kind" is not "holy-migrate-snapshot"';
  if (o.version !== 1) return `field "version" is ${JSON.stringify(o.version)}, expected 1`;
  if (typeof o.finalEol !== 'boolean') return 'field "finalEol" must be true or false';
  if (!Array.isArray(o.vars)) return 'field "vars" must be an array';
  for (const [i, v] of (o.vars as unknown[]).entries()) {
    const r = v as Record<string, unknown>;
    if (typeof r?.key !== 'string' || !Array.isArray(r.entries)) return `vars[${i}] needs "key" and "entries"`;
    if (r.secret !== undefined && typeof r.secret !== 'boolean') return `vars[${i}].secret must be true or false`;
    for (const e of r.entries as unknown[]) {
      const x = e as Record<string, unknown>;
      if (typeof x?.text !== 'string' || typeof x.eol !== 'string') return `vars[${i}].entries needs {"text","eol"} strings`;
    }
  }
  return undefined;
}

function entryFromText(text: string, eol: string): EnvEntry | undefined {
  const t = parseEnv(text).tokens.find((x): x is EnvEntry => x.kind === 'entry');
  return t ? { ...t, text, eol, line: 0 } : undefined;
}

/** Put each snapshotted variable back: original lines where they were, added ones removed. */
export function restorePlan(file: EnvFile, snap: Snapshot): Plan {
  const after = cloneEnv(file);
  const changes: Change[] = [];
  const notes: string[] = [];
  if (sha256(printEnv(file)) !== snap.afterSha256) {
    notes.push('the env file changed since migrate; only the provider lines recorded in the snapshot are restored, everything else is kept.');
  }
  for (const v of snap.vars) {
    const cur = entriesOf(after, v.key);
    const secret = v.secret === true || isSecretName(v.key);
    const n = Math.max(cur.length, v.entries.length);
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      const o = v.entries[i];
      if (c && o) {
        if (c.text === o.text && c.eol === o.eol) continue;
        const restored = entryFromText(o.text, o.eol) ?? { ...c, text: o.text, eol: o.eol };
        after.tokens[after.tokens.indexOf(c)] = { ...restored, line: c.line };
        if (c.value !== restored.value) changes.push({ key: v.key, action: 'restore', line: c.line, before: c.value, after: restored.value, secret });
      } else if (c) {
        after.tokens.splice(after.tokens.indexOf(c), 1);
        changes.push({ key: v.key, action: 'remove', line: c.line, before: c.value, secret });
      } else if (o) {
        const restored = entryFromText(o.text, o.eol);
        if (!restored) continue;
        appendEntry(after, restored);
        changes.push({ key: v.key, action: 'add', line: 0, after: restored.value, secret });
      }
    }
  }
  // Appending a line gave the file a final line break it did not have; take it away again.
  if (!snap.finalEol) {
    const last = after.tokens[after.tokens.length - 1];
    if (last?.kind === 'entry') last.eol = '';
    else if (last?.kind === 'raw') last.text = last.text.replace(/(\r\n|\n|\r)$/, '');
  }
  return { changes, after, notes };
}
