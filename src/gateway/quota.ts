/**
 * Per-tenant RPM and TPM quotas (docs/gateway-quotas.md). Two rate-limiter-flexible limiters per
 * tenant — one counting requests, one counting tokens — obtained only through
 * `store.limiter(...)`, so the embedded store (RateLimiterMemory) and the Redis store
 * (RateLimiterRedis, shared by every replica) run this same code.
 *
 * - A refused request costs nothing: whatever this call consumed on either limiter is given back.
 * - A request whose estimate exceeds the tenant's whole TPM can never pass: it is refused without
 *   counting, with a message saying so and `x-should-retry: false` (the OpenAI SDKs' retry switch).
 * - Windows are rate-limiter-flexible's: fixed, 60 s from the first request of a window (not sliding).
 * - A reload that changes a tenant's rpm/tpm builds a new limiter for the new value on the same key:
 *   what the tenant consumed in the current window still counts against the new limit.
 *
 * A store with windows() (the Redis store) is asked through it instead: the same fixed windows, keys and
 * headers, but both limits checked and counted in one atomic step — one round trip, nothing counted on
 * a refusal, so nothing to give back — and settle() one adjustWindow() instead of a read and a reward.
 */
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayStore, QuotaDecision, Quotas, TenantLimits, WindowsCall } from './contract.js';

const WINDOW_S = 60;
const REQ_PREFIX = 'holy:q:rpm';
const TOK_PREFIX = 'holy:q:tpm';

