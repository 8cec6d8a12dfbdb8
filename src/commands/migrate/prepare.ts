/** Read the env file, the profiles and the keys, and compute the plan: everything before anything is written. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { Ctx } from '../../context.js';
import { CheckFailed, UsageError } from '../../errors.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { loadProviders, type Providers } from '../../adapters/profiles.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { checkKeyHost, keyHygiene } from '../../core/keys.js';
import { parseEnv, entriesOf, type EnvFile } from '../../core/envfile/parse.js';
import { decodeBytes, hasEscapedBytes } from '../../core/envfile/bytes.js';
import { formatProblem } from '../../core/envfile/sniff.js';
import { computePlan, sameEndpoint, type Plan, type VarSpec } from '../../core/migrate/plan.js';
import { restorePlan, type Snapshot } from '../../core/migrate/snapshot.js';
import { readSnapshot, snapshotPath } from '../../adapters/snapshot.js';
import type { Kind, MigrateOptions } from './options.js';

export type { Kind, MigrateOpts } from './options.js';

/** Written for an OpenAI key rollback could not find; obviously not a key, and easy to grep for. */
export const PLACEHOLDER = '__HOLY_PLACEHOLDER_SET_YOUR_OPENAI_KEY__';

export interface Prepared {
  kind: Kind;
  /** As the user named it, for messages. */
  label: string;
  /** Where the env file really is (symlinks resolved). */
  path: string;
  /** The file as text: valid UTF-8 decoded, any other byte escaped (core/envfile/bytes), so it prints back to the same bytes. */
  text: string;
  file: EnvFile;
  g: GlobalOpts;
  providers: Providers;
  target: Profile;
  vars: VarSpec[];
  plan: Plan;
  /** The key written into key variables (undefined: left as they are). */
  key?: string;
  keySource: string;
  placeholder: boolean;
  snapshot?: Snapshot;
  snapshotFile: string;
}

/** The env file's text; refused untouched (exit 2) when it is not a text dotenv file holy can edit safely. */
async function readEnvFile(label: string, path: string, fragment: boolean): Promise<{ text: string; file: EnvFile; missing?: boolean }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A compose/k8s/sh fragment needs no env file (unless one was named): the values can all come from the environment.
    if (code === 'ENOENT' && fragment) return { text: '', file: parseEnv(''), missing: true };
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'is not readable by this user' : `cannot be read (${code})`;
    throw new UsageError(`env file ${label} ${why}; pass the app's dotenv file with --env-file PATH.`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('latin1').split(/\r\n|\r|\n/).length;
    throw new UsageError(`env file ${label} holds a NUL byte (line ${line}), so it is not a text dotenv file; holy changed nothing.`, 'check that --env-file names the dotenv file the app loads (UTF-16 files must be re-saved as UTF-8).');
  }
  const text = decodeBytes(bytes);
  const file = parseEnv(text);
  const bad = formatProblem(file);
  if (bad) {
    const what = bad.looksLike === 'unknown' ? 'holy is not sure it is a dotenv file' : `it looks like ${bad.looksLike}, not dotenv`;
    throw new UsageError(
      `${label} line ${bad.line}: ${bad.why}, so ${what}; holy changed nothing.`,
      `${bad.looksLike === 'unknown' ? 'fix or comment out that line; or, ' : ''}for docker-compose or Kubernetes, run holy migrate --format compose|k8s --out FILE (with --env-file naming a dotenv file, or none) and paste the fragment it writes.`,
    );
  }
  return { text, file };
}

/** Refuse to edit an assignment holy cannot read exactly: bytes that are not UTF-8 in a provider line. */
function checkEditable(file: EnvFile, names: string[], label: string): void {
  for (const n of names) {
    const e = entriesOf(file, n).find((x) => hasEscapedBytes(x.text));
    if (e) throw new UsageError(`${label} line ${e.line} (${n}) holds bytes that are not UTF-8, so holy cannot edit it safely; nothing was changed.`, `re-save that line as UTF-8 (e.g. iconv -f latin1 -t utf-8), then run again.`);
  }
}

