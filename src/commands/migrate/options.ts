/** migrate/rollback flags → validated options: every flag is checked here, before anything is read or written. */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { GlobalOpts } from '../../ui/output.js';
import { DEFAULT_VARS, parseVarSpec, type VarSpec } from '../../core/migrate/plan.js';
import type { Format } from '../../core/migrate/formats.js';
import { resolveTarget } from '../../adapters/envwriter.js';

export type Kind = 'migrate' | 'rollback';

/** The flags as commander fills them. */
export interface MigrateFlags {
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
/** Older name of MigrateFlags. */
export type MigrateOpts = MigrateFlags;

export interface MigrateOptions extends MigrateFlags {
  kind: Kind;
  /** Provider variables to edit: the defaults, then each --var. */
  vars: VarSpec[];
  /** The env file as the user named it, and where it really is (symlinks resolved). */
  envLabel: string;
  envPath: string;
  /** Where the output goes (undefined: nowhere, a non-dotenv preview), and how to name it. */
  outFile?: string;
  outLabel: string;
  /** Whether this run may write (not a dry run, and confirmed or able to ask). */
  willWrite: boolean;
}

function checkNotify(url: string): void {
  let u: URL | undefined;
  try {
    u = new URL(url.trim());
  } catch {
    /* reported below */
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    throw new UsageError(`--notify ${JSON.stringify(url)}: expected an http(s) URL such as https://hooks.slack.com/services/…; nothing was changed.`);
  }
}

/** --out must name a file in an existing directory. */
async function checkOut(ctx: Ctx, out: string): Promise<string> {
  const abs = resolve(ctx.cwd, out);
  const s = await stat(abs).catch(() => undefined);
  if (s?.isDirectory()) throw new UsageError(`--out ${out} is a directory; give a file path, e.g. --out ${join(out, 'relay.env')}.`);
  const d = await stat(dirname(abs)).catch(() => undefined);
  if (!d?.isDirectory()) throw new UsageError(`--out ${out}: directory ${dirname(out) || '.'} does not exist; create it first or choose another path.`);
  return resolveTarget(abs);
}

/** Validate every flag; throws a usage error naming the flag before anything is touched. */
export async function parseMigrateOptions(kind: Kind, f: MigrateFlags, ctx: Ctx, g: GlobalOpts): Promise<MigrateOptions> {
  if (f.apply && f.out) throw new UsageError('--apply writes the env file in place and --out writes elsewhere; give one of them.');
  if (f.apply && f.format !== 'dotenv') throw new UsageError(`--apply edits the dotenv file in place; --format ${f.format} needs --out FILE.`);
  if (f.to !== undefined && !f.to.trim()) throw new UsageError('--to needs a provider name (e.g. --to holysheep) or NAME=URL.');
  if (f.restart !== undefined && !f.restart.trim()) throw new UsageError('--restart needs a command, e.g. --restart "docker compose restart api".');
  if (f.notify !== undefined) checkNotify(f.notify);
  if (f.keyFromEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.keyFromEnv)) {
    throw new UsageError(`--key-from-env ${JSON.stringify(f.keyFromEnv)}: expected a variable name such as ORIGINAL_OPENAI_KEY.`);
  }
  const vars: VarSpec[] = [...DEFAULT_VARS];
  for (const spec of f.var ?? []) {
    const v = parseVarSpec(spec);
    if ('error' in v) throw new UsageError(v.error + '.');
    if (!vars.some((x) => x.name === v.name)) vars.push(v);
  }
  const envLabel = g.envFile ?? '.env';
  const envPath = await resolveTarget(resolve(ctx.cwd, envLabel));
  const outFile = f.out ? await checkOut(ctx, f.out) : f.format === 'dotenv' ? envPath : undefined;
  if (f.apply && !f.yes && !ctx.stdin.isTTY && !f.dryRun) {
    throw new UsageError(`refusing to write ${envLabel} without confirmation: stdin is not a terminal; add --yes (or --dry-run to only see the plan).`);
  }
  const willWrite = !f.dryRun && !!outFile && (!!f.yes || !!ctx.stdin.isTTY);
  return { ...f, kind, vars, envLabel, envPath, outFile, outLabel: f.out ?? envLabel, willWrite };
}
