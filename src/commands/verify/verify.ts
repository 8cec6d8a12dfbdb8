/** verifyProviders: key, URL, network, GET /models and an optional 1-token chat, per provider. Reused by migrate --verify. */
import type { Ctx } from '../../context.js';
import type { GlobalOpts } from '../../ui/output.js';
import { loadProviders, type KeyInfo, type Providers } from '../../adapters/profiles.js';
import { makeHttp, type HttpSetup } from '../../adapters/http.js';
import { probeNetwork, type Lookup } from '../../adapters/probe.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { checkBaseURL, checkKey, describeSource, hygieneFix } from '../../core/verify/checks.js';
import { classify, classifyNetwork, classifyTimeout, type Diagnosis, type Observation, type Where } from '../../core/verify/classify.js';
import { isModelNotFound, modelNotFound } from '../../core/verify/model.js';
import { chatProbe, listModels, makeClient, type ListedModel, type ProbeResult } from '../../adapters/provider/index.js';
import { APP, legacyMismatch, shadowedOfficial, withAppAndKeys } from './app.js';

export interface VerifyCheck {
  provider: string;
  check: 'key' | 'url' | 'network' | 'models' | 'model';
  status: 'pass' | 'fail' | 'warn' | 'skip';
  ms?: number;
  detail: string;
  cause?: string;
  fix?: string;
  data?: Record<string, unknown>;
}

export interface VerifyReport {
  ok: boolean;
  checks: VerifyCheck[];
  providers: Array<{ name: string; baseURL: string; keySource: string; keyMasked: string; proxy?: string }>;
}

interface VerifyOptions {
  providers?: string[];
  model?: string;
  force?: boolean;
  /** Per-request time limit; default: each profile's timeoutMs. */
  timeoutMs?: number;
  /** DNS resolver for the network probe (tests). */
  lookup?: Lookup;
  /** Keys held in memory by the caller (migrate --verify: the key about to be written), by provider name; they win over every other source. */
  keys?: Record<string, KeyInfo>;
}

const r1 = (ms: number) => Math.round(ms * 10) / 10;

function fromDiagnosis(d: Diagnosis): Pick<VerifyCheck, 'status' | 'detail' | 'cause' | 'fix' | 'data'> {
  return { status: d.status, detail: d.label, cause: d.cause, fix: d.fix, ...(d.data ? { data: d.data } : {}) };
}

/** A raw key worth retrying trimmed: the server said no to it, or it could not even be sent as a header. */
function keyRejected(o: Observation): boolean {
  return (o.kind === 'http' && (o.status === 401 || o.status === 403)) || (o.kind === 'network' && !o.code && /header|invalid/i.test(o.message)) || (o.kind === 'network' && /INVALID_ARG|ERR_INVALID_CHAR/.test(o.code ?? ''));
}

type Checks = { checks: VerifyCheck[]; info: VerifyReport['providers'][number] };
type KeyVerdict = ReturnType<typeof checkKey>;

/** One provider, step by step: key and URL → network → GET /models → the model (with --model). */
async function verifyOne(ctx: Ctx, http: HttpSetup, set: Providers, p: Profile, o: VerifyOptions): Promise<Checks> {
  const checks: VerifyCheck[] = [];
  const add = (c: Omit<VerifyCheck, 'provider'>) => checks.push({ provider: p.name, ...c });
  const timeoutMs = o.timeoutMs ?? p.timeoutMs;

  const uv = checkBaseURL(p.baseURL, p.baseURLSource);
  const ki = await set.key(p);
  const kv = checkKey({ provider: p.name, raw: ki.raw, source: ki.source, apiKeyEnv: p.apiKeyEnv, keyPatterns: p.keyPatterns }, uv.url, !!o.force);
  const keyCheck: VerifyCheck = { provider: p.name, check: 'key', status: kv.status, detail: kv.detail, ...(kv.problem ? { cause: kv.problem.cause, fix: kv.problem.fix } : {}), data: { source: ki.source, masked: kv.masked, format: kv.format ?? null, hygiene: kv.hygiene.map((i) => i.kind) } };
  checks.push(keyCheck);
  const join = (k: 'cause' | 'fix') => uv.problems.map((x) => x[k]).join(' ');
  add({ check: 'url', status: uv.status, detail: uv.detail, ...(uv.problems.length ? { cause: join('cause'), fix: join('fix') } : {}), data: { baseURL: uv.url ?? null, configured: p.baseURL, source: p.baseURLSource } });

  const proxy = uv.url ? http.proxyFor(uv.url) : undefined;
  const info = { name: p.name, baseURL: uv.url ?? p.baseURL, keySource: ki.source, keyMasked: kv.masked, ...(proxy ? { proxy } : {}) };
  const skip = (check: VerifyCheck['check'], why: string) => add({ check, status: 'skip', detail: `skipped: ${why}` });
  const rest = (why: string) => {
    skip('models', why);
    if (o.model) skip('model', why);
  };
  if (!uv.url) {
    skip('network', 'the base URL is unusable');
    rest('the base URL is unusable');
    return { checks, info };
  }
  const where: Where = { provider: p.name, url: `${uv.url}/models`, baseURL: uv.url, baseURLSource: p.baseURLSource, keySource: describeSource(ki.source), timeoutMs, ...(proxy ? { proxy } : {}) };
  if (!(await networkStep(ctx, uv.url, proxy, timeoutMs, o, where, add))) {
    rest('the network check failed');
    return { checks, info };
  }
  if (!kv.send) {
    rest(kv.candidates.length ? 'the key was refused for this host' : 'no key');
    return { checks, info };
  }
  const listing = await modelsStep(ctx, http, p, uv.url, timeoutMs, kv, keyCheck, ki, where, add);
  if (!listing.goOn) {
    if (o.model) skip('model', 'GET /models failed');
    return { checks, info };
  }
  if (o.model) add(await modelStep(ctx, http, p, uv.url, timeoutMs, o.model, kv, listing, where));
  return { checks, info };
}

