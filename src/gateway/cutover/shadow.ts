/**
 * The shadow: a sampled copy of served chat requests sent to another provider after the client has
 * its answer, and each pair written as holy results lines (old = what the client got, new = the
 * shadow's answer), so `holy bench shadow.jsonl --old recorded --new recorded` compares them without
 * sending anything (docs/cutover.md, "Shadow").
 *
 * Never on the client's path: served() returns at once and the copy starts on a later turn of the
 * event loop. Bounded: at most maxInFlight copies at a time, and at most maxCostUSDPerDay of list-price
 * spend per UTC day (exact decimals, kept in the store so replicas share one budget); a copy over either
 * is dropped and counted (`shadow_dropped{reason}`), never queued.
 */
import { sendChat } from '../../adapters/provider/index.js';
import type { CallResult } from '../../core/chat.js';
import { Decimal } from '../../core/decimal.js';
import { costUSD, lookupPrice, type PriceTable } from '../../core/prices.js';
import type { Untrusted } from '../../core/untrusted.js';
import type { GatewayStore, Served, ShadowConfig } from '../contract.js';
import { callLine, cleanLine, servedLine, type RotatingFile } from './recorder.js';
import type { CutoverLog, CutoverMetrics, Upstreams } from './types.js';

/** Spend is counted in the store as whole pico-dollars (1e-12 USD): exact for list prices with up to six decimals per 1M tokens. */
const PICO = new Decimal('1e12');

