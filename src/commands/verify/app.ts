/**
 * The `app` rows of holy verify: the base URL and key the app will actually use, read from its
 * env file under the SDK variable names holy migrate rewrites (OPENAI_BASE_URL, the legacy
 * OPENAI_API_BASE, OPENAI_API_KEY). After a migrate, OPENAI_API_KEY is the relay's key: checking
 * it against the official endpoint only proves it is not an OpenAI key, so the official row is
 * skipped in that case and the app row checks the pair instead — key/host, network, GET /models.
 */
import type { KeyInfo, Providers } from '../../adapters/profiles.js';
import { DEFAULT_TIMEOUT_MS, OFFICIAL_BASE_URL, type Profile } from '../../core/profiles.js';
import { sameEndpoint } from '../../core/migrate/plan.js';
import type { VerifyCheck } from './verify.js';

export const APP = 'app';

/** A value from the env file as it may be shown: control characters (terminal escapes) made visible. */
const shown = (v: string) => JSON.stringify(v).slice(1, -1);

/** A variable as the app's env file (or, failing that, the process env) gives it. */
const fromFile = (set: Providers, name: string) => {
  const v = set.variable(name);
  return v && v.source !== `env ${name}` ? v : undefined;
};

/**
 * The app's pair as a profile, or undefined when the env file names neither a base URL nor a key.
 * Headers, timeout and key formats come from the configured provider serving the same endpoint.
 */
export function appProfile(set: Providers): Profile | undefined {
  const url = fromFile(set, 'OPENAI_BASE_URL') ?? fromFile(set, 'OPENAI_API_BASE');
  if (!url && !fromFile(set, 'OPENAI_API_KEY')) return undefined;
  const baseURL = url?.value ?? OFFICIAL_BASE_URL;
  const like = [...set.providers.values()].find((p) => p.name !== APP && sameEndpoint(p.baseURL, baseURL));
  return {
    name: APP,
    baseURL,
    baseURLSource: url?.source ?? 'the SDK default (OPENAI_BASE_URL is not set)',
    apiKeyEnv: 'OPENAI_API_KEY',
    headers: like?.headers ?? {},
    timeoutMs: like?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    keyPatterns: like?.keyPatterns ?? [],
  };
}

/** OPENAI_API_BASE (older SDKs) and OPENAI_BASE_URL pointing at different endpoints: a warning row. */
export function legacyMismatch(set: Providers): VerifyCheck | undefined {
  const a = fromFile(set, 'OPENAI_BASE_URL');
  const b = fromFile(set, 'OPENAI_API_BASE');
  if (!a || !b || sameEndpoint(a.value, b.value)) return undefined;
  return {
    provider: APP,
    check: 'url',
    status: 'warn',
    detail: `${b.source} (older SDKs) is ${shown(b.value)}, but ${a.source} is ${shown(a.value)}`,
    cause: 'apps on older OpenAI SDKs read OPENAI_API_BASE and would go to another endpoint than the rest.',
    fix: 'set both to the same URL (holy migrate rewrites both).',
  };
}

/**
 * The official row is skipped when its key is the app's OPENAI_API_KEY from the env file and the
 * app points elsewhere: that key belongs to the app's endpoint, which the app rows check.
 */
export function shadowedOfficial(set: Providers, p: Profile, app: Profile | undefined, keySource: string): VerifyCheck | undefined {
  if (!app || p.apiKeyEnv !== 'OPENAI_API_KEY' || sameEndpoint(app.baseURL, p.baseURL)) return undefined;
  const key = fromFile(set, 'OPENAI_API_KEY');
  if (!key || key.source !== keySource) return undefined;
  return {
    provider: p.name,
    check: 'key',
    status: 'skip',
    detail: `skipped: ${key.source} is the app's key for ${shown(app.baseURL)} (checked in the ${APP} rows); pass --key-file ${p.name}=PATH to check ${p.name} too`,
  };
}

/**
 * The providers verify works with: keys the caller holds in memory (migrate --verify) win over every
 * other source, and with an env file the app's pair is added as provider `app`.
 */
export function withAppAndKeys(loaded: Providers, envFile: string | undefined, keys: Record<string, KeyInfo> = {}): { set: Providers; app?: Profile } {
  const set: Providers = { ...loaded, key: async (p) => (Object.hasOwn(keys, p.name) ? keys[p.name]! : loaded.key(p)) };
  const app = envFile && !set.providers.has(APP) ? appProfile(set) : undefined;
  if (app) set.providers.set(APP, app);
  return { set, app };
}