/** DNS, connect and TLS to the base URL's host (through the proxy when one applies); false when it failed. */
async function networkStep(ctx: Ctx, url: string, proxy: string | undefined, timeoutMs: number, o: VerifyOptions, where: Where, add: (c: Omit<VerifyCheck, 'provider'>) => void): Promise<boolean> {
  const pr = await probeNetwork(url, { timeoutMs, clock: ctx.clock, proxy, proxyConnect: proxy, lookup: o.lookup, signal: ctx.signal });
  const timings = [pr.dnsMs ? `dns ${Math.round(pr.dnsMs)} ms` : '', pr.connectMs !== undefined ? `connect ${Math.round(pr.connectMs)} ms` : '', pr.tlsMs !== undefined ? `tls ${Math.round(pr.tlsMs)} ms` : ''].filter(Boolean).join(', ');
  const route = proxy ? `via proxy ${proxy}` : 'direct';
  const netData = { target: pr.target, address: pr.address ?? null, dnsMs: pr.dnsMs ?? null, connectMs: pr.connectMs ?? null, tlsMs: pr.tlsMs ?? null, tlsVersion: pr.tlsVersion ?? null, proxy: proxy ?? null, ...(pr.error ? { phase: pr.error.phase, code: pr.error.code ?? null } : {}) };
  if (!pr.ok) {
    const d = pr.error!.timedOut ? classifyTimeout(timeoutMs, where, `${pr.error!.phase} timeout`) : classifyNetwork(pr.error!.code, pr.error!.message, where);
    add({ check: 'network', ms: r1(pr.totalMs), ...fromDiagnosis(d), detail: `${pr.error!.phase}: ${d.label} (${route})`, data: netData });
    return false;
  }
  add({ check: 'network', status: 'pass', ms: r1(pr.totalMs), detail: `${pr.target} ${timings}${pr.tlsVersion ? ` (${pr.tlsVersion})` : ''}, ${route}`, data: netData });
  return true;
}

/** What GET /models left for the model step: whether to go on, the listed ids, which key variant worked. */
interface Listing {
  goOn: boolean;
  ids?: string[];
  worked?: 'raw' | 'trimmed';
}

/** GET /models: the raw key first when it has hygiene problems, then the cleaned one; amends the key check with what worked. */
async function modelsStep(ctx: Ctx, http: HttpSetup, p: Profile, url: string, timeoutMs: number, kv: KeyVerdict, keyCheck: VerifyCheck, ki: { source: string; raw?: string }, where: Where, add: (c: Omit<VerifyCheck, 'provider'>) => void): Promise<Listing> {
  const secrets = kv.candidates.map((c) => c.key);
  let listed: ProbeResult<ListedModel[]> | undefined;
  let rawFailed: Observation | undefined;
  for (const cand of kv.candidates) {
    const client = await makeClient(http, { baseURL: url, apiKey: cand.key, timeoutMs, headers: p.headers });
    listed = await listModels(ctx, client, timeoutMs, secrets);
    if (cand.label === 'raw' && !listed.ok && keyRejected(listed.obs)) {
      rawFailed = listed.obs;
      continue;
    }
    break;
  }
  const worked = kv.candidates.length > 1 && listed!.ok ? (rawFailed ? 'trimmed' : 'raw') : undefined;
  if (worked === 'trimmed') {
    const why = rawFailed!.kind === 'http' ? `${rawFailed!.status}` : 'it cannot be sent as an HTTP header';
    Object.assign(keyCheck, {
      status: 'fail',
      detail: `${kv.detail}; works only once trimmed`,
      cause: `the key as stored fails (${why}) but works once trimmed.`,
      fix: `${hygieneFix(kv.hygiene, ki.source, ki.raw!)}.`,
    });
  } else if (worked === 'raw') {
    keyCheck.detail += '; accepted as is here, but other clients may not trim it';
  }
  keyCheck.data = { ...keyCheck.data, worked: worked ?? null };
  if (!listed!.ok) {
    const d = classify(listed!.obs, where, `GET ${url}/models`);
    add({ check: 'models', ms: r1(listed!.ms), ...fromDiagnosis(d) });
    // A rate limit (warn) says nothing against the model: still try it.
    return { goOn: d.status !== 'fail', ...(worked ? { worked } : {}) };
  }
  const ids = listed!.value.map((m) => m.id);
  const rid = listed!.requestId;
  add({ check: 'models', status: 'pass', ms: r1(listed!.ms), detail: `${ids.length} models${rid ? `, request id ${rid}` : ''}`, data: { count: ids.length, requestId: rid ?? null, ids } });
  return { goOn: true, ids, ...(worked ? { worked } : {}) };
}

