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
import { Decimal } from '../../core/decimal.js';
import type { PriceTable } from '../../core/prices.js';
import type { Untrusted } from '../../core/untrusted.js';
import type { GatewayStore, Served, ShadowConfig } from '../contract.js';
import type { RotatingFile } from './recorder.js';
import { copyPrice, PICO, runCopy, type CopyJob, type ShadowSend } from './shadow-copy.js';
import type { CutoverLog, CutoverMetrics, Upstreams } from './types.js';

export type { ShadowSend } from './shadow-copy.js';

const DAY_MS = 86_400_000;

/** The UTC day of a wall-clock time: the cost cap's period. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

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
  /** Spend not yet added to the store (one INCR per key per turn of the loop, not one per copy). */
  private readonly spendQueued = new Map<string, number>();
  private day: { from: number; provider: string; key: string } | undefined;
  private sender: ShadowSend | undefined;
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
      const p = this.copy(s, c)
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

  /** The store key of today's spend (the day's bounds kept, so a copy does not format a date). */
  private costKey(): string {
    const now = this.o.now();
    const provider = this.cfg.provider;
    const k = this.day;
    if (k && now >= k.from && now < k.from + DAY_MS && k.provider === provider) return k.key;
    this.day = { from: Math.floor(now / DAY_MS) * DAY_MS, provider, key: `cutover:shadow:cost:${provider}:${utcDay(now)}` };
    return this.day.key;
  }

  private async copy(s: Served, c: ShadowConfig): Promise<void> {
    if (c.maxCostUSDPerDay !== undefined) {
      if (!copyPrice(this.o.prices, s)) return this.drop('unpriced');
      const key = this.costKey();
      const spent = Number((await this.o.store.get(key)) ?? '0') + (this.spendQueued.get(key) ?? 0);
      if (new Decimal(spent).div(PICO).gte(new Decimal(c.maxCostUSDPerDay))) return this.drop('cost_cap');
    }
    const send = this.o.send ?? (this.sender ??= this.wireSend());
    if (!send) return this.drop('no_upstream');
    // A later turn of the loop: nothing of the copy runs before the caller's own code continues.
    await new Promise<void>((ok) => setImmediate(ok));
    const job: CopyJob = { served: s, provider: c.provider, seq: this.o.file ? ++this.seq : 0 };
    this.counts.sent++;
    const r = await runCopy(job, { send, signal: this.ac.signal, now: this.o.now, prices: this.o.prices, redact: this.o.redact ?? [], ...(this.o.untrusted ? { untrusted: this.o.untrusted } : {}) });
    // Cut off by close(): not a measurement of the shadow, so neither counted as its failure nor written.
    if (r.aborted || this.ac.signal.aborted) return this.drop('closing');
    if (r.ok) this.counts.ok++;
    else this.counts.failed++;
    this.o.metrics.count('shadow_requests', { provider: c.provider, ok: String(r.ok) });
    if (r.pico > 0) this.addSpend(r.pico);
    if (r.lines !== undefined) this.o.file?.write(r.lines, 2);
  }

  /** Spend is added to the store once per key per turn of the loop, however many copies ended in it. */
  private addSpend(pico: number): void {
    const key = this.costKey();
    const first = this.spendQueued.size === 0;
    this.spendQueued.set(key, (this.spendQueued.get(key) ?? 0) + pico);
    if (!first) return;
    const p: Promise<void> = new Promise<void>((ok) => setImmediate(ok))
      .then(async () => {
        const batch = [...this.spendQueued];
        this.spendQueued.clear();
        for (const [k, n] of batch) await this.o.store.incr(k, n, 2 * 24 * 3600_000);
      })
      .catch((e) => this.o.log('warn', 'shadow_error', { error: (e as Error).message }))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
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
