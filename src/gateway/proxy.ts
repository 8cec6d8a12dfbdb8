/**
 * One proxied request, from an authenticated tenant's parsed body to the ledger row: plan checks,
 * quota, route (cutover or primary/fallback, breakers), a scheduler slot, the upstream call relayed to
 * the client, fallback before the first byte only, and the bookkeeping after the client has its answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { lookupPrice, type PriceTable } from '../core/prices.js';
import { cnyRate } from '../core/gateway/config.js';
import { estimateRequestTokens } from '../core/gateway/estimate.js';
import { countRequestTokens, countTextTokens, contentText } from '../core/tokens.js';
import type { ChatBody } from '../core/chat.js';
import type { GatewayConfig, LedgerStatus, TenantLimits, UnpricedRow } from '../core/gateway/types.js';
import { QueueTimeout, StoreUnavailable, type BreakerRead, type Breakers, type Cutover, type QuotaDecision, type Quotas, type RoutePlan, type Scheduler, type Served } from './contract.js';
import type { GatewayMetrics } from './metrics.js';
import type { Ledger } from '../core/gateway/types.js';
import { E, errorBody, sendError, type ApiError } from './errors.js';
import { planRefusal, servedModel } from './plans.js';
import { SseRelay, streamAnswer, usageOf, type Usage } from './sse.js';
import { forward, type InFlight, type Upstream } from './upstream.js';
import { breakerVerdict, fallbackDecision, statusClass, transportClass, type ErrorClass } from './fallback.js';
import type { Log } from './log.js';

/** What every request shares: set at start and swapped whole on reload (SIGHUP). */
export interface Live {
  config: GatewayConfig;
  upstreams: Map<string, Upstream>;
  scheduler: Scheduler;
  breakers: Breakers;
}

export interface Parts {
  quotas: Quotas;
  /** The shared store quotas and breakers live in: when it is down, config storeDown decides (closed: 503, open: unlimited). */
  store: { healthy(): boolean };
  ledger: Ledger;
  metrics: GatewayMetrics;
  cutover?: Cutover;
  dispatcher: Dispatcher;
  prices: PriceTable;
  log: Log;
  clock(): number;
  now(): number;
}

/** One request's state, filled in as it goes; becomes the ledger row. */
interface Exchange {
  rid: string;
  t0: number;
  startedAt: number;
  tenant: string;
  limits: TenantLimits;
  endpoint: 'chat' | 'embeddings';
  body: Record<string, unknown>;
  modelAsked: string;
  modelServed: string;
  provider: string;
  arm: 'primary' | 'fallback' | 'canary';
  fallback: boolean;
  stream: boolean;
  est: number;
  status: LedgerStatus;
  httpStatus: number;
  code?: string;
  error?: string;
  ttfbMs?: number;
  ttftMs?: number;
  usage?: Usage;
  relay?: SseRelay;
  /** A buffered (non-streamed) answer as sent. */
  answer?: string;
  clientClosed: boolean;
  quotaHeaders: Record<string, string>;
  /** With fallback: the provider that failed (or was skipped) first. */
  fallbackFrom?: string;
  /** What the attempt that answered the client says about its provider, reported to the breaker after the answer. */
  verdict?: { provider: string; cls: ErrorClass | undefined };
  /** Attempts that failed before the one that served (the cutover's guard counts a canary failure the client never saw). */
  tried?: NonNullable<Served['tried']>;
}

/** An attempt that failed with nothing sent to the client: it may go to the fallback (fallback.ts decides). */
interface Failed {
  kind: 'failed';
  cls: ErrorClass;
  /** Before the upstream's response headers (or an error status: it is the headers). */
  beforeHeaders: boolean;
  /** What the client gets when it cannot fall back. */
  status: number;
  text?: string;
  retryAfter?: string;
}
/** The client has its answer (a success, a 4xx passed on, or a stream ended by an error event); `cls` is the upstream failure, if any. */
interface Sent {
  kind: 'sent';
  cls?: ErrorClass;
}
type Outcome = Failed | Sent;

