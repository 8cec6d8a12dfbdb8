/** One side of the comparison at run time: its HTTP client, limits, breaker and stats, and how it sends. */
import type { Ctx } from '../../context.js';
import type { HttpSetup } from '../../adapters/http.js';
import { sendChat, type CallOptions } from '../../adapters/provider/index.js';
import { completionText, type CallResult, type ChatBody } from '../../core/chat.js';
import { classifyStatus, retryable, type ErrorClass } from '../../core/bench/classify.js';
import { Breaker, MinuteLimiter } from '../../core/bench/limits.js';
import { ProviderStats, type Outcome } from '../../core/bench/metrics.js';
import { retryWait } from '../../core/bench/retry-wait.js';
import { SideWatch } from '../../core/bench/side-watch.js';
import type { RecordedResponse } from '../../adapters/traffic/types.js';
import type { Untrusted } from '../../core/untrusted.js';

export interface Side {
  role: 'old' | 'new';
  name: string;
  /** null for --old recorded. */
  live: null | { baseURL: string; key: string; headers: Record<string, string>; http: HttpSetup; timeoutMs: number; untrusted: Untrusted; maxBytes?: number };
  limiter: MinuteLimiter;
  breaker: Breaker;
  stats: ProviderStats;
  /** Sends so far (for the breaker's "stopped after N"). */
  sent: number;
  /** Early warnings about this side (made on its first send). */
  watch?: SideWatch;
  /** GET /models was answered by holy mock (its x-holy-mock header): every results line of this side says `simulated`. */
  simulated?: boolean;
}