/** A duration as OpenAI writes it in x-ratelimit-reset-*: Go's time.Duration text ("20ms", "1s", "6m0s", "1h2m3.5s"). */
export function resetText(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const sMs = total % 60_000;
  const s = `${Math.floor(sMs / 1000)}${sMs % 1000 ? `.${String(sMs % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

interface Limit {
  value: number;
  limiter: RateLimiterAbstract;
  /** Carry-over from the previous limiter for this tenant (embedded store); awaited before first use. */
  ready: Promise<void>;
  /** Set once `ready` has settled: then nothing is awaited for it (every request asks). */
  isReady: boolean;
}
interface TenantEntry {
  req?: Limit;
  tok?: Limit;
}

/** The limiter's answer, whether it admitted (resolve) or refused (reject with a RateLimiterRes). */
type Outcome = { ok: true; res: RateLimiterRes } | { ok: false; res: RateLimiterRes } | { ok: false; err: unknown };

function isRes(x: unknown): x is RateLimiterRes {
  return !!x && typeof x === 'object' && typeof (x as RateLimiterRes).msBeforeNext === 'number' && typeof (x as RateLimiterRes).consumedPoints === 'number';
}

async function consume(l: Limit, key: string, points: number): Promise<Outcome> {
  if (!l.isReady) await l.ready;
  try {
    return { ok: true, res: await l.limiter.consume(key, points) };
  } catch (e) {
    return isRes(e) ? { ok: false, res: e } : { ok: false, err: e };
  }
}

/** Limits are whole positive numbers; anything else means "no limit" (config validation refuses such plans). */
function limited(v: number): boolean {
  return Number.isFinite(v) && v > 0;
}

export function createQuotas(store: GatewayStore): Quotas {
  const tenants = new Map<string, TenantEntry>();

  /** The limiter for this tenant and this limit value; a new value gets a new limiter on the same key. */
  function limit(tenant: string, kind: 'req' | 'tok', value: number): Limit {
    let e = tenants.get(tenant);
    if (!e) tenants.set(tenant, (e = {}));
    const cur = e[kind];
    if (cur && cur.value === value) return cur;
    const points = Math.floor(value);
    const limiter = store.limiter({ keyPrefix: kind === 'req' ? REQ_PREFIX : TOK_PREFIX, points, durationS: WINDOW_S });
    const next: Limit = { value, limiter, ready: cur ? carryOver(cur, limiter, tenant) : Promise.resolve(), isReady: !cur };
    if (!next.isReady) void next.ready.then(() => void (next.isReady = true)); // carryOver never rejects
    e[kind] = next;
    return next;
  }

  /**
   * A changed limit keeps the window's count: a shared store (Redis) already sees the same key; a
   * per-limiter memory store starts empty, so the old count and remaining window are copied over.
   */
  async function carryOver(prev: Limit, next: RateLimiterAbstract, key: string): Promise<void> {
    try {
      await prev.ready;
      const old = await prev.limiter.get(key);
      if (!old || old.consumedPoints <= 0 || old.msBeforeNext <= 0) return;
      if (await next.get(key)) return;
      await next.set(key, old.consumedPoints, old.msBeforeNext / 1000);
    } catch {
      // A store error here only loses the carry-over; admit() reports store errors itself.
    }
  }

  async function giveBack(l: Limit, key: string, points: number): Promise<RateLimiterRes | undefined> {
    try {
      return await l.limiter.reward(key, points);
    } catch {
      return undefined;
    }
  }

  function headers(rpm: number, tpm: number, req?: RateLimiterRes, tok?: RateLimiterRes): Record<string, string> {
    const h: Record<string, string> = {};
    if (limited(rpm)) {
      h['x-ratelimit-limit-requests'] = String(Math.floor(rpm));
      h['x-ratelimit-remaining-requests'] = String(req ? Math.max(0, Math.floor(rpm) - req.consumedPoints) : Math.floor(rpm));
      h['x-ratelimit-reset-requests'] = resetText(req && req.consumedPoints > 0 ? req.msBeforeNext : 0);
    }
    if (limited(tpm)) {
      h['x-ratelimit-limit-tokens'] = String(Math.floor(tpm));
      h['x-ratelimit-remaining-tokens'] = String(tok ? Math.max(0, Math.floor(tpm) - tok.consumedPoints) : Math.floor(tpm));
      h['x-ratelimit-reset-tokens'] = resetText(tok && tok.consumedPoints > 0 ? tok.msBeforeNext : 0);
    }
    return h;
  }

  async function current(l: Limit | undefined, key: string): Promise<RateLimiterRes | undefined> {
    if (!l) return undefined;
    if (!l.isReady) await l.ready;
    return (await l.limiter.get(key)) ?? undefined;
  }

  const windows = store.windows?.bind(store);
  const adjustWindow = store.adjustWindow?.bind(store);

  /** The 429 (or "can never pass") decision, from what each window holds. */
  function refusal(t: TenantLimits, tokens: number, refused: Array<{ limit: 'requests' | 'tokens'; ms: number }>, rRes?: RateLimiterRes, kRes?: RateLimiterRes): QuotaDecision {
    const key = t.tenant;
    const ms = Math.max(...refused.map((r) => r.ms), 0);
    const retryAfterS = Math.max(1, Math.ceil(ms / 1000));
    const which = refused[0]!.limit;
    const h = headers(t.rpm, t.tpm, rRes, kRes);
    h['retry-after'] = String(retryAfterS);
    h['retry-after-ms'] = String(Math.max(1, Math.ceil(ms)));
    return {
      ok: false,
      code: 'rate_limit_exceeded',
      limit: which,
      retryAfterS,
      message:
        which === 'requests'
          ? `Rate limit reached for tenant ${key} (plan ${t.plan}) on requests per min (RPM): limit ${Math.floor(t.rpm)}. Try again in ${resetText(ms)}.`
          : `Rate limit reached for tenant ${key} (plan ${t.plan}) on tokens per min (TPM): limit ${Math.floor(t.tpm)}, used ${Math.max(0, kRes?.consumedPoints ?? 0)}, requested ${tokens}. Try again in ${resetText(ms)}.`,
      headers: h,
    };
  }

  function neverPasses(t: TenantLimits, tokens: number, r?: RateLimiterRes, k?: RateLimiterRes): QuotaDecision {
    return {
      ok: false,
      code: 'rate_limit_exceeded',
      limit: 'tokens',
      message: `Request too large for tenant ${t.tenant} (plan ${t.plan}) on tokens per min (TPM): limit ${Math.floor(t.tpm)}, requested ${tokens} (the prompt's estimate plus max_tokens, or the plan's default when absent). Lower max_tokens or shorten the prompt; this request can never pass.`,
      headers: { ...headers(t.rpm, t.tpm, r, k), 'x-should-retry': 'false' },
    };
  }

  /** admit() on a store with windows(): one call, both limits. */
  async function admitByWindows(w: NonNullable<GatewayStore['windows']>, t: TenantLimits, tokens: number): Promise<QuotaDecision> {
    const rpm = limited(t.rpm);
    const tpm = limited(t.tpm);
    if (!rpm && !tpm) return { ok: true, headers: {} };
    const never = tpm && tokens > Math.floor(t.tpm);
    const items: WindowsCall['items'] = [];
    if (rpm) items.push({ keyPrefix: REQ_PREFIX, key: t.tenant, points: never ? 0 : 1, limit: Math.floor(t.rpm) });
    if (tpm) items.push({ keyPrefix: TOK_PREFIX, key: t.tenant, points: never ? 0 : tokens, limit: Math.floor(t.tpm) });
    const a = await w({ mode: never ? 'read' : 'consume', durationS: WINDOW_S, items });
    const res = (i: number) => {
      const it = a.items[i]!;
      return it.msLeft > 0 || it.consumed > 0 ? ({ consumedPoints: it.consumed, msBeforeNext: Math.max(0, it.msLeft) } as RateLimiterRes) : undefined;
    };
    // The items in the order pushed above: the RPM window first when there is one.
    const ti = rpm ? 1 : 0;
    const rRes = rpm ? res(0) : undefined;
    const kRes = tpm ? res(ti) : undefined;
    if (never) return neverPasses(t, tokens, rRes, kRes);
    if (a.ok) return { ok: true, headers: headers(t.rpm, t.tpm, rRes, kRes) };
    const refused: Array<{ limit: 'requests' | 'tokens'; ms: number }> = [];
    const left = (i: number) => (a.items[i]!.msLeft > 0 ? a.items[i]!.msLeft : WINDOW_S * 1000);
    if (rpm && a.items[0]!.refused) refused.push({ limit: 'requests', ms: left(0) });
    if (tpm && a.items[ti]!.refused) refused.push({ limit: 'tokens', ms: left(ti) });
    return refusal(t, tokens, refused, rRes, kRes);
  }

  return {
    async admit(t: TenantLimits, estTokens: number): Promise<QuotaDecision> {
      if (windows) return admitByWindows(windows, t, Math.max(0, Math.ceil(estTokens)));
      const key = t.tenant;
      const tokens = Math.max(0, Math.ceil(estTokens));
      const req = limited(t.rpm) ? limit(key, 'req', t.rpm) : undefined;
      const tok = limited(t.tpm) ? limit(key, 'tok', t.tpm) : undefined;

      if (tok && tokens > Math.floor(t.tpm)) {
        // Can never pass: refuse without counting anything, and tell the SDK not to retry.
        const [r, k] = await Promise.all([current(req, key), current(tok, key)]);
        return neverPasses(t, tokens, r, k);
      }

      // Both limiters started at once (one round trip's latency on a remote limiter), then awaited in turn.
      const rp = req ? consume(req, key, 1) : undefined;
      const kp = tok && tokens > 0 ? consume(tok, key, tokens) : undefined;
      const ro = rp && (await rp);
      const ko = kp && (await kp);
      let rRes = ro && 'res' in ro ? ro.res : undefined;
      let kRes = ko && 'res' in ko ? ko.res : tok ? await current(tok, key) : undefined;
      const storeErr = (ro && 'err' in ro ? ro.err : undefined) ?? (ko && 'err' in ko ? ko.err : undefined);
      const reqOk = !ro || ro.ok;
      const tokOk = !ko || ko.ok;
      if (storeErr !== undefined || !reqOk || !tokOk) {
        // A refused request costs nothing: give back what this call counted on either limiter
        // (a refused consume counted too: rate-limiter-flexible increments, then compares).
        const backs: Array<Promise<void>> = [];
        if (req && ro && 'res' in ro) backs.push(giveBack(req, key, 1).then((r) => void (rRes = r ?? rRes)));
        if (tok && ko && 'res' in ko) backs.push(giveBack(tok, key, tokens).then((r) => void (kRes = r ?? kRes)));
        await Promise.all(backs);
        if (storeErr !== undefined) throw storeErr;
        const refused: Array<{ limit: 'requests' | 'tokens'; ms: number }> = [];
        if (!reqOk && ro && 'res' in ro) refused.push({ limit: 'requests', ms: ro.res.msBeforeNext });
        if (!tokOk && ko && 'res' in ko) refused.push({ limit: 'tokens', ms: ko.res.msBeforeNext });
        return refusal(t, tokens, refused, rRes, kRes);
      }
      return { ok: true, headers: headers(t.rpm, t.tpm, rRes, kRes) };
    },

    async settle(t: TenantLimits, estTokens: number, actualTokens: number): Promise<void> {
      if (!limited(t.tpm)) return;
      const diff = Math.max(0, Math.ceil(actualTokens)) - Math.max(0, Math.ceil(estTokens));
      if (diff === 0) return;
      // One step on Redis: charge the rest, or give back (never below zero, nothing once the window ended).
      // `later`: it runs after the answer and may wait a few ms to share a round trip.
      if (adjustWindow) return adjustWindow({ keyPrefix: TOK_PREFIX, key: t.tenant, by: diff, durationS: WINDOW_S, later: true });
      const tok = limit(t.tenant, 'tok', t.tpm);
      if (!tok.isReady) await tok.ready;
      if (diff > 0) {
        // Used more than estimated: charge the rest to the current window (a new one if it rolled).
        await tok.limiter.penalty(t.tenant, diff);
        return;
      }
      // Used less: give back, but never below zero. When the window that was charged has ended
      // the key is gone and there is nothing to give back (a reward would open a window in credit).
      const now = await tok.limiter.get(t.tenant);
      if (!now || now.consumedPoints <= 0 || now.msBeforeNext <= 0) return;
      const back = Math.min(-diff, now.consumedPoints);
      if (back > 0) await tok.limiter.reward(t.tenant, back);
    },
  };
}

/**
 * The 429 body for a refused decision, as OpenAI writes it: `type` is the limit that refused
 * ("requests" or "tokens"), `code` is rate_limit_exceeded. The server sends it with
 * `decision.headers` (which then include retry-after and retry-after-ms).
 */
export function rateLimitBody(d: QuotaDecision): { error: { message: string; type: string; param: null; code: string } } {
  return {
    error: {
      message: d.message ?? 'Rate limit reached.',
      type: d.limit ?? 'requests',
      param: null,
      code: d.code ?? 'rate_limit_exceeded',
    },
  };
}