/** For promises awaited later or dropped on purpose: one function, not a closure per request. */
const ignore = () => {};

const FAIL_STATUS = (s: number) => s >= 500 || s === 429 || s === 401 || s === 407;
const FAIL_KEEP = 64 * 1024;

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request to send upstream: the mapped model, usage asked for on streams, the plan's cap as the default max_tokens. */
function upstreamBody(ex: Exchange): string {
  const b: Record<string, unknown> = { ...ex.body, model: ex.modelServed };
  if (ex.stream) b.stream_options = { ...((ex.body.stream_options as object | null | undefined) ?? {}), include_usage: true };
  if (ex.endpoint === 'chat' && ex.limits.maxTokens !== undefined && b.max_tokens === undefined && b.max_completion_tokens === undefined) b.max_tokens = ex.limits.maxTokens;
  return JSON.stringify(b);
}

/** Relay one attempt to `up`; resolves when the client has its answer or the attempt may fall back. */
function attempt(p: Parts, ex: Exchange, up: Upstream, body: string, res: ServerResponse, onInFlight: (f: InFlight | undefined) => void): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let status = 0;
    let mode: 'fail' | 'buffer' | 'stream' | undefined;
    let ctype = '';
    let retryAfter: string | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      onInFlight(undefined);
      resolve(o);
    };
    // The answer's headers in one object (quota headers, ids, then the content's): no spread of a spread.
    const headers = (ctypeValue: string, k: 'cache-control' | 'content-length', v: string | number): Record<string, string | number> => {
      const h: Record<string, string | number> = Object.assign({}, ex.quotaHeaders);
      h['x-request-id'] = ex.rid;
      h['x-holy-provider'] = up.name;
      h['content-type'] = ctypeValue;
      h[k] = v;
      return h;
    };
    const f = forward(p.dispatcher, up, 'POST', ex.endpoint === 'chat' ? '/chat/completions' : '/embeddings', body, ex.stream, {
      onStart(s, h) {
        status = s;
        ex.ttfbMs = p.clock() - ex.t0;
        ctype = header(h, 'content-type') ?? '';
        retryAfter = header(h, 'retry-after');
        if (FAIL_STATUS(s)) mode = 'fail';
        else if (ex.stream && s < 300 && /event-stream/i.test(ctype)) {
          mode = 'stream';
          if (ex.clientClosed) return;
          const stripUsage = (ex.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage !== true;
          ex.relay = new SseRelay(stripUsage, true);
          res.writeHead(s, headers(ctype, 'cache-control', 'no-cache'));
          res.flushHeaders();
        } else mode = 'buffer';
      },
      onData(chunk) {
        if (mode === 'stream') {
          if (ex.clientClosed) return true;
          const out = ex.relay!.feed(chunk);
          if (ex.ttftMs === undefined && ex.relay!.sawContent) ex.ttftMs = p.clock() - ex.t0;
          if (!out) return true;
          const ok = res.write(up.untrusted.redact(out));
          if (!ok) res.once('drain', () => f.resume());
          return ok;
        }
        size += chunk.length;
        if (size > (mode === 'fail' ? FAIL_KEEP : up.maxResponseBytes)) {
          if (mode === 'fail') return true; // enough of an error body
          f.abort(Object.assign(new Error(`the response passed ${up.maxResponseBytes} bytes`), { code: 'HOLY_TOO_LARGE' }));
          return true;
        }
        chunks.push(chunk);
        return true;
      },
      onEnd() {
        if (mode === 'fail') {
          const text = up.untrusted.redact(Buffer.concat(chunks).toString('utf8'));
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          return settle({ kind: 'failed', cls: statusClass(status, parsed), beforeHeaders: true, status, text, ...(retryAfter ? { retryAfter } : {}) });
        }
        if (mode === 'stream') {
          if (!ex.clientClosed) {
            const rest = ex.relay!.end();
            res.end(rest ? up.untrusted.redact(rest) : undefined);
          }
          ex.httpStatus = status;
          ex.status = ex.clientClosed ? 'client_closed' : 'ok';
          ex.usage = ex.relay!.usage;
          const m = ex.relay!.model;
          if (m) ex.modelServed = up.untrusted.line(m, 200);
          return settle({ kind: 'sent' });
        }
        // Buffered: a non-streamed answer, or a 4xx that is the client's to read.
        const text = up.untrusted.redact(Buffer.concat(chunks).toString('utf8'));
        ex.httpStatus = status;
        if (ex.clientClosed) {
          ex.status = 'client_closed';
          return settle({ kind: 'sent' });
        }
        ex.status = status < 400 ? 'ok' : 'error';
        if (status < 400) ex.answer = text;
        else ex.error = up.untrusted.line(text, 500);
        res.writeHead(status, headers(ctype || 'application/json', 'content-length', Buffer.byteLength(text)));
        res.end(text);
        settle(status < 400 ? { kind: 'sent' } : { kind: 'sent', cls: statusClass(status, undefined) });
      },
      onError(err, _phase, timedOut) {
        const cls: ErrorClass = err.code === 'HOLY_TOO_LARGE' ? 'too_large' : transportClass(err, timedOut);
        if (ex.clientClosed) {
          ex.status = 'client_closed';
          ex.httpStatus = status || 499;
          if (mode === 'stream') ex.usage = ex.relay?.usage;
          return settle({ kind: 'sent' });
        }
        if (mode === 'stream') {
          // Mid-stream: too late to fall back. A clean SSE error event, then the end — never a hang.
          ex.status = 'upstream_error';
          ex.httpStatus = status;
          ex.code = 'upstream_reset';
          ex.error = `the stream from ${up.name} broke: ${up.untrusted.line(err.message || String(err), 200)}`;
          ex.usage = ex.relay?.usage;
          const ev = errorBody({ message: `The upstream stream from ${up.name} broke mid-answer (${timedOut ? 'no data within the timeout' : 'connection reset'}); the answer is incomplete — retry the request.`, type: 'upstream_error', code: 'upstream_reset' });
          res.end(`data: ${ev}\n\n`);
          return settle({ kind: 'sent', cls });
        }
        if (cls === 'too_large') return settle({ kind: 'failed', cls, beforeHeaders: false, status: 502, text: errorBody({ message: `The answer from ${up.name} was larger than ${up.maxResponseBytes} bytes.`, type: 'upstream_error', code: 'upstream_too_large' }) });
        // mode undefined: before the headers; 'buffer' or 'fail': the body broke after them.
        settle({ kind: 'failed', cls, beforeHeaders: mode === undefined, status: timedOut ? 504 : 502, text: up.untrusted.line(err.message || String(err), 300) });
      },
    });
    onInFlight(f);
  });
}