/** What a send produced: the measurement, the raw call (for the results line) and the body sent. */
export interface Sent {
  outcome: Outcome;
  /** The body as sent (or, for the recorded side, as recorded with the stream setting applied). */
  request: ChatBody;
  call?: CallResult;
  startedAt: number;
  status: number;
  body: unknown;
  errorMessage?: string;
  /**
   * Set when the response carried no usage.completion_tokens: the output text, counted with the
   * local tokenizer off the timing thread once the pair is done (see offload.ts), not here.
   */
  countText?: string;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((ok) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      ok();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Record an output token count (server usage, or the local count done after the pair) and the TPOT it gives. */
export function setOutputTokens(o: Outcome, n: number, source: 'server' | 'local'): void {
  o.outputTokens = n;
  o.outputTokensSource = source;
  const tp = tpot(o.e2eMs, o.ttftMs, n);
  if (tp !== undefined) o.tpotMs = tp;
}

/** TPOT = (E2E − TTFT) / (output tokens − 1), defined for streamed answers of two or more tokens (docs/definitions.md). */
export function tpot(e2e: number | undefined, ttft: number | undefined, tokens: number | undefined): number | undefined {
  if (e2e === undefined || ttft === undefined || tokens === undefined || tokens < 2) return undefined;
  return (e2e - ttft) / (tokens - 1);
}

/**
 * Send `body` to a live side: wait for the --rpm/--tpm window, then try up to 1 + retries times.
 * Latency is that of the final attempt only; retries and their waits are counted separately.
 */
export async function sendLive(
  ctx: Ctx,
  side: Side,
  body: ChatBody,
  o: { intendedAt?: number; estTokens: number; retries: number; promptLocal: number; signal: AbortSignal; warn?: (text: string) => void; remainingMs?: () => number | undefined },
): Promise<Sent> {
  const live = side.live!;
  const watch = (side.watch ??= new SideWatch(`${side.role} (${side.name})`, side.breaker.threshold));
  const stream = body.stream === true;
  const startedAt = ctx.now();
  if (side.breaker.open) {
    return { outcome: failed('circuit_open', body.model, stream, ctx.clock()), request: body, startedAt, status: 0, body: null, errorMessage: `not sent: ${side.name} stopped after ${side.breaker.openedAfter} requests (--abort-after)` };
  }
  let intendedAt = o.intendedAt;
  if (side.limiter.active) {
    const now = ctx.clock();
    const at = side.limiter.reserve(now, o.estTokens);
    await sleep(at - now, o.signal);
    // The client-side limit is the user's choice, not the provider's latency: measure from the slot.
    if (intendedAt !== undefined) intendedAt = Math.max(intendedAt, at);
  }
  let retries = 0;
  let retryWaitMs = 0;
  let cappedWaits = 0;
  let call: CallResult;
  let startMs: number;
  for (;;) {
    startMs = intendedAt ?? ctx.clock();
    const opts: CallOptions = { dispatcher: live.http.dispatcher, baseURL: live.baseURL, key: live.key, headers: live.headers, body, timeoutMs: live.timeoutMs, signal: o.signal, clock: ctx.clock, now: ctx.now, untrusted: live.untrusted };
    if (live.maxBytes !== undefined) opts.maxBytes = live.maxBytes;
    if (intendedAt !== undefined) opts.intendedAt = intendedAt;
    call = await sendChat(opts);
    if (call.ok || retries >= o.retries || !retryable(call.errorClass!) || o.signal.aborted) break;
    const w = retryWait({ retryAfterMs: call.retryAfterMs, attempt: retries, timeoutMs: live.timeoutMs, remainingMs: o.remainingMs?.() });
    const note = watch.capped(w);
    if (note) o.warn?.(note);
    if (w.capped) cappedWaits++;
    if (!w.retry) break;
    retries++;
    retryWaitMs += w.waitMs;
    await sleep(w.waitMs, o.signal);
    intendedAt = undefined; // a retry's latency counts from its own send
  }
  side.sent++;
  side.breaker.record(call.ok, side.sent);
  const down = watch.record(call.ok, call.errorClass);
  if (down) o.warn?.(down);
  const model = String(body.model);
  // Plain assignments (no conditional spreads): this runs once per request.
  const outcome: Outcome = { ok: call.ok, itl: call.itl, stream, sentModel: model, retries, retryWaitMs, startMs, endMs: startMs + (call.e2eMs ?? 0), promptTokensLocal: o.promptLocal };
  if (call.errorClass) outcome.errorClass = call.errorClass;
  if (cappedWaits) outcome.cappedWaits = cappedWaits;
  if (call.ttfbMs !== undefined) outcome.ttfbMs = call.ttfbMs;
  if (call.ttftMs !== undefined) outcome.ttftMs = call.ttftMs;
  if (call.e2eMs !== undefined) outcome.e2eMs = call.e2eMs;
  if (call.responseModel) outcome.responseModel = call.responseModel;
  if (stream) outcome.usageSeen = call.usageSeen;
  const sent: Sent = { outcome, call, request: body, startedAt, status: call.status, body: call.completion ?? null };
  if (call.errorMessage) sent.errorMessage = call.errorMessage;
  if (call.ok) {
    if (typeof call.usage?.prompt_tokens === 'number') outcome.promptTokens = call.usage.prompt_tokens;
    if (typeof call.usage?.completion_tokens === 'number') setOutputTokens(outcome, call.usage.completion_tokens, 'server');
    else sent.countText = completionText(call.completion, 'tokens');
  }
  return sent;
}

function failed(cls: ErrorClass, model: string, stream: boolean, at: number): Outcome {
  return { ok: false, errorClass: cls, itl: [], stream, sentModel: model, retries: 0, retryWaitMs: 0, startMs: at, endMs: at };
}

/** The recorded baseline as if it had been measured now (--old recorded): timings only when recorded. */
export function fromRecorded(ctx: Ctx, body: ChatBody, rec: RecordedResponse | undefined, promptLocal: number, recordedAt?: number): Sent {
  const model = String(body.model);
  const stream = body.stream === true;
  const at = ctx.clock();
  if (!rec) return { outcome: failed('not_recorded', model, stream, at), request: body, startedAt: recordedAt ?? ctx.now(), status: 0, body: null, errorMessage: 'no recorded response for this request' };
  const b = rec.body as { model?: string; usage?: { prompt_tokens?: number; completion_tokens?: number }; choices?: unknown[]; error?: { code?: string; type?: string } } | undefined;
  const ok = rec.status > 0 && rec.status < 400 && !rec.error && !!b && Array.isArray(b.choices);
  const outcome: Outcome = { ok, itl: [], stream, sentModel: model, retries: 0, retryWaitMs: 0, startMs: NaN, endMs: NaN, promptTokensLocal: promptLocal };
  if (rec.ttftMs !== undefined) outcome.ttftMs = rec.ttftMs;
  if (rec.e2eMs !== undefined) outcome.e2eMs = rec.e2eMs;
  // A results line recorded against holy mock says so (`"simulated": true`), failed answers included.
  if (rec.simulated) outcome.simulated = true;
  if (!ok) {
    // The live client's rule, so the same 429 lands in the same class on both sides.
    outcome.errorClass = rec.status >= 400 ? classifyStatus(rec.status, rec.error?.code ? { error: rec.error } : b) : (rec.error?.code ?? 'recorded_error');
  } else {
    if (typeof b!.usage?.prompt_tokens === 'number') outcome.promptTokens = b!.usage.prompt_tokens;
    if (b!.model) outcome.responseModel = b!.model;
    // holy mock's fingerprint: a recording made against the simulator is still a simulation.
    if ((b as { system_fingerprint?: unknown }).system_fingerprint === 'fp_holymock') outcome.simulated = true;
    if (typeof b!.usage?.completion_tokens === 'number') setOutputTokens(outcome, b!.usage.completion_tokens, 'server');
    else return { outcome, request: body, startedAt: recordedAt ?? ctx.now(), status: rec.status, body: rec.body ?? null, countText: completionText(b, 'tokens') };
  }
  return { outcome, request: body, startedAt: recordedAt ?? ctx.now(), status: rec.status, body: rec.body ?? null, ...(rec.error ? { errorMessage: rec.error.message } : {}) };
}
