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
  /** Cap on one response body from this provider (default: 32 MiB for a completion, 8 MiB for /models). */
  maxResponseBytes?: number;
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
      if (r.maxResponseBytes !== undefined && (typeof r.maxResponseBytes !== 'number' || !Number.isSafeInteger(r.maxResponseBytes) || r.maxResponseBytes < 1024)) {
        throw new UsageError(`${at}.maxResponseBytes must be a whole number of bytes, at least 1024 (e.g. 67108864 for 64 MiB).`);
      }
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
        ...((r.maxResponseBytes ?? prev?.maxResponseBytes) !== undefined ? { maxResponseBytes: (r.maxResponseBytes as number | undefined) ?? prev!.maxResponseBytes! } : {}),
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

/** A URL for messages: any user:password@ part replaced by ***@, control characters shown escaped. */
export function displayURL(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The base-URL rules every command applies the same way (verify, models, bench, migrate): no
 * credentials in it (holy would have to print or send them somewhere; a key belongs in apiKeyEnv,
 * a proxy's password in HTTPS_PROXY) and no control characters inside it (a newline would split the
 * line migrate writes into two variables).
 */
export function checkProfileURL(p: Profile): Profile {
  const inner = p.baseURL.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(inner)) {
    throw new UsageError(`the base URL of ${p.name} (${p.baseURLSource}) contains a control character (${displayURL(inner)}); remove it from ${p.baseURLSource}.`);
  }
  let u: URL | undefined;
  try {
    u = new URL(inner);
  } catch {
    u = undefined;
  }
  if (u && (u.username || u.password)) {
    throw new UsageError(
      `the base URL of ${p.name} (${p.baseURLSource}) carries credentials (${displayURL(inner)}); holy does not send or print them.`,
      `remove the user:password@ part from ${p.baseURLSource}: put the key in the provider's key variable (apiKeyEnv), and a proxy's credentials in HTTPS_PROXY.`,
    );
  }
  return p;
}

/** Pick a profile by name or NAME=URL, with a usage error that lists the known names. */
export function pickProfile(set: ProfileSet, spec: string, flag: string): Profile {
  const p = set.providers.get(spec);
  if (p) return checkProfileURL(p);
  if (spec.includes('=')) {
    const adhoc = checkProfileURL(adHocProfile(spec, flag));
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
