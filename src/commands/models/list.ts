/** Fetching one provider's model list, with failures classified exactly as verify classifies them. */
import type { Ctx } from '../../context.js';
import type { HttpSetup } from '../../adapters/http.js';
import type { Providers } from '../../adapters/profiles.js';
import type { Profile } from '../../core/profiles.js';
import { checkBaseURL, checkKey, describeSource } from '../../core/verify/checks.js';
import { classify } from '../../core/verify/classify.js';
import { listModels, makeClient, type ListedModel } from '../../adapters/provider/index.js';

export interface ProviderListing {
  name: string;
  baseURL: string;
  ok: boolean;
  models: ListedModel[];
  ms?: number;
  requestId?: string;
  /** Why the listing failed: one cause, one fix (same wording as `holy verify`). */
  error?: { label: string; cause: string; fix: string };
}

/** GET /models for a provider; never throws for a provider-side problem. */
export async function listProvider(ctx: Ctx, http: HttpSetup, set: Providers, p: Profile, o: { timeoutMs?: number; force?: boolean }): Promise<ProviderListing> {
  const timeoutMs = o.timeoutMs ?? p.timeoutMs;
  const uv = checkBaseURL(p.baseURL, p.baseURLSource);
  const fail = (label: string, cause: string, fix: string): ProviderListing => ({ name: p.name, baseURL: uv.url ?? p.baseURL, ok: false, models: [], error: { label, cause, fix } });
  if (!uv.url) return fail('bad base URL', uv.problems[0]!.cause, uv.problems[0]!.fix);
  const ki = await set.key(p);
  const kv = checkKey({ provider: p.name, raw: ki.raw, source: ki.source, apiKeyEnv: p.apiKeyEnv, keyPatterns: p.keyPatterns }, uv.url, !!o.force);
  if (!kv.send) return fail('key', kv.problem!.cause, kv.problem!.fix + (kv.candidates.length ? ' (or pass --force)' : ''));
  const key = kv.candidates[kv.candidates.length - 1]!.key;
  ctx.fewRequests?.();
  const client = await makeClient(http, { baseURL: uv.url, apiKey: key, timeoutMs, headers: p.headers });
  const r = await listModels(ctx, client, timeoutMs, kv.candidates.map((c) => c.key));
  if (!r.ok) {
    const proxy = http.proxyFor(uv.url);
    const d = classify(r.obs, { provider: p.name, url: `${uv.url}/models`, baseURL: uv.url, baseURLSource: p.baseURLSource, keySource: describeSource(ki.source), timeoutMs, ...(proxy ? { proxy } : {}) }, `GET ${uv.url}/models`);
    return { ...fail(d.label, d.cause, d.fix), ms: r.ms };
  }
  return { name: p.name, baseURL: uv.url, ok: true, models: r.value, ms: r.ms, ...(r.requestId ? { requestId: r.requestId } : {}) };
}
