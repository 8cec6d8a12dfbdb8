/**
 * Prometheus metrics for GET /metrics (docs/gateway-ops.md, "Metrics"), with prom-client on a private
 * Registry (never the global one: a second gateway in the same process, or a test, gets its own).
 *
 * Hot path: request() and tokens() are a few Map lookups, plain additions for the two counters (handed
 * to prom-client at scrape time) and one or two histogram observations on cached label children; the
 * cost is measured in test/gateway/metrics.test.ts.
 * Cardinality: tenant labels only for configured tenants (others "unknown"), every other label value
 * checked against a safe pattern and capped in distinct values ("other" beyond). No key, prompt or
 * upstream message ever becomes a label.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState, Breakers, GatewayStore, Scheduler } from './contract.js';

export interface GatewayMetrics {
  /** One finished request. */
  request(o: {
    tenant: string;
    provider: string;
    status: number;
    code?: string;
    seconds: number;
    ttftSeconds?: number;
    fallback: boolean;
    /** With fallback: the provider that failed first (holy_gateway_fallbacks_total{from}); default "unknown". */
    fallbackFrom?: string;
  }): void;
  tokens(o: { tenant: string; provider: string; input: number; output: number }): void;
  /** Named counters: ledger_lost_rows, shadow_dropped, store_down, ... (the table in docs/gateway-ops.md). */
  count(name: string, labels?: Record<string, string>, by?: number): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
  text(): Promise<string>;
  contentType: string;
  /** Configured tenants changed (SIGHUP reload): only these get their own tenant label. */
  setTenants?(names: Iterable<string>): void;
  /** A breaker moved (wire to createBreakers' onChange): counts the transition and sets the state gauge. */
  breakerChanged?(provider: string, from: BreakerState, to: BreakerState): void;
  /**
   * Read live values at scrape time instead of on the request path: per provider, breaker state
   * (shared store: every replica reports the same), queue depth and in-flight (this replica); store_up.
   */
  watch?(o: { providers: () => Iterable<string>; breakers?: Breakers; scheduler?: Scheduler; store?: GatewayStore }): void;
  /** The private registry (tests, extra metrics). */
  registry?: Registry;
}

export interface MetricsOptions {
  /** Configured tenant names; any other tenant is labelled "unknown". Undefined: any well-formed name, the first 1,000 distinct. */
  tenants?: Iterable<string>;
  /** prom-client's default process and Node metrics (CPU, memory, handles, GC, event loop lag). Default true. */
  defaultMetrics?: boolean;
}

/** Seconds: LLM requests run from tens of ms (cached embeddings) to minutes (long generations). */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120];
/** Seconds to the first token: a finer low end, where relays differ. */
export const TTFT_BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60, 120];

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const P = 'holy_gateway_';
/** A label value that is safe to export: short, no spaces, quotes or control characters. */
const SAFE = /^[A-Za-z0-9_.:@/-]{1,64}$/;
const MAX_VALUES = 1000;

/** Caps one label's distinct values: past `max`, or when not well-formed, a value becomes `other`. */
function labelValues(max: number, other = 'other') {
  const seen = new Set<string>();
  return (v: string | undefined): string => {
    if (v === undefined || v === '') return 'none';
    if (seen.has(v)) return v;
    if (!SAFE.test(v) || seen.size >= max) return other;
    seen.add(v);
    return v;
  };
}