/** --model: a 1-token streamed chat with the key variant that worked, timing its TTFT. */
async function modelStep(ctx: Ctx, http: HttpSetup, p: Profile, url: string, timeoutMs: number, model: string, kv: KeyVerdict, listing: Listing, where: Where): Promise<Omit<VerifyCheck, 'provider'>> {
  const key = kv.candidates[listing.worked === 'raw' ? 0 : kv.candidates.length - 1]!.key;
  const client = await makeClient(http, { baseURL: url, apiKey: key, timeoutMs, headers: p.headers });
  const cp = await chatProbe(ctx, client, model, timeoutMs, kv.candidates.map((c) => c.key));
  const ids = listing.ids;
  if (cp.ok) {
    const v = cp.value;
    const listedToo = ids?.includes(model) ?? null;
    return {
      check: 'model',
      status: 'pass',
      ms: r1(cp.ms),
      detail: `${model} answered, TTFT ${v.ttftMs === undefined ? 'n/a (no content in 1 token)' : `${Math.round(v.ttftMs)} ms`}${v.servedModel && v.servedModel !== model ? `, reported as ${v.servedModel}` : ''}${listedToo === false ? ' (not in GET /models)' : ''}`,
      data: { model, ttftMs: v.ttftMs === undefined ? null : r1(v.ttftMs), servedModel: v.servedModel ?? null, requestId: cp.requestId ?? null, listed: listedToo },
    };
  }
  const obs = cp.obs;
  const tag = obs.kind === 'http' ? `${obs.status}${obs.errorCode ? ` ${obs.errorCode}` : ''}` : '';
  const d = isModelNotFound(obs) ? modelNotFound(model, p.name, ids, tag) : classify(obs, { ...where, url: `${url}/chat/completions` }, `POST ${url}/chat/completions (${model})`);
  return { check: 'model', ms: r1(cp.ms), ...fromDiagnosis(d) };
}

/** verifyOne, except for the official row the app rows replace, and with the app's legacy-variable warning. */
async function verifyWithApp(ctx: Ctx, http: HttpSetup, set: Providers, p: Profile, app: Profile | undefined, opts: VerifyOptions): Promise<Awaited<ReturnType<typeof verifyOne>>> {
  const skipped = shadowedOfficial(set, p, app, (await set.key(p)).source);
  if (skipped) return { checks: [skipped], info: { name: p.name, baseURL: p.baseURL, keySource: 'skipped', keyMasked: '' } };
  const r = await verifyOne(ctx, http, set, p, opts);
  const warn = p.name === APP ? legacyMismatch(set) : undefined;
  return warn ? { ...r, checks: [...r.checks, warn] } : r;
}

/** Verify each provider (default: the configured old and new). Throws only for usage errors; failed checks are data. */
export async function verifyProviders(ctx: Ctx, g: GlobalOpts, opts: VerifyOptions): Promise<VerifyReport> {
  // With --env-file, the pair the app will use is checked too (the `app` rows; see app.ts).
  const { set, app } = withAppAndKeys(await loadProviders(ctx, g), g.envFile, opts.keys);
  const names = opts.providers?.length ? opts.providers : [set.old, set.new, ...(app ? [APP] : [])];
  const profiles = [...new Map(names.map((n) => pickProfile(set, n, '--provider')).map((p) => [p.name, p])).values()];
  ctx.fewRequests?.();
  const http = makeHttp(ctx, { connectTimeoutMs: opts.timeoutMs });
  try {
    const results = await Promise.all(profiles.map((p) => verifyWithApp(ctx, http, set, p, app, opts)));
    const checks = results.flatMap((r) => r.checks);
    return { ok: !checks.some((c) => c.status === 'fail'), checks, providers: results.map((r) => r.info) };
  } finally {
    await http.close();
  }
}