/** Everything read and decided; throws usage/check errors before any write. */
export async function prepare(kind: Kind, opts: MigrateOptions, ctx: Ctx, g0: GlobalOpts, out: Out): Promise<Prepared> {
  const label = opts.envLabel;
  const path = opts.envPath;
  const { text, file, missing } = await readEnvFile(label, path, opts.format !== 'dotenv' && !g0.envFile);
  const g: GlobalOpts = { ...g0, envFile: missing ? undefined : label };
  const toName = opts.to ?? undefined;
  // rollback's --key-file may be a bare PATH: it is the key of the provider we roll back to.
  if (kind === 'rollback') g.keyFile = (g.keyFile ?? []).map((s) => (/^[A-Za-z0-9_.-]+=/.test(s) ? s : `${toName ?? 'official'}=${s}`));
  const providers = await loadProviders(ctx, g);
  const target = pickProfile(providers, toName ?? (kind === 'migrate' ? providers.new : 'official'), '--to');
  const vars: VarSpec[] = opts.vars;
  const snapshotFile = snapshotPath(opts.out && opts.format === 'dotenv' ? opts.outFile! : path);
  const snapshot = await readSnapshot(snapshotFile, shortPath(ctx, snapshotFile));
  checkEditable(file, [...vars.map((v) => v.name), ...(kind === 'rollback' && snapshot ? snapshot.vars.map((v) => v.key) : [])], label);
  const baseURL = target.baseURL.trim();
  const base = { kind, label, path, text, file, g, providers, target, vars, snapshot, snapshotFile };

  if (kind === 'rollback' && snapshot) {
    if (opts.keyFromEnv || (g0.keyFile ?? []).length) out.warn('restoring from the migrate snapshot; --key-from-env/--key-file are not needed and were ignored.');
    return { ...base, plan: restorePlan(file, snapshot), keySource: 'snapshot', placeholder: false };
  }

  if (kind === 'migrate') {
    const k = await providers.key(target);
    if (k.raw === undefined || k.raw.trim() === '') {
      throw new CheckFailed(
        `no key for ${target.name}: ${k.source} is not set in ${label} or the environment, so there is nothing to point the app at.`,
        `set ${target.apiKeyEnv ?? 'the key variable'} in ${label} or the environment, or pass --key-file ${target.name}=PATH.`,
      );
    }
    const key = cleanKey(k.raw, k.source, out);
    guardKeyHost(key, baseURL, target, k.source, opts.force, out);
    const plan = computePlan(file, { baseURL, key, addMissing: true }, vars);
    return { ...base, plan, key, keySource: k.source, placeholder: false };
  }

  // rollback without a snapshot: URL lines that exist go back; the key comes from the first usable source.
  const keyVars = vars.filter((v) => v.role === 'key');
  const hasKeyLine = keyVars.some((v) => entriesOf(file, v.name).length > 0);
  const found = await rollbackKey(opts, ctx, providers, target, baseURL, out);
  if (found.explicit || found.key) guardKeyHost(found.key!, baseURL, target, found.source, opts.force, out);
  const placeholder = !found.key && hasKeyLine;
  const key = found.key ?? (placeholder ? PLACEHOLDER : undefined);
  // Without a snapshot, lines that already serve the target stay as they are, so a second rollback is a no-op.
  const keep = (role: 'url' | 'key', cur: string) =>
    role === 'url' ? sameEndpoint(cur, baseURL) : !found.explicit && cur.trim() !== '' && cur !== PLACEHOLDER && checkKeyHost(keyHygiene(cur).cleaned, baseURL, target.keyPatterns).ok;
  const plan = computePlan(file, { baseURL, key, addMissing: false, addKey: found.explicit, keep }, vars);
  return { ...base, plan, key, keySource: placeholder ? 'placeholder' : found.source, placeholder };
}

/** A path as the user would write it: relative below the working directory, absolute elsewhere. */
export function shortPath(ctx: Ctx, file: string): string {
  const rel = relative(ctx.cwd, file);
  // "..env.holy-tmp-…" is below the working directory; "../x" and ".." are not.
  return rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : file;
}

function cleanKey(raw: string, source: string, out: Out): string {
  const h = keyHygiene(raw);
  for (const i of h.issues) out.warn(`${source}: ${i.message}; holy writes it without that.`);
  return h.cleaned;
}

function guardKeyHost(key: string, baseURL: string, target: Profile, source: string, force: boolean | undefined, out: Out): void {
  const v = checkKeyHost(key, baseURL, target.keyPatterns);
  if (v.ok) return;
  if (force) return out.warn(`${v.reason} (${source}); writing it anyway because of --force.`);
  throw new CheckFailed(`refusing to write the key from ${source}: ${v.reason}.`, `${v.fix}.`);
}

/** --key-from-env, then --key-file / the profile's key, then the process env; the env file's current (relay) key does not count. */
async function rollbackKey(opts: MigrateOptions, ctx: Ctx, providers: Providers, target: Profile, baseURL: string, out: Out): Promise<{ key?: string; source: string; explicit: boolean }> {
  if (opts.keyFromEnv) {
    const v = ctx.env[opts.keyFromEnv] ?? providers.variable(opts.keyFromEnv)?.value;
    if (!v || !v.trim()) throw new UsageError(`--key-from-env ${opts.keyFromEnv}: that variable is not set in the environment or the env file; export it, or use --key-file PATH.`);
    return { key: cleanKey(v, `env ${opts.keyFromEnv}`, out), source: `env ${opts.keyFromEnv}`, explicit: true };
  }
  const k = await providers.key(target);
  const explicit = k.source === 'stdin' || k.source.startsWith('file ');
  const usable = (raw: string | undefined) => raw !== undefined && raw.trim() !== '' && checkKeyHost(keyHygiene(raw).cleaned, baseURL, target.keyPatterns).ok;
  if (explicit) {
    if (!k.raw || !k.raw.trim()) throw new UsageError(`${k.source} is empty; put the ${target.name} key in it.`);
    return { key: cleanKey(k.raw, k.source, out), source: k.source, explicit: true };
  }
  if (usable(k.raw)) return { key: cleanKey(k.raw!, k.source, out), source: k.source, explicit: false };
  const envName = target.apiKeyEnv;
  const fromEnv = envName ? ctx.env[envName] : undefined;
  if (usable(fromEnv)) return { key: cleanKey(fromEnv!, `env ${envName}`, out), source: `env ${envName}`, explicit: false };
  return { source: 'none', explicit: false };
}
