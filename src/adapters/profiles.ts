/** Reading provider profiles and keys from the world: config file, env file, env vars, key files, stdin. */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve, relative } from 'node:path';
import type { Ctx } from '../context.js';
import { UsageError } from '../errors.js';
import type { GlobalOpts } from '../options.js';
import { applyConfig, builtinProfiles, type Profile, type ProfileSet } from '../core/profiles.js';
import { closest } from '../core/suggest.js';

interface Variable {
  value: string;
  /** e.g. "env OPENAI_API_KEY" or ".env OPENAI_API_KEY". */
  source: string;
}

/** A key as found, before any hygiene: `raw` may carry whitespace or quotes — verify reports that. */
export interface KeyInfo {
  raw: string | undefined;
  source: string;
}

export interface Providers extends ProfileSet {
  /** A variable from --env-file (which wins: it was named explicitly) or the process env. */
  variable(name: string): Variable | undefined;
  /** The key for a profile, from --key-file, its apiKeyFile, the env file or the process env. */
  key(p: Profile): Promise<KeyInfo>;
}

function display(ctx: Ctx, file: string): string {
  const rel = relative(ctx.cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

async function readText(ctx: Ctx, file: string, what: string, fix: string): Promise<string> {
  try {
    return await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    throw new UsageError(`${what} ${file} ${why}; ${fix}.`);
  }
}

// Stdin can be read only once, yet several loadProviders calls may want it (holy tour: verify, then bench).
// Cached per stream, not per module: another Ctx (another run in the same process) must not get this key.
const stdinText = new WeakMap<Ctx['stdin'], Promise<string>>();
async function readStdin(ctx: Ctx): Promise<string> {
  if (ctx.stdin.isTTY) throw new UsageError('a key was to be read from stdin ("-"), but stdin is a terminal; pipe it in, e.g. `pass show relay | holy verify --key-file holysheep=-`.');
  let text = stdinText.get(ctx.stdin);
  if (!text) {
    text = (async () => {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      return Buffer.concat(chunks).toString('utf8');
    })();
    stdinText.set(ctx.stdin, text);
  }
  return text;
}

/**
 * A key piped in on stdin ("-"), less exactly one trailing newline: `echo KEY |` always adds one,
 * so it is no hygiene problem; anything else (a second newline, spaces) is kept for the checks to name.
 */
export async function readStdinKey(ctx: Ctx): Promise<string> {
  return (await readStdin(ctx)).replace(/\r?\n$/, '');
}

/** Provider names given as NAME=URL in any flag of this run (--provider, --old, --judge, …): ad-hoc providers to be. */
function adHocNames(g: GlobalOpts): Set<string> {
  const names = new Set<string>();
  for (const v of Object.values(g as Record<string, unknown>)) {
    for (const s of Array.isArray(v) ? v : [v]) {
      const m = typeof s === 'string' ? /^([A-Za-z0-9_.-]+)=https?:\/\//i.exec(s.trim()) : null;
      if (m) names.add(m[1]!);
    }
  }
  return names;
}

/** Load profiles for this invocation: built-ins, then the config file, with env-file variables. */
export async function loadProviders(ctx: Ctx, g: GlobalOpts): Promise<Providers> {
  let envVars: Record<string, string> = {};
  let envLabel = '';
  if (g.envFile) {
    envLabel = display(ctx, g.envFile);
    // dotenv is loaded only when an env file is named: most runs never need it, and startup time counts.
    // (In the esbuild bundle a lazily imported CommonJS module keeps only its default export.)
    const dotenv = await import('dotenv');
    const parseDotenv = dotenv.parse ?? (dotenv as unknown as { default: typeof dotenv }).default.parse;
    envVars = parseDotenv(await readText(ctx, g.envFile, 'env file', 'pass the path of your dotenv file with --env-file'));
  }
  const variable = (name: string): Variable | undefined => {
    if (Object.hasOwn(envVars, name)) return { value: envVars[name]!, source: `${envLabel} ${name}` };
    const v = ctx.env[name];
    return v === undefined || v === '' ? undefined : { value: v, source: `env ${name}` };
  };

  const base = builtinProfiles(variable);
  let set: ProfileSet = { providers: new Map(base.map((p) => [p.name, p])), old: 'official', new: 'holysheep' };
  const cfgPath = g.config ?? (existsSync(resolve(ctx.cwd, 'holy.config.json')) ? 'holy.config.json' : undefined);
  if (cfgPath) {
    const label = display(ctx, cfgPath);
    const text = await readText(ctx, cfgPath, 'config file', 'fix the --config path or remove the flag');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${label} is not valid JSON (${(e as Error).message}); fix the file or point --config elsewhere.`);
    }
    set = applyConfig(base, parsed, label);
  }

  const keyFiles = new Map<string, string>();
  for (const spec of g.keyFile ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
    if (!m) throw new UsageError(`--key-file ${JSON.stringify(spec)}: expected PROVIDER=PATH (PATH "-" reads stdin), e.g. --key-file holysheep=~/.config/holysheep.key.`);
    keyFiles.set(m[1]!, m[2]!);
  }
  const adHoc = adHocNames(g);
  for (const [name, path] of keyFiles) {
    if (set.providers.has(name) || adHoc.has(name)) continue;
    const known = [...set.providers.keys()];
    const near = closest(name, known);
    throw new UsageError(
      `--key-file ${name}=${path}: there is no provider named ${name} (known: ${known.join(', ')})${near ? `; did you mean ${near}?` : ''}`,
      `name a provider from holy.config.json or a built-in one, or one this command gets as NAME=URL (e.g. --provider ${name}=http://127.0.0.1:8000/v1).`,
    );
  }

  const key = async (p: Profile): Promise<KeyInfo> => {
    const file = keyFiles.get(p.name) ?? p.apiKeyFile;
    if (file) {
      if (file === '-') return { raw: await readStdinKey(ctx), source: 'stdin' };
      // A key file conventionally ends with a newline; that one newline is not a hygiene problem.
      const text = await readText(ctx, file, `key file for ${p.name}:`, 'fix the path in --key-file or apiKeyFile');
      return { raw: text.replace(/\r?\n$/, ''), source: `file ${display(ctx, file)}` };
    }
    if (p.apiKeyEnv) {
      const v = variable(p.apiKeyEnv);
      return v ? { raw: v.value, source: v.source } : { raw: undefined, source: p.apiKeyEnv };
    }
    return { raw: undefined, source: '(no key source configured)' };
  };

  return { ...set, variable, key };
}
