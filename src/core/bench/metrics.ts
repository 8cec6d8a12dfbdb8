/** Per-provider and per-pair accumulators: numeric samples only, so 100k requests stay small. */
import { Samples } from './samples.js';

/** What one request (one provider, one traffic item) came to, as the engine measured it. */
export interface Outcome {
  ok: boolean;
  errorClass?: string;
  ttfbMs?: number;
  ttftMs?: number;
  e2eMs?: number;
  itl: readonly number[];
  tpotMs?: number;
  outputTokens?: number;
  outputTokensSource?: 'server' | 'local';
  promptTokens?: number;
  promptTokensLocal?: number;
  /** Streaming request: whether the server sent the usage chunk we asked for. */
  usageSeen?: boolean;
  stream: boolean;
  /** The model we sent and the one the response named. */
  sentModel: string;
  responseModel?: string;
  retries: number;
  retryWaitMs: number;
  /** Retry waits cut short because the server asked for longer than the run allows (see core/bench/retry-wait). */
  cappedWaits?: number;
  /** Monotonic start and end (ms), for throughput. */
  startMs: number;
  endMs: number;
  /** The response names itself as holy mock's (a recorded answer carries no header to tell). */
  simulated?: boolean;
}

export interface SLO {
  ttftMs?: number;
  e2eMs?: number;
}

/**
 * Whether a successful request met every SLO given. A TTFT SLO applies only where a TTFT exists:
 * a non-streamed answer has none, so it is held to the E2E SLO alone rather than counted as failing.
 */
function meetsSlo(o: Outcome, slo: SLO): boolean {
  if (!o.ok) return false;
  if (slo.ttftMs !== undefined && o.ttftMs !== undefined && o.ttftMs > slo.ttftMs) return false;
  if (slo.e2eMs !== undefined && !(o.e2eMs !== undefined && o.e2eMs <= slo.e2eMs)) return false;
  return true;
}

/** Everything measured for one provider. */
export class ProviderStats {
  readonly ttfb = new Samples();
  readonly ttft = new Samples();
  readonly e2e = new Samples();
  readonly itl = new Samples(256);
  readonly tpot = new Samples();
  total = 0;
  ok = 0;
  errors: Record<string, number> = {};
  outputTokens = 0;
  tokenSource = { server: 0, local: 0 };
  promptTokensServer = 0;
  promptTokensLocal = 0;
  promptCounted = 0;
  streamedOk = 0;
  usageSeen = 0;
  retries = 0;
  retriedRequests = 0;
  retryWaitMs = 0;
  cappedWaits = 0;
  good = 0;
  modelEcho: Record<string, number> = {};
  /** Successful requests a TTFT SLO was applied to (those with a TTFT). */
  sloTtftApplied = 0;
  /** Tokens of successful requests per model sent (server counts, else local), for the cost per request. */
  usage = new Map<string, { requests: number; promptTokens: number; outputTokens: number }>();
  /** Responses that named themselves as holy mock's. */
  simulated = 0;
  firstStart = Infinity;
  lastEnd = -Infinity;

  constructor(readonly name: string, readonly role: 'old' | 'new', readonly recorded = false) {}

  add(o: Outcome, slo: SLO): void {
    this.total++;
    if (o.retries) {
      this.retries += o.retries;
      this.retriedRequests++;
      this.retryWaitMs += o.retryWaitMs;
    }
    if (o.cappedWaits) this.cappedWaits += o.cappedWaits;
    if (Number.isFinite(o.startMs)) this.firstStart = Math.min(this.firstStart, o.startMs);
    if (Number.isFinite(o.endMs)) this.lastEnd = Math.max(this.lastEnd, o.endMs);
    // A failed answer from holy mock is still a simulation (a recorded line can say so without a fingerprint).
    if (o.simulated) this.simulated++;
    if (!o.ok) {
      const cls = o.errorClass ?? 'unknown';
      this.errors[cls] = (this.errors[cls] ?? 0) + 1;
      return;
    }
    this.ok++;
    if (o.ttfbMs !== undefined) this.ttfb.push(o.ttfbMs);
    if (o.ttftMs !== undefined) this.ttft.push(o.ttftMs);
    if (o.e2eMs !== undefined) this.e2e.push(o.e2eMs);
    for (const g of o.itl) this.itl.push(g);
    if (o.tpotMs !== undefined) this.tpot.push(o.tpotMs);
    if (o.outputTokens !== undefined && o.outputTokensSource) {
      this.outputTokens += o.outputTokens;
      this.tokenSource[o.outputTokensSource]++;
    }
    if (o.promptTokens !== undefined && o.promptTokensLocal !== undefined) {
      this.promptTokensServer += o.promptTokens;
      this.promptTokensLocal += o.promptTokensLocal;
      this.promptCounted++;
    }
    if (o.stream) {
      this.streamedOk++;
      if (o.usageSeen) this.usageSeen++;
    }
    if (meetsSlo(o, slo)) this.good++;
    if (slo.ttftMs !== undefined && o.ttftMs !== undefined) this.sloTtftApplied++;
    let u = this.usage.get(o.sentModel);
    if (!u) this.usage.set(o.sentModel, (u = { requests: 0, promptTokens: 0, outputTokens: 0 }));
    u.requests++;
    u.promptTokens += o.promptTokens ?? o.promptTokensLocal ?? 0;
    u.outputTokens += o.outputTokens ?? 0;
    if (o.responseModel && o.responseModel !== o.sentModel && !o.responseModel.startsWith(o.sentModel + '-')) {
      const k = `${o.sentModel} → ${o.responseModel}`;
      this.modelEcho[k] = (this.modelEcho[k] ?? 0) + 1;
    }
  }

  /** Seconds from the first send to the last byte. */
  elapsedS(): number {
    return this.lastEnd > this.firstStart ? (this.lastEnd - this.firstStart) / 1000 : 0;
  }
}

/** Paired (same request, both providers succeeded) deltas new − old, and server token counts side by side. */
export class PairStats {
  readonly dTtft = new Samples();
  readonly dE2e = new Samples();
  pairs = 0;
  bothOk = 0;
  tokens = { n: 0, oldPrompt: 0, newPrompt: 0, oldCompletion: 0, newCompletion: 0 };

  add(oldO: Outcome, newO: Outcome): void {
    this.pairs++;
    if (!oldO.ok || !newO.ok) return;
    this.bothOk++;
    if (oldO.ttftMs !== undefined && newO.ttftMs !== undefined) this.dTtft.push(newO.ttftMs - oldO.ttftMs);
    if (oldO.e2eMs !== undefined && newO.e2eMs !== undefined) this.dE2e.push(newO.e2eMs - oldO.e2eMs);
    if (oldO.promptTokens !== undefined && newO.promptTokens !== undefined && oldO.outputTokensSource === 'server' && newO.outputTokensSource === 'server') {
      this.tokens.n++;
      this.tokens.oldPrompt += oldO.promptTokens;
      this.tokens.newPrompt += newO.promptTokens;
      this.tokens.oldCompletion += oldO.outputTokens ?? 0;
      this.tokens.newCompletion += newO.outputTokens ?? 0;
    }
  }
}