/** The UTC day of a wall-clock time: the cost cap's period. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** How a shadow copy is sent (wire.ts by default; tests may replace it). */
export type ShadowSend = (provider: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<CallResult>;

export interface ShadowOptions {
  config: ShadowConfig;
  store: GatewayStore;
  prices: PriceTable;
  metrics: CutoverMetrics;
  log: CutoverLog;
  clock: () => number;
  now: () => number;
  /** Where the pairs go (0600, rotated); undefined = counted only. */
  file?: RotatingFile;
  /** Patterns masked in prompts and answers before they are written. */
  redact?: RegExp[];
  untrusted?: Untrusted;
  upstreams?: Upstreams;
  send?: ShadowSend;
  random?: () => number;
}

export type DropReason = 'in_flight' | 'cost_cap' | 'unpriced' | 'no_upstream' | 'closing';

export class Shadow {
  private inFlightN = 0;
  private seq = 0;
  private readonly ac = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private cfg: ShadowConfig;
  /** Counters for GET /admin/route and tests. */
  readonly counts = { sampled: 0, sent: 0, ok: 0, failed: 0, dropped: {} as Partial<Record<DropReason, number>> };

  constructor(private readonly o: ShadowOptions) {
    this.cfg = o.config;
  }

  get provider(): string {
    return this.cfg.provider;
  }

  /** A reloaded config (percent, caps; the provider too). */
  reconfigure(c: ShadowConfig): void {
    this.cfg = c;
  }

  inFlight(): number {
    return this.inFlightN;
  }

  private drop(reason: DropReason): void {
    this.counts.dropped[reason] = (this.counts.dropped[reason] ?? 0) + 1;
    this.o.metrics.count('shadow_dropped', { reason });
  }

  /** One served request: maybe copy it. Returns at once; never throws. */
  mirror(s: Served): void {
    try {
      const c = this.cfg;
      if (s.endpoint !== 'chat' || s.arm === 'canary' || s.provider === c.provider) return;
      if ((this.o.random ?? Math.random)() * 100 >= c.percent) return;
      this.counts.sampled++;
      if (this.ac.signal.aborted) return this.drop('closing');
      if (this.inFlightN >= c.maxInFlight) return this.drop('in_flight');
      this.inFlightN++;
      this.o.metrics.gauge('shadow_in_flight', this.inFlightN);
      // A later turn of the loop: nothing of the copy runs before the caller's own code continues.
      const p = new Promise<void>((ok) => setImmediate(ok))
        .then(() => this.copy(s, c))
        .catch((e) => this.o.log('warn', 'shadow_error', { error: (e as Error).message }))
        .finally(() => {
          this.inFlightN--;
          this.o.metrics.gauge('shadow_in_flight', this.inFlightN);
          this.pending.delete(p);
        });
      this.pending.add(p);
    } catch (e) {
      this.o.log('warn', 'shadow_error', { error: (e as Error).message });
    }
  }

  private costKey(): string {
    return `cutover:shadow:cost:${this.cfg.provider}:${utcDay(this.o.now())}`;
  }

  private async copy(s: Served, c: ShadowConfig): Promise<void> {
    const row = lookupPrice(this.o.prices, s.modelServed) ?? lookupPrice(this.o.prices, String(s.request.model ?? ''));
    if (c.maxCostUSDPerDay !== undefined) {
      if (!row) return this.drop('unpriced');
      const spent = Number((await this.o.store.get(this.costKey())) ?? '0');
      if (new Decimal(spent).div(PICO).gte(new Decimal(c.maxCostUSDPerDay))) return this.drop('cost_cap');
    }
    const send = this.o.send ?? this.wireSend();
    if (!send) return this.drop('no_upstream');
    const body: Record<string, unknown> = { ...s.request };
    if (body.stream === true) body.stream_options = { ...(typeof body.stream_options === 'object' && body.stream_options ? (body.stream_options as object) : {}), include_usage: true };
    const startedAt = this.o.now();
    this.counts.sent++;
    const r = await send(c.provider, body, this.ac.signal);
    // Cut off by close(): not a measurement of the shadow, so neither counted as its failure nor written.
    if (this.ac.signal.aborted) return this.drop('closing');
    if (r.ok) this.counts.ok++;
    else this.counts.failed++;
    this.o.metrics.count('shadow_requests', { provider: c.provider, ok: String(r.ok) });
    if (row && r.usage) {
      const cached = (r.usage as { prompt_tokens_details?: { cached_tokens?: number } }).prompt_tokens_details?.cached_tokens ?? 0;
      const usd = costUSD(row, { input: r.usage.prompt_tokens ?? 0, cached, output: r.usage.completion_tokens ?? 0 });
      const pico = usd.times(PICO).ceil().toNumber();
      if (pico > 0) await this.o.store.incr(this.costKey(), pico, 2 * 24 * 3600_000);
    }
    if (this.o.file) {
      const n = ++this.seq;
      const src = { file: 'gateway-shadow', line: n };
      const model = typeof s.request.model === 'string' ? s.request.model : s.modelServed;
      const res = this.o.redact ?? [];
      // Both halves of the pair, one after the other: bench joins them on the request id.
      this.o.file.write(cleanLine(servedLine(s, 'old', src), res, this.o.untrusted));
      this.o.file.write(cleanLine(callLine(r, body, { id: s.requestId, provider: c.provider, startedAt, model, ...src }), res, this.o.untrusted));
    }
  }

  /** The default sender: wire.ts with the shadow provider's own key and dispatcher (never the client's headers). */
  private wireSend(): ShadowSend | undefined {
    const up = this.o.upstreams;
    if (!up) return undefined;
    return (provider, body, signal) => {
      const u = up.get(provider);
      if (!u) return Promise.resolve({ ok: false, status: 0, stream: body.stream === true, itl: [], usageSeen: false, errorClass: 'connect_error', errorMessage: `no upstream named ${provider}` });
      return sendChat({
        dispatcher: u.dispatcher, baseURL: u.baseURL, ...(u.key ? { key: u.key } : {}), ...(u.headers ? { headers: u.headers } : {}), body, timeoutMs: u.timeoutMs, signal,
        clock: this.o.clock, now: this.o.now, ...(u.untrusted ? { untrusted: u.untrusted } : {}), ...(u.maxBytes ? { maxBytes: u.maxBytes } : {}),
      }).catch((e: Error) => ({ ok: false, status: 0, stream: body.stream === true, itl: [], usageSeen: false, errorClass: 'reset' as const, errorMessage: e.message }));
    };
  }

  /** Wait for the copies in flight (tests). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await this.o.file?.idle();
  }

  /** Stop: copies in flight are given `graceMs` to finish, then aborted. */
  async close(graceMs = 2000): Promise<void> {
    if (this.pending.size) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.pending]), new Promise<void>((ok) => (t = setTimeout(ok, graceMs)))]);
      clearTimeout(t);
    }
    this.ac.abort(new Error('gateway closing'));
    await Promise.allSettled([...this.pending]);
    await this.o.file?.close();
  }
}
