/** Provider profiles: built-ins, config overrides and ad-hoc ones. Pure: no I/O here. */
import { UsageError } from '../errors.js';
import { closest } from './suggest.js';

export const OFFICIAL_BASE_URL = 'https://api.openai.com/v1';
export const HOLYSHEEP_BASE_URL = 'https://api.holysheep.ai/v1';

export interface Profile {
  name: string;
  /** As configured: may still carry whitespace or a pasted path; verify reports such problems. */
  baseURL: string;
  /** Where baseURL came from, e.g. "built-in", "env HOLYSHEEP_BASE_URL", "holy.config.json providers.x.baseURL". */
  baseURLSource: string;
  apiKeyEnv?: string;
  apiKeyFile?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Regexes (source text) for the key formats this provider issues, beyond the built-in relay formats. */
  keyPatterns: string[];
}

export interface ProfileSet {
  providers: Map<string, Profile>;
  old: string;
  new: string;
  /** The config file that was read, if any. */
  configFile?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest delay a Node timer can hold; beyond it Node fires after 1 ms, so every request would "time out" at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The two built-in profiles; `lookup` reads variables (env file first, then process env). */
export function builtinProfiles(lookup: (name: string) => { value: string; source: string } | undefined): Profile[] {
  const hsBase = lookup('HOLYSHEEP_BASE_URL');
  return [
    { name: 'official', baseURL: OFFICIAL_BASE_URL, baseURLSource: 'built-in', apiKeyEnv: 'OPENAI_API_KEY', headers: {}, timeoutMs: DEFAULT_TIMEOUT_MS, keyPatterns: [] },
    {
      name: 'holysheep',
      baseURL: hsBase?.value ?? HOLYSHEEP_BASE_URL,
      baseURLSource: hsBase ? hsBase.source : 'built-in',
      apiKeyEnv: 'HOLYSHEEP_API_KEY',
      headers: {},
      timeoutMs: DEFAULT_TIMEOUT_MS,
      keyPatterns: [],
    },
  ];
}

/** The variable a provider's key is read from unless configured otherwise: staging-eu → STAGING_EU_API_KEY. */
function defaultKeyEnv(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

/** Merge a parsed config over the built-ins; every problem names the file and the field. */
export function applyConfig(base: Profile[], cfg: unknown, file: string): ProfileSet {
  const providers = new Map(base.map((p) => [p.name, p]));
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw new UsageError(`${file}: the top level must be a JSON object like {"providers": {…}, "old": "official", "new": "holysheep"}.`);
  }
  const c = cfg as Record<string, unknown>;
  if (c.providers !== undefined) {
    if (typeof c.providers !== 'object' || c.providers === null || Array.isArray(c.providers)) {
      throw new UsageError(`${file}: "providers" must be an object mapping a name to {"baseURL": …, "apiKeyEnv": …}.`);
    }
    for (const [name, raw] of Object.entries(c.providers as Record<string, unknown>)) {
      const at = `${file}: providers.${name}`;
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError(`${at}: a provider name may use only letters, digits, ".", "_" and "-".`);
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${at} must be an object with at least "baseURL".`);
      const r = raw as Record<string, unknown>;
      const prev = providers.get(name);
      for (const f of ['baseURL', 'apiKeyEnv', 'apiKeyFile', 'keyPattern'] as const) {
        if (r[f] !== undefined && typeof r[f] !== 'string') throw new UsageError(`${at}.${f} must be a string.`);
      }
      if (r.apiKeyEnv !== undefined && r.apiKeyFile !== undefined) throw new UsageError(`${at}: give either "apiKeyEnv" or "apiKeyFile", not both.`);
      if (r.timeoutMs !== undefined && (typeof r.timeoutMs !== 'number' || !(r.timeoutMs > 0))) throw new UsageError(`${at}.timeoutMs must be a positive number of milliseconds.`);
      if ((r.timeoutMs as number) > MAX_TIMEOUT_MS) throw new UsageError(`${at}.timeoutMs must be at most ${MAX_TIMEOUT_MS} ms (about 24 days).`);
      if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null || Object.values(r.headers).some((v) => typeof v !== 'string'))) {
        throw new UsageError(`${at}.headers must be an object of string values.`);
      }
      if (r.headers && Object.keys(r.headers).some((h) => /^authorization$/i.test(h))) {
        throw new UsageError(`${at}.headers must not carry Authorization; put the key in an env var named by "apiKeyEnv" or a file named by "apiKeyFile".`);
      }
      if (r.keyPattern !== undefined) {
        try { new RegExp(r.keyPattern as string); } catch { throw new UsageError(`${at}.keyPattern is not a valid regular expression.`); }
      }
      const baseURL = (r.baseURL as string | undefined) ?? prev?.baseURL;
      if (!baseURL) throw new UsageError(`${at} has no "baseURL"; add e.g. "baseURL": "https://api.example.com/v1".`);
      providers.set(name, {
        name,
        baseURL,
        baseURLSource: r.baseURL !== undefined ? `${file} providers.${name}.baseURL` : prev!.baseURLSource,
        apiKeyEnv: r.apiKeyFile !== undefined ? undefined : ((r.apiKeyEnv as string | undefined) ?? prev?.apiKeyEnv ?? defaultKeyEnv(name)),
        apiKeyFile: r.apiKeyFile as string | undefined,
        headers: { ...(prev?.headers ?? {}), ...((r.headers as Record<string, string>) ?? {}) },
        timeoutMs: (r.timeoutMs as number | undefined) ?? prev?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        keyPatterns: [...(prev?.keyPatterns ?? []), ...(r.keyPattern ? [r.keyPattern as string] : [])],
      });
    }
  }
  const set: ProfileSet = { providers, old: 'official', new: 'holysheep', configFile: file };
  for (const role of ['old', 'new'] as const) {
    if (c[role] === undefined) continue;
    if (typeof c[role] !== 'string' || !providers.has(c[role] as string)) {
      throw new UsageError(`${file}: "${role}" names provider ${JSON.stringify(c[role])}, which is not defined; known: ${[...providers.keys()].join(', ')}.`);
    }
    set[role] = c[role] as string;
  }
  return set;
}

/** An ad-hoc provider from a flag value "NAME=URL"; its key comes from NAME_API_KEY. */
function adHocProfile(spec: string, flag: string): Profile {
  const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
  if (!m || !/^https?:\/\//i.test(m[2]!.trim())) {
    throw new UsageError(`${flag} ${JSON.stringify(spec)}: expected a provider name, or NAME=URL such as staging=https://relay.example.com/v1.`);
  }
  const name = m[1]!;
  return { name, baseURL: m[2]!, baseURLSource: `flag ${flag}`, apiKeyEnv: defaultKeyEnv(name), headers: {}, timeoutMs: DEFAULT_TIMEOUT_MS, keyPatterns: [] };
}

/** Pick a profile by name or NAME=URL, with a usage error that lists the known names. */
export function pickProfile(set: ProfileSet, spec: string, flag: string): Profile {
  const p = set.providers.get(spec);
  if (p) return p;
  if (spec.includes('=')) {
    const adhoc = adHocProfile(spec, flag);
    set.providers.set(adhoc.name, adhoc);
    return adhoc;
  }
  const known = [...set.providers.keys()];
  const near = closest(spec, known);
  throw new UsageError(
    `${flag} ${spec}: no such provider; known: ${known.join(', ')}.${near ? ` Did you mean ${near}?` : ''}`,
    near === 'official' && spec.toLowerCase() !== 'official'
      ? `holy calls OpenAI's own API "official" (https://api.openai.com/v1, key from OPENAI_API_KEY): ${flag} official.`
      : `add it to holy.config.json, or pass ${flag} NAME=URL (its key then comes from NAME_API_KEY).`,
  );
}