export function createMetrics(o: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (o.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  let tenants: Set<string> | undefined = o.tenants ? new Set(o.tenants) : undefined;
  const anyTenant = labelValues(MAX_VALUES, 'unknown');
  const tenantLabel = (t: string) => (!t ? 'unknown' : tenants ? (tenants.has(t) ? t : 'unknown') : anyTenant(t));
  const providerLabel = labelValues(200);
  const codeLabel = labelValues(200);
  const free = labelValues(MAX_VALUES); // reasons, from/to and other small enumerations from the code

  // The two per-request counters are summed in plain numbers on the request path and handed to
  // prom-client when Prometheus scrapes (collect), one inc() per series instead of one per request.
  const requests = new Counter({ name: `${P}requests_total`, help: 'Requests answered, by tenant, serving provider, HTTP status and error code (none when ok).', labelNames: ['tenant', 'provider', 'status', 'code'], registers, collect: () => flushRequests() });
  const duration = new Histogram({ name: `${P}request_duration_seconds`, help: 'Request duration, start to last byte sent, by serving provider.', labelNames: ['provider'], buckets: DURATION_BUCKETS, registers });
  const ttft = new Histogram({ name: `${P}ttft_seconds`, help: 'Time to first token as the client saw it, by serving provider.', labelNames: ['provider'], buckets: TTFT_BUCKETS, registers });
  const tokens = new Counter({ name: `${P}tokens_total`, help: 'Tokens billed, by tenant, provider and kind (input or output).', labelNames: ['tenant', 'provider', 'kind'], registers, collect: () => flushTokens() });
  const fallbacks = new Counter({ name: `${P}fallbacks_total`, help: 'Requests served by the fallback after the first provider failed before any byte reached the client.', labelNames: ['from', 'to'], registers });
  const breakerState = new Gauge({ name: `${P}breaker_state`, help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.', labelNames: ['provider'], registers });
  const breakerTransitions = new Counter({ name: `${P}breaker_transitions_total`, help: 'Circuit breaker transitions this replica made.', labelNames: ['provider', 'from', 'to'], registers });
  const queueDepth = new Gauge({ name: `${P}queue_depth`, help: 'Requests waiting for a slot on a provider (this replica).', labelNames: ['provider'], registers });
  const inFlight = new Gauge({ name: `${P}in_flight`, help: 'Requests in flight to a provider (this replica).', labelNames: ['provider'], registers });
  const storeUp = new Gauge({ name: `${P}store_up`, help: 'The shared store is reachable: 1 yes, 0 no (the embedded store is always 1).', registers });
  const misuse = new Counter({ name: `${P}metric_misuse_total`, help: 'count()/gauge() calls with a malformed name or past the limit of named metrics (a bug: see docs/gateway-ops.md).', labelNames: ['name'], registers });

  // ---- count()/gauge(): named metrics (the table in docs/gateway-ops.md). A name answers as itself,
  // with `_total` (counters), and as the exported name. A name not in the table is registered on first
  // use (holy_gateway_<name>_total for count, holy_gateway_<name> for gauge) with the labels of that
  // first call, at most MAX_NAMED of them; gauge() on a counter sets its total (monotone: a lower value
  // is ignored), so a part may report a running total it keeps itself (ledger.lost()) instead of deltas.
  type Named =
    | { kind: 'counter'; m: Counter<string>; labels: readonly string[]; totals: Map<string, number> }
    | { kind: 'gauge'; m: Gauge<string>; labels: readonly string[] };
  const named = new Map<string, Named>();
  const alias = (n: Named, ...names: string[]) => {
    for (const x of names) for (const y of [x, `${P}${x}`]) named.set(y, n);
  };
  const defCounter = (short: string, help: string, labels: readonly string[] = [], m?: Counter<string>, ...aliases: string[]): Named => {
    const n: Named = { kind: 'counter', m: m ?? new Counter({ name: `${P}${short}_total`, help, labelNames: labels, registers }), labels, totals: new Map() };
    alias(n, short, `${short}_total`, ...aliases);
    return n;
  };
  const defGauge = (short: string, help: string, labels: readonly string[] = [], m?: Gauge<string>, ...aliases: string[]): Named => {
    const n: Named = { kind: 'gauge', m: m ?? new Gauge({ name: `${P}${short}`, help, labelNames: labels, registers }), labels };
    alias(n, short, ...aliases);
    return n;
  };
  defCounter('ledger_rows', 'Ledger rows written.', [], undefined, 'ledger_written_rows', 'ledger_written');
  defCounter('ledger_lost_rows', 'Ledger rows that could not be written (disk full, database error).', [], undefined, 'ledger_lost');
  defCounter('shadow_dropped', 'Shadow requests not sent, by reason.', ['reason']);
  defCounter('shadow_requests', 'Shadow requests sent, by provider and outcome.', ['provider', 'ok']);
  defCounter('shadow_record_dropped', 'Shadow comparison records not written, by reason.', ['reason']);
  defCounter('record_lines', 'Traffic recording lines written.');
  defCounter('record_dropped', 'Traffic recording lines not written, by reason.', ['reason']);
  defCounter('canary_rollbacks', 'Automatic canary rollbacks, by the guard that fired.', ['reason']);
  defCounter('canary_changes', 'Canary changes made by an operator (percent, promote, rollback).', ['what']);
  defCounter('canary_state_errors', 'Canary state that could not be read from or written to the store.');
  defCounter('canary_guard_errors', 'Canary guard evaluations that failed.');
  defCounter('store_down', 'Times the shared store (Redis) was found unreachable.');
  defCounter('store_fallback', 'Store calls answered by this replica alone while the shared store was down (storeDown "open").', ['op']);
  defCounter('fallbacks', '', ['from', 'to'], fallbacks);
  defCounter('breaker_transitions', '', ['provider', 'from', 'to'], breakerTransitions);
  defGauge('breaker_state', '', ['provider'], breakerState);
  defGauge('queue_depth', '', ['provider'], queueDepth, 'queued', 'queue');
  defGauge('in_flight', '', ['provider'], inFlight);
  defGauge('shadow_in_flight', 'Shadow requests in flight (this replica).');
  defGauge('store_up', '', [], storeUp);
  defGauge('store_replicas', 'Replicas sharing the store, as last counted by their heartbeats.');
  const MAX_NAMED = 100;
  let autoNamed = 0;
  const NAME = /^[a-z][a-z0-9_]{0,62}$/;
  const LABEL = /^[a-z][a-z0-9_]{0,30}$/;
  /** The named metric for `name`, registering an unknown well-formed one on first use; undefined = misuse. */
  const lookup = (name: string, kind: Named['kind'], labels: Record<string, string> | undefined): Named | undefined => {
    const hit = named.get(name);
    if (hit) return hit;
    const short = name.startsWith(P) ? name.slice(P.length) : name;
    if (!NAME.test(short) || autoNamed >= MAX_NAMED) return undefined;
    const names = Object.keys(labels ?? {}).filter((l) => LABEL.test(l)).sort();
    autoNamed++;
    try {
      if (kind === 'counter') return defCounter(short.replace(/_total$/, ''), `${short} (named by the gateway at run time).`, names);
      return defGauge(short, `${short} (named by the gateway at run time).`, names);
    } catch {
      return undefined; // a clash with a metric prom-client already has under that name
    }
  };

  /** The declared labels only (prom-client throws on others), each value checked and capped. */
  const pick = (names: readonly string[], labels: Record<string, string> | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = labels?.[n];
      out[n] = n === 'provider' ? providerLabel(v) : n === 'tenant' ? tenantLabel(v ?? '') : free(v);
    }
    return out;
  };
  const seriesKey = (l: Record<string, string>) => Object.values(l).join('\u0001');

  // Series cached by their joined label values: the request path does no label hashing.
  const reqSeries = new Map<string, { n: number; c: Counter.Internal }>();
  const durChildren = new Map<string, Histogram.Internal<string>>();
  const ttftChildren = new Map<string, Histogram.Internal<string>>();
  const tokSeries = new Map<string, { input: number; output: number; ci: Counter.Internal; co: Counter.Internal }>();
  function flushRequests() {
    for (const s of reqSeries.values()) {
      if (s.n > 0) s.c.inc(s.n);
      s.n = 0;
    }
  }
  function flushTokens() {
    for (const s of tokSeries.values()) {
      if (s.input > 0) s.ci.inc(s.input);
      if (s.output > 0) s.co.inc(s.output);
      s.input = s.output = 0;
    }
  }
  const child = <C>(cache: Map<string, C>, key: string, make: () => C): C => {
    let c = cache.get(key);
    if (c === undefined) {
      c = make();
      cache.set(key, c);
    }
    return c;
  };

  const watched: Array<Parameters<NonNullable<GatewayMetrics['watch']>>[0]> = [];
  // Scrape-time collection: one async pass before the registry renders.
  const collectWatched = async () => {
    for (const w of watched) {
      if (w.store) storeUp.set(w.store.healthy() ? 1 : 0);
      for (const p of w.providers()) {
        const pl = providerLabel(p);
        if (w.scheduler) {
          queueDepth.set({ provider: pl }, w.scheduler.queued(p));
          inFlight.set({ provider: pl }, w.scheduler.inFlight(p));
        }
        if (w.breakers) {
          try {
            breakerState.set({ provider: pl }, BREAKER_STATE_VALUE[await w.breakers.state(p)]);
          } catch {
            // store unreachable: keep the last value; store_up says why
          }
        }
      }
    }
  };

  const m: GatewayMetrics = {
    registry,
    contentType: registry.contentType,

    request(r) {
      const t = tenantLabel(r.tenant);
      const p = providerLabel(r.provider);
      const code = codeLabel(r.code);
      const status = String(r.status);
      child(reqSeries, `${t}\u0001${p}\u0001${status}\u0001${code}`, () => ({ n: 0, c: requests.labels(t, p, status, code) })).n++;
      // prom-client throws on a non-finite value: a bad figure is dropped, the request path never throws
      if (r.seconds >= 0 && r.seconds < Infinity) child(durChildren, p, () => duration.labels(p)).observe(r.seconds);
      if (r.ttftSeconds !== undefined && r.ttftSeconds >= 0 && r.ttftSeconds < Infinity) child(ttftChildren, p, () => ttft.labels(p)).observe(r.ttftSeconds);
      if (r.fallback) fallbacks.inc({ from: providerLabel(r.fallbackFrom ?? 'unknown'), to: p });
    },

    tokens(r) {
      const t = tenantLabel(r.tenant);
      const p = providerLabel(r.provider);
      const s = child(tokSeries, `${t}\u0001${p}`, () => ({ input: 0, output: 0, ci: tokens.labels(t, p, 'input'), co: tokens.labels(t, p, 'output') }));
      if (r.input > 0 && r.input < Infinity) s.input += r.input;
      if (r.output > 0 && r.output < Infinity) s.output += r.output;
    },

    count(name, labels, by = 1) {
      const n = lookup(name, 'counter', labels);
      if (!n) return misuse.inc({ name: free(name) });
      if (!(by >= 0) || !Number.isFinite(by)) return; // counters only go up
      const l = pick(n.labels, labels);
      if (n.kind === 'gauge') return n.m.inc(l, by);
      n.m.inc(l, by);
      const k = seriesKey(l);
      n.totals.set(k, (n.totals.get(k) ?? 0) + by);
    },

    gauge(name, value, labels) {
      const n = lookup(name, 'gauge', labels);
      if (!n) return misuse.inc({ name: free(name) });
      if (!Number.isFinite(value)) return;
      const l = pick(n.labels, labels);
      if (n.kind === 'gauge') return n.m.set(l, value);
      // a counter's running total: add what is new since the last report
      const k = seriesKey(l);
      const before = n.totals.get(k) ?? 0;
      if (value > before) {
        n.m.inc(l, value - before);
        n.totals.set(k, value);
      }
    },

    async text() {
      await collectWatched();
      return registry.metrics();
    },

    setTenants(names) {
      tenants = new Set(names);
      flushRequests();
      flushTokens();
      reqSeries.clear();
      tokSeries.clear();
    },

    breakerChanged(provider, from, to) {
      const p = providerLabel(provider);
      breakerTransitions.inc({ provider: p, from, to });
      breakerState.set({ provider: p }, BREAKER_STATE_VALUE[to]);
    },

    watch(w) {
      watched.push(w);
    },
  };
  return m;
}
