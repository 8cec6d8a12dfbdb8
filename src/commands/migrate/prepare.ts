/** Read the env file, the profiles and the keys, and compute the plan: everything before anything is written. */
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { CheckFailed, UsageError } from '../../errors.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { loadProviders, type Providers } from '../../adapters/profiles.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { checkKeyHost, keyHygiene, refuseControlInKey } from '../../core/keys.js';
import { parseEnv, entriesOf, type EnvFile } from '../../core/envfile/parse.js';
import { computePlan, DEFAULT_VARS, parseVarSpec, sameEndpoint, type Plan, type VarSpec } from '../../core/migrate/plan.js';
import { restorePlan, type Snapshot } from '../../core/migrate/snapshot.js';
import type { Format } from '../../core/migrate/formats.js';
import { readSnapshot, snapshotPath } from '../../adapters/snapshot.js';
import { resolveTarget } from '../../adapters/envwriter.js';
import { ownValue } from '../../core/env.js';

export type Kind = 'migrate' | 'rollback';

export interface MigrateOpts {
  to?: string;
  var?: string[];
  dryRun?: boolean;
  yes?: boolean;
  apply?: boolean;
  out?: string;
  format: Format;
  force?: boolean;
  verify?: boolean;
  restart?: string;
  notify?: string;
  keyFromEnv?: string;
}

/** Written for an OpenAI key rollback could not find; obviously not a key, and easy to grep for. */
export const PLACEHOLDER = '__HOLY_PLACEHOLDER_SET_YOUR_OPENAI_KEY__';

export interface Prepared {
  kind: Kind;
  /** As the user named it, for messages. */
  label: string;
  /** Where the env file really is (symlinks resolved). */
  path: string;
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

/** Everything read and decided; throws usage/check errors before any write. */
export async function prepare(kind: Kind, opts: MigrateOpts, ctx: Ctx, g0: GlobalOpts, out: Out): Promise<Prepared> {
  const label = g0.envFile ?? '.env';
  const abs = resolve(ctx.cwd, label);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`env file ${label} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; pass the app's dotenv file with --env-file PATH.`);
  }
  const g: GlobalOpts = { ...g0, envFile: label };
  const toName = opts.to ?? undefined;
  // rollback's --key-file may be a bare PATH: it is the key of the provider we roll back to.
  if (kind === 'rollback') g.keyFile = (g.keyFile ?? []).map((s) => (/^[A-Za-z0-9_.-]+=/.test(s) ? s : `${toName ?? 'official'}=${s}`));
  const providers = await loadProviders(ctx, g);
  const target = pickProfile(providers, toName ?? (kind === 'migrate' ? providers.new : 'official'), '--to');
  const vars: VarSpec[] = [...DEFAULT_VARS];
  for (const spec of opts.var ?? []) {
    const v = parseVarSpec(spec);
    if ('error' in v) throw new UsageError(v.error + '.');
    if (!vars.some((x) => x.name === v.name)) vars.push(v);
  }
  const file = parseEnv(text);
  const path = await resolveTarget(abs);
  const snapshotFile = snapshotPath(opts.out && opts.format === 'dotenv' ? resolve(ctx.cwd, opts.out) : path);
  const snapshot = await readSnapshot(snapshotFile, shortPath(ctx, snapshotFile));
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
  return rel && !rel.startsWith('..') ? rel : file;
}

function cleanKey(raw: string, source: string, out: Out): string {
  const h = keyHygiene(raw);
  refuseControlInKey(h.cleaned, source);
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
async function rollbackKey(opts: MigrateOpts, ctx: Ctx, providers: Providers, target: Profile, baseURL: string, out: Out): Promise<{ key?: string; source: string; explicit: boolean }> {
  if (opts.keyFromEnv) {
    const v = ownValue(ctx.env, opts.keyFromEnv) ?? providers.variable(opts.keyFromEnv)?.value;
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
  const fromEnv = envName ? ownValue(ctx.env, envName) : undefined;
  if (usable(fromEnv)) return { key: cleanKey(fromEnv!, `env ${envName}`, out), source: `env ${envName}`, explicit: false };
  return { source: 'none', explicit: false };
}