/** The provider's failure, as the client's answer when nothing is left to fall back to. */
function failureError(r: Failed, provider: string): ApiError {
  if (r.cls === 'http_401' || r.cls === 'proxy_auth') return E.upstream(502, `The provider ${provider} refused the gateway's own credentials (HTTP ${r.status}); the gateway's operator must fix its key for ${provider}.`);
  if (r.beforeHeaders && r.status >= 400 && r.text !== undefined && !/^(connect_error|reset|timeout)$/.test(r.cls)) {
    let parsed: { error?: { message?: unknown; type?: unknown; code?: unknown } } | undefined;
    try {
      parsed = JSON.parse(r.text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const msg = typeof parsed?.error?.message === 'string' ? parsed.error.message.slice(0, 500) : `HTTP ${r.status} from ${provider}`;
    const ra = r.retryAfter !== undefined && /^\d+$/.test(r.retryAfter) ? Number(r.retryAfter) : undefined;
    return {
      status: r.status,
      type: typeof parsed?.error?.type === 'string' ? parsed.error.type : r.status === 429 ? 'requests' : 'upstream_error',
      code: typeof parsed?.error?.code === 'string' ? parsed.error.code : r.status === 429 ? 'rate_limit_exceeded' : 'upstream_error',
      message: msg,
      ...(r.status === 429 ? { retryAfterS: ra ?? 1 } : {}),
    };
  }
  if (r.cls === 'too_large') return E.upstream(502, `The answer from ${provider} was too large for the gateway.`);
  if (r.cls === 'timeout') return E.upstream(504, `The provider ${provider} did not answer in time.`);
  if (!r.beforeHeaders) return E.upstream(502, `The answer from ${provider} broke off before it was complete (${r.text ?? r.cls}); retry the request.`);
  return E.upstream(502, `The gateway could not reach the provider ${provider} (${r.text ?? r.cls}).`);
}

/** Tell the provider's breaker what the attempt says about its health (fallback.ts's table). */
function report(b: Breakers, provider: string, cls: ErrorClass | undefined): Promise<void> | undefined {
  const v = breakerVerdict(cls);
  return v === 'success' ? b.success(provider) : v === 'failure' ? b.failure(provider) : undefined;
}

/** The request's route: cutover's plan when present, else the route's primary with its fallback. */
type Arms = readonly { readonly provider: string; readonly arm: 'primary' | 'canary' | 'fallback' }[];
/** Arms by plan: a plan object the cutover (or the config) hands out again and again gets the same arms, built once. */
const armsOf = new WeakMap<RoutePlan, Arms>();
const configPlans = new WeakMap<GatewayConfig, RoutePlan>();
async function route(live: Live, p: Parts, ex: Exchange): Promise<Arms> {
  let plan: RoutePlan;
  if (p.cutover) plan = await p.cutover.plan(typeof ex.body.user === 'string' ? { tenant: ex.tenant, user: ex.body.user } : { tenant: ex.tenant });
  else {
    let known = configPlans.get(live.config);
    if (!known) configPlans.set(live.config, (known = { provider: live.config.route.primary, arm: 'primary', fallback: live.config.route.fallback }));
    plan = known;
  }
  let arms = armsOf.get(plan);
  if (!arms) {
    const a: { provider: string; arm: 'primary' | 'canary' | 'fallback' }[] = [{ provider: plan.provider, arm: plan.arm }];
    if (plan.fallback && plan.fallback !== plan.provider) a.push({ provider: plan.fallback, arm: 'fallback' });
    armsOf.set(plan, (arms = a));
  }
  return arms;
}

/** Serve one authenticated chat or embeddings request. Never throws. */
export async function proxy(
  live: Live,
  p: Parts,
  req: IncomingMessage,
  res: ServerResponse,
  o: { rid: string; t0: number; startedAt: number; tenant: string; limits: TenantLimits; endpoint: 'chat' | 'embeddings'; body: Record<string, unknown>; bytes: number },
): Promise<void> {
  const asked = o.body.model;
  if (typeof asked !== 'string' || !asked) return sendError(res, E.badRequest('The request has no "model"; name the model to call, e.g. "model": "gpt-4o-mini".', 'model', 'missing_model'), { 'x-request-id': o.rid });
  if (o.endpoint === 'chat' && !Array.isArray(o.body.messages)) return sendError(res, E.badRequest('The request has no "messages" list; send the conversation as "messages": [{"role": "user", "content": "…"}].', 'messages', 'missing_messages'), { 'x-request-id': o.rid });
  const ex: Exchange = {
    rid: o.rid,
    t0: o.t0,
    startedAt: o.startedAt,
    tenant: o.tenant,
    limits: o.limits,
    endpoint: o.endpoint,
    body: o.body,
    modelAsked: asked,
    modelServed: servedModel(live.config.modelMap, asked),
    provider: '',
    arm: 'primary',
    fallback: false,
    stream: o.endpoint === 'chat' && o.body.stream === true,
    est: 0,
    status: 'ok',
    httpStatus: 0,
    clientClosed: false,
    quotaHeaders: {},
  };
  // Made only when a request has to queue for a slot (the scheduler's fast path needs no signal).
  let ac: AbortController | undefined;
  let inflight: InFlight | undefined;
  res.once('close', () => {
    if (res.writableFinished) return;
    ex.clientClosed = true;
    ac?.abort(new Error('client closed'));
    inflight?.abort(new Error('client closed'));
  });
  const refuse = (e: ApiError, status: LedgerStatus) => {
    ex.status = status;
    ex.httpStatus = e.status;
    ex.code = e.code ?? undefined;
    ex.error = e.message;
    sendError(res, e, { ...ex.quotaHeaders, 'x-request-id': ex.rid });
  };
  try {
    const refusal = planRefusal(o.limits, o.endpoint, o.body, ex.modelAsked, ex.modelServed);
    if (refusal) return refuse(refusal, 'refused');
    ex.est = estimateRequestTokens(o.endpoint, o.body, o.limits.maxTokens);
    // The breakers the route can start with (its primary, a canary's candidate) are read while the quota is
    // checked: called in the same tick, on the Redis store they are one script, one round trip (docs/scaling.md).
    // At most two: the route's primary and a canary's candidate (no Map per request).
    const primary = live.config.route.primary;
    const candidate = live.config.route.canary?.provider;
    let seenPrimary: Promise<BreakerRead | undefined> | undefined;
    let seenCandidate: Promise<BreakerRead | undefined> | undefined;
    if (live.breakers.read) {
      seenPrimary = live.breakers.read(primary);
      seenPrimary.catch(ignore); // awaited below, or dropped with a refusal
      if (candidate !== undefined && candidate !== primary) {
        seenCandidate = live.breakers.read(candidate);
        seenCandidate.catch(ignore);
      }
    }
    const routed = route(live, p, ex);
    routed.catch(ignore); // awaited below, or dropped with a refusal
    let q: QuotaDecision | undefined;
    try {
      // The store applies storeDown itself (gateway/store/index.ts, docs/scaling.md): "open" answers from this
      // replica's own limits ÷ replicas while Redis is away, "closed" rejects (StoreUnavailable). Asking it even
      // when it is unhealthy is what keeps the limits under "open"; a throw lands here.
      q = await p.quotas.admit(o.limits, ex.est);
    } catch (err) {
      p.log('error', 'quota_failed', { requestId: ex.rid, error: (err as Error).message.slice(0, 200) });
      q = undefined;
    }
    if (!q) {
      // The shared store cannot count: refuse (storeDown "closed", the default) or serve without limits ("open").
      p.metrics.count('store_down', { policy: live.config.storeDown });
      ex.est = 0;
      if (live.config.storeDown === 'closed') return refuse(E.storeDown(), 'error');
    } else {
      ex.quotaHeaders = q.headers;
      if (!q.ok) {
        ex.est = 0; // nothing was counted that settle() must give back
        return refuse(E.rateLimited(q.limit, q.retryAfterS), 'rate_limited');
      }
    }
    const arms = await routed;
    const body = upstreamBody(ex);
    let last: Failed | undefined;
    let failedFrom: string | undefined;
    for (let i = 0; i < arms.length; i++) {
      const arm = arms[i]!;
      const up = live.upstreams.get(arm.provider);
      if (!up) continue;
      // An open breaker skips the provider (circuit_open: fail fast; the fallback, if any, serves instead).
      let allowed: boolean;
      try {
        const seen = i > 0 ? undefined : arm.provider === primary ? seenPrimary : arm.provider === candidate ? seenCandidate : undefined;
        allowed = await live.breakers.allow(arm.provider, seen && (await seen));
      } catch (err) {
        // The breaker's store is unreachable: storeDown decides, as for quotas.
        p.log('error', 'breaker_failed', { requestId: ex.rid, provider: arm.provider, error: (err as Error).message.slice(0, 200) });
        if (live.config.storeDown === 'closed') return refuse(E.storeDown(), 'error');
        allowed = true;
      }
      if (!allowed) {
        p.log('debug', 'breaker_open_skip', { requestId: ex.rid, provider: arm.provider });
        failedFrom ??= arm.provider;
        // A planned provider that could not be tried failed this request too (the canary guard counts it).
        (ex.tried ??= []).push({ provider: arm.provider, httpStatus: 0, error: 'circuit_open', ms: 0 });
        continue;
      }
      ex.provider = arm.provider;
      ex.arm = arm.arm;
      ex.fallback = i > 0;
      if (ex.fallback) ex.fallbackFrom = failedFrom ?? arms[0]!.provider;
      let release: (() => void) | undefined = live.scheduler.tryAcquire?.(arm.provider, ex.tenant);
      try {
        if (!release) {
          if (ex.clientClosed) throw new Error('client closed');
          release = await live.scheduler.acquire(arm.provider, ex.tenant, o.limits.weight, (ac ??= new AbortController()).signal);
        }
      } catch (e) {
        if (ex.clientClosed) {
          ex.status = 'client_closed';
          ex.httpStatus = 499;
          return;
        }
        if (e instanceof QueueTimeout) return refuse(E.queueTimeout(e.waitedMs), 'queue_timeout');
        throw e;
      }
      let outcome: Outcome;
      const at = p.clock();
      try {
        outcome = await attempt(p, ex, up, body, res, (f) => (inflight = f));
      } finally {
        release();
      }
      if (ex.clientClosed && outcome.kind === 'sent' && outcome.cls === undefined) return; // nothing learnt about the provider
      if (outcome.kind === 'sent') {
        // The client has its answer: the breaker hears it with the rest of the bookkeeping (done()).
        ex.verdict = { provider: arm.provider, cls: outcome.cls };
        return;
      }
      await report(live.breakers, arm.provider, outcome.cls);
      (ex.tried ??= []).push({ provider: arm.provider, httpStatus: outcome.status, error: outcome.cls, ms: p.clock() - at });
      last = outcome;
      failedFrom = arm.provider;
      const decision = fallbackDecision({ cls: outcome.cls, beforeHeaders: outcome.beforeHeaders, clientBytes: false });
      const more = decision.fallback && i + 1 < arms.length;
      p.log('warn', 'upstream_failed', { requestId: ex.rid, provider: arm.provider, class: outcome.cls, status: outcome.status, reason: decision.reason, fallback: more });
      if (ex.clientClosed) {
        ex.status = 'client_closed';
        ex.httpStatus = 499;
        return;
      }
      if (!decision.fallback) break;
    }
    if (!last) {
      ex.provider ||= arms[0]!.provider;
      return refuse(E.upstream(503, `No provider is available for this request: the circuit breaker of ${arms.map((a) => a.provider).join(' and ')} is open; retry in a moment.`), 'upstream_error');
    }
    const e = failureError(last, ex.provider);
    ex.status = 'upstream_error';
    ex.httpStatus = e.status;
    ex.code = e.code ?? undefined;
    ex.error = e.message;
    sendError(res, e, { ...ex.quotaHeaders, 'x-request-id': ex.rid, 'x-holy-provider': ex.provider });
  } catch (err) {
    if (err instanceof StoreUnavailable) {
      // storeDown "closed" and Redis away (docs/scaling.md): 503 store_unavailable before any byte; after
      // the answer was sent only this request's breaker bookkeeping is lost, and its row stays as served.
      p.log('warn', 'store_unavailable', { requestId: ex.rid, error: err.why });
      if (!res.headersSent) refuse(E.storeDown(), 'error');
      return;
    }
    p.log('error', 'request_failed', { requestId: ex.rid, error: (err as Error).message });
    ex.status = 'error';
    ex.httpStatus = 500;
    sendError(res, E.internal(), { 'x-request-id': ex.rid });
  } finally {
    done(live, p, ex, res);
  }
}

/** After the client has its answer: usage (estimated off the hot path when upstream sent none), quota settle, ledger, metrics, cutover. */
function done(live: Live, p: Parts, ex: Exchange, res: ServerResponse): void {
  const latencyMs = p.clock() - ex.t0;
  setImmediate(() => {
    // First, so that on Redis the breaker's report, the quota's settle and the canary's counts go out together.
    if (ex.verdict) {
      try {
        report(live.breakers, ex.verdict.provider, ex.verdict.cls)?.catch(ignore);
      } catch {
        // a breaker that throws instead of rejecting must not cost the request its ledger row
      }
    }
    try {
      let usage = ex.usage;
      let estimated = false;
      const served = ex.status === 'ok' || ex.status === 'client_closed' || ex.status === 'upstream_error';
      let parsed: Record<string, unknown> | undefined;
      const wantText = !!p.cutover && ex.endpoint === 'chat' && (p.cutover.wantsText?.() ?? true);
      if (!usage && ex.answer !== undefined) {
        // The usage object sits at the end of an answer: read it alone rather than parse megabytes of embeddings.
        usage = usageAtEnd(ex.answer);
        const m = MODEL_FIELD.exec(ex.answer.slice(0, 4096));
        if (m) ex.modelServed = (JSON.parse(`"${m[1]}"`) as string).slice(0, 200);
        if (!usage || wantText) {
          try {
            parsed = JSON.parse(ex.answer) as Record<string, unknown>;
            usage ??= usageOf(parsed.usage);
          } catch {
            parsed = undefined;
          }
        }
      }
      const needCount = !usage && served && !!ex.provider && ex.httpStatus < 400;
      const answer = wantText || needCount ? (ex.relay ? streamAnswer(ex.relay.kept) : parsed ? chatAnswer(parsed) : undefined) : undefined;
      if (needCount) {
        // Upstream sent no usage: count locally (gpt-tokenizer) and mark the row.
        estimated = true;
        const input = ex.endpoint === 'chat' ? countRequestTokens(ex.body as ChatBody) : countTextTokens(embeddingInput(ex.body.input), ex.modelServed);
        usage = { inputTokens: input, cachedTokens: 0, outputTokens: answer ? countTextTokens(answer.text + answer.toolCalls.map((c) => (c as { function?: { arguments?: string } }).function?.arguments ?? '').join(''), ex.modelServed) : 0 };
      }
      const u = usage ?? { inputTokens: 0, cachedTokens: 0, outputTokens: 0 };
      if (ex.est > 0) void p.quotas.settle(ex.limits, ex.est, u.inputTokens + u.outputTokens).catch(ignore);
      // The ledger prices the row on its writer thread (core/gateway/ledger-cost.ts): no decimal arithmetic here.
      const price = lookupPrice(p.prices, ex.modelServed);
      const row: UnpricedRow = {
        ts: ex.startedAt,
        requestId: ex.rid,
        tenant: ex.tenant,
        endpoint: ex.endpoint,
        modelAsked: ex.modelAsked,
        modelServed: ex.modelServed,
        provider: ex.provider,
        stream: ex.stream,
        inputTokens: u.inputTokens,
        cachedTokens: u.cachedTokens,
        outputTokens: u.outputTokens,
        estimated,
        price: price ? { input: price.input, cachedInput: price.cachedInput, output: price.output } : null,
        cnyRate: cnyRate(live.config, ex.provider),
        status: ex.status,
        httpStatus: ex.httpStatus,
        latencyMs: Math.round(latencyMs * 1000) / 1000,
        fallback: ex.fallback,
        arm: ex.arm,
      };
      // Optional fields are set, not spread in: one object per request instead of a temporary for each.
      if (ex.ttftMs !== undefined) row.ttftMs = Math.round(ex.ttftMs * 1000) / 1000;
      try {
        p.ledger.add(row);
      } catch (err) {
        // Ledger.add never throws by contract; if one does, the request was still served: count and say so loudly.
        p.metrics.count('ledger_lost_rows', {}, 1);
        p.log('error', 'ledger_rows_lost', { rows: 1, requestId: ex.rid, why: (err as Error).message, message: 'LEDGER ROW LOST: the request was served but is not billed' });
      }
      // Absent optional fields are undefined: the metrics ignore them and JSON leaves them out of the log line.
      p.metrics.request({ tenant: ex.tenant, provider: ex.provider || 'none', status: ex.httpStatus, code: ex.code || undefined, seconds: latencyMs / 1000, ttftSeconds: ex.ttftMs === undefined ? undefined : ex.ttftMs / 1000, fallback: ex.fallback, fallbackFrom: ex.fallbackFrom || undefined });
      if (u.inputTokens || u.outputTokens) p.metrics.tokens({ tenant: ex.tenant, provider: ex.provider, input: u.inputTokens, output: u.outputTokens });
      if (p.log.enabled('info'))
        p.log('info', 'request', {
          requestId: ex.rid,
          tenant: ex.tenant,
          endpoint: ex.endpoint,
          model: ex.modelAsked,
          served: ex.modelServed,
          provider: ex.provider || undefined,
          arm: ex.arm,
          fallback: ex.fallback,
          stream: ex.stream,
          status: ex.status,
          http: ex.httpStatus,
          code: ex.code || undefined,
          ms: row.latencyMs,
          ttftMs: row.ttftMs,
          tokens: { input: u.inputTokens, cached: u.cachedTokens, output: u.outputTokens, estimated },
        });
      if (p.cutover && (p.cutover.wantsServed?.() ?? true) && ex.provider && ex.status !== 'refused' && ex.status !== 'rate_limited' && ex.status !== 'queue_timeout') {
        const s: Served = {
          requestId: ex.rid,
          tenant: ex.tenant,
          ...(typeof ex.body.user === 'string' ? { user: ex.body.user } : {}),
          endpoint: ex.endpoint,
          request: { ...ex.body, model: ex.modelServed },
          provider: ex.provider,
          arm: ex.arm,
          modelServed: ex.modelServed,
          ok: ex.status === 'ok',
          httpStatus: ex.httpStatus,
          ...(ex.error ? { error: ex.error } : {}),
          ...(answer && ex.endpoint === 'chat' ? { text: answer.text, toolCalls: answer.toolCalls, ...(answer.finishReason ? { finishReason: answer.finishReason } : {}) } : {}),
          usage: { ...u, estimated },
          ...(ex.ttfbMs !== undefined ? { ttfbMs: ex.ttfbMs } : {}),
          ...(ex.ttftMs !== undefined ? { ttftMs: ex.ttftMs } : {}),
          e2eMs: latencyMs,
          startedAt: ex.startedAt,
          ...(ex.tried ? { tried: ex.tried } : {}),
        };
        // A shadow copy (or a recording) starts once the client's answer has left entirely: a large answer to a
        // slow reader may still be in Node's buffers here.
        const cut = p.cutover;
        if (res.writableFinished || res.destroyed) cut.served(s);
        else res.once('close', () => cut.served(s));
      }
    } catch (err) {
      p.log('error', 'bookkeeping_failed', { requestId: ex.rid, error: (err as Error).message });
    }
  });
}

const MODEL_FIELD = /"model"\s*:\s*"((?:[^"\\]|\\.){1,200})"/;

/** The last "usage" object of a JSON answer, parsed on its own; undefined when absent or not an object. */
export function usageAtEnd(text: string): Usage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const open = text.indexOf('{', at);
  if (open < 0 || text.slice(at + 7, open).trim() !== ':') return undefined;
  let depth = 0;
  let inStr = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inStr = false;
    } else if (c === 34) inStr = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) {
      try {
        return usageOf(JSON.parse(text.slice(open, i + 1)));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function chatAnswer(c: Record<string, unknown>): { text: string; toolCalls: unknown[]; finishReason?: string } | undefined {
  const ch = (c.choices as { message?: { content?: unknown; tool_calls?: unknown[] }; finish_reason?: unknown }[] | undefined)?.[0];
  if (!ch) return undefined;
  return { text: contentText(ch.message?.content), toolCalls: Array.isArray(ch.message?.tool_calls) ? ch.message.tool_calls : [], ...(typeof ch.finish_reason === 'string' ? { finishReason: ch.finish_reason } : {}) };
}

function embeddingInput(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string').join('\n');
  return '';
}
