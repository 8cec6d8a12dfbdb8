/**
 * The canary: a share of requests served by the candidate, sticky by tenant / user / none, and a guard
 * that compares the candidate with the primary over a rolling window and rolls back on a breach.
 *
 * Shared state (docs/cutover.md, "Several replicas"): the route state (share, state, last change) and
 * the guard's window counters live in the GatewayStore, so a rollback on one replica stops the canary
 * on all of them. plan() reads the route state through a cache of at most `cacheMs` (1 s): a per-request
 * store read would put one Redis round trip on every request's path, and one second is the longest a
 * replica keeps sending to a candidate another replica rolled back.
 */
import { createHash } from 'node:crypto';
import type { CanaryConfig, CanaryGuard, GatewayStore, RouteConfig, RoutePlan, Served } from '../contract.js';
import type { CutoverLog, CutoverMetrics, Notify } from './types.js';

/** Buckets of the share: 0..9999, so a percent has two decimals (0.01 % is one bucket). */
export const BUCKETS = 10_000;

/** The bucket of a sticky key: the first 4 bytes of its SHA-256, mod 10,000. The same key always lands in the same bucket. */
export function bucketOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % BUCKETS;
}

/** Is this bucket on the candidate at `percent`? Raising the percent only adds buckets, so earlier members stay. */
export function onCandidate(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * 100);
}

/** The sticky key of a request: tenant, the request's `user` (its tenant when the request names none), or none (each request drawn anew). */
export function stickyKey(sticky: CanaryConfig['sticky'], req: { tenant: string; user?: string }): string | undefined {
  if (sticky === 'tenant') return `tenant:${req.tenant}`;
  if (sticky === 'user') return req.user ? `user:${req.tenant}:${req.user}` : `tenant:${req.tenant}`;
  return undefined;
}

// ---------------------------------------------------------------- the guard's window

/** Counts of one arm over the window: requests, errors, and requests slower than maxP99Ms. */
export interface ArmCounts {
  n: number;
  errors: number;
  slow: number;
}

export interface Breach {
  kind: 'error_rate' | 'p99';
  reason: string;
}

/**
 * The guard's rule (pure). Nothing happens before the candidate has minRequests in the window. A
 * breach is the candidate over a limit AND worse than the primary over the same window (a fault that
 * hits both sides is not the candidate's, and rolling back would not help). p99 > maxP99Ms is tested as
 * "more than 1 % of the requests took longer than maxP99Ms", which is the same statement and needs only
 * counters (shared across replicas as plain increments).
 */
export function checkGuard(g: CanaryGuard, cand: ArmCounts, prim: ArmCounts): Breach | undefined {
  if (cand.n < g.minRequests || cand.n === 0) return undefined;
  const rate = (c: ArmCounts, k: 'errors' | 'slow') => (c.n ? c[k] / c.n : 0);
  const ce = rate(cand, 'errors');
  const pe = rate(prim, 'errors');
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  if (ce > g.maxErrorRate && ce > pe) {
    return { kind: 'error_rate', reason: `candidate error rate ${pct(ce)} (${cand.errors} of ${cand.n}) over maxErrorRate ${pct(g.maxErrorRate)}; primary ${pct(pe)} (${prim.errors} of ${prim.n}) in the same window` };
  }
  const cs = rate(cand, 'slow');
  const ps = rate(prim, 'slow');
  if (cs > 0.01 && cs > ps) {
    return { kind: 'p99', reason: `candidate p99 over maxP99Ms ${g.maxP99Ms} ms: ${cand.slow} of ${cand.n} requests (${pct(cs)}) took longer; primary ${prim.slow} of ${prim.n} (${pct(ps)})` };
  }
  return undefined;
}

/** Does this answer count as the provider's failure? No answer, 5xx, 408 and 429; other 4xx are the request's own fault. */
export function isProviderFailure(httpStatus: number): boolean {
  return httpStatus === 0 || httpStatus >= 500 || httpStatus === 408 || httpStatus === 429;
}

/** The rolling window: SLICES counters per arm in the store, keyed by the wall-clock slice, expiring after the window. */
export const SLICES = 10;

export class GuardWindow {
  readonly sliceMs: number;
  constructor(private readonly store: GatewayStore, private readonly prefix: string, private readonly guard: CanaryGuard, private readonly now: () => number) {
    this.sliceMs = Math.max(1, Math.ceil(guard.windowMs / SLICES));
  }
  private key(epoch: number, arm: 'canary' | 'primary', slice: number, f: keyof ArmCounts): string {
    return `${this.prefix}:w:${epoch}:${arm}:${slice}:${f}`;
  }
  /** Count one answer (store increments; a slice's keys expire once the window has passed it). */
  async add(epoch: number, arm: 'canary' | 'primary', failed: boolean, latencyMs: number): Promise<void> {
    const slice = Math.floor(this.now() / this.sliceMs);
    const ttl = this.guard.windowMs + 2 * this.sliceMs;
    const ops = [this.store.incr(this.key(epoch, arm, slice, 'n'), 1, ttl)];
    if (failed) ops.push(this.store.incr(this.key(epoch, arm, slice, 'errors'), 1, ttl));
    if (latencyMs > this.guard.maxP99Ms) ops.push(this.store.incr(this.key(epoch, arm, slice, 'slow'), 1, ttl));
    await Promise.all(ops);
  }
  /** The last SLICES slices (the current one included): the window rolls one slice at a time. */
  async read(epoch: number, arm: 'canary' | 'primary'): Promise<ArmCounts> {
    const cur = Math.floor(this.now() / this.sliceMs);
    const c: ArmCounts = { n: 0, errors: 0, slow: 0 };
    const reads: Promise<void>[] = [];
    for (let s = cur - SLICES + 1; s <= cur; s++) {
      for (const f of ['n', 'errors', 'slow'] as const) {
        reads.push(this.store.get(this.key(epoch, arm, s, f)).then((v) => void (c[f] += v ? Number(v) || 0 : 0)));
      }
    }
    await Promise.all(reads);
    return c;
  }
}

// ---------------------------------------------------------------- the route state

export type CanaryStateName = 'canary' | 'rolled-back' | 'promoted';

export interface RouteChange {
  /** Wall clock (ms since epoch). */
  at: number;
  who: string;
  what: string;
  why: string;
}

/** The shared route state (one JSON value in the store). */
export interface RouteState {
  primary: string;
  candidate: string;
  percent: number;
  state: CanaryStateName;
  /** A new epoch starts a fresh guard window (after a rollback the old failures must not fire it again). */
  epoch: number;
  version: number;
  last: RouteChange;
  /** The last few changes, newest first. */
  history: RouteChange[];
  /** The guard's last breach: why it rolled back and the window it saw. */
  breach?: { kind: Breach['kind']; reason: string; at: number; candidate: ArmCounts; primary: ArmCounts; reactionMs?: number; failuresSeen?: number };
}

export type RouteCommand = { percent: number } | { promote: true } | { rollback: true };

const HISTORY = 10;

export interface CanaryOptions {
  store: GatewayStore;
  route: RouteConfig;
  /** Monotonic ms (the state cache, reaction times). */
  clock: () => number;
  /** Wall clock ms (window slices shared across replicas, change times). */
  now: () => number;
  log: CutoverLog;
  metrics: CutoverMetrics;
  notify?: Notify;
  /** The longest plan() trusts its copy of the route state; default 1000 ms. */
  cacheMs?: number;
  /** [0,1) draws for sticky "none" (tests inject a seeded one). */
  random?: () => number;
  /** The longest between two guard checks while the candidate serves without failing; default 1000 ms. */
  checkEveryMs?: number;
}

/** The canary arm of the route: plan(), the guard fed by served(), and the admin changes. */
export class Canary {
  private route: RouteConfig;
  private cfg: CanaryConfig | undefined;
  private window: GuardWindow | undefined;
  private cache: { st: RouteState | undefined; at: number } | undefined;
  private loading: Promise<RouteState | undefined> | undefined;
  private checking = false;
  private again = false;
  private lastCheck = -Infinity;
  /** Wall clock of this replica's last failed or slow candidate answer. */
  private lastBad = -Infinity;
  /** This replica's first failed or slow candidate answer still in the window (clock ms) and those seen since: the reaction time. */
  private firstBad: { epoch: number; at: number; count: number } | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  /** The plan of a request the candidate does not serve: built once per route, read by every request (never changed). */
  private primaryPlan!: Readonly<RoutePlan>;
  /** …and of one it serves, and of every request once promoted (with a canary configured). */
  private candidatePlan: Readonly<RoutePlan> | undefined;
  private promotedPlan: Readonly<RoutePlan> | undefined;

  constructor(private readonly o: CanaryOptions) {
    this.route = o.route;
    this.setConfig(o.route);
  }

  private setConfig(route: RouteConfig): void {
    this.route = route;
    this.cfg = route.canary;
    this.primaryPlan = { provider: route.primary, arm: 'primary', ...(route.fallback ? { fallback: route.fallback } : {}) };
    const c = route.canary;
    this.candidatePlan = c ? { provider: c.provider, arm: 'canary', fallback: route.primary } : undefined;
    this.promotedPlan = c ? { provider: c.provider, arm: 'primary', fallback: route.fallback && route.fallback !== c.provider ? route.fallback : route.primary } : undefined;
    this.window = this.cfg ? new GuardWindow(this.o.store, this.key(), this.cfg.guard, this.o.now) : undefined;
    this.cache = undefined;
  }

  /** The store key of this primary → candidate pair (a new candidate starts from its config). */
  key(): string {
    return `cutover:route:${this.route.primary}:${this.cfg?.provider ?? ''}`;
  }

  get configured(): boolean {
    return !!this.cfg;
  }

  /** Whether observe() does anything: a configured canary that is not closed (else the gateway need not build what it observes). */
  get observing(): boolean {
    return !!this.cfg && !this.closed;
  }

  /** First start: the config's share unless a replica (or an earlier run on Redis) already holds a state for this pair. */
  async init(): Promise<void> {
    if (!this.cfg) return;
    const st = this.fresh(this.cfg.percent, { who: 'config', what: `start at ${this.cfg.percent} %`, why: 'gateway started' }, 1);
    const set = await this.o.store.setIfAbsent(this.key(), JSON.stringify(st), 365 * 24 * 3600_000).catch(() => false);
    if (set) this.o.log('info', 'canary_start', { primary: st.primary, candidate: st.candidate, percent: st.percent });
    this.cache = undefined;
  }

  private fresh(percent: number, c: Omit<RouteChange, 'at'>, epoch: number, prev?: RouteState): RouteState {
    const last = { at: this.o.now(), ...c };
    return {
      primary: this.route.primary, candidate: this.cfg!.provider, percent, state: 'canary', epoch, version: (prev?.version ?? 0) + 1,
      last, history: [last, ...(prev?.history ?? [])].slice(0, HISTORY),
    };
  }

  /** The route state, at most cacheMs old; a store that fails keeps the last copy (and logs). */
  async state(): Promise<RouteState | undefined> {
    if (!this.cfg) return undefined;
    const c = this.cache;
    if (c && this.o.clock() - c.at < (this.o.cacheMs ?? 1000)) return c.st;
    this.loading ??= this.read().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async read(): Promise<RouteState | undefined> {
    try {
      const raw = await this.o.store.get(this.key());
      const st = raw ? (JSON.parse(raw) as RouteState) : undefined;
      this.cache = { st, at: this.o.clock() };
      return st;
    } catch (e) {
      this.o.log('warn', 'canary_state_unreadable', { error: (e as Error).message });
      this.o.metrics.count('canary_state_errors');
      // Keep serving on the last known state for another cache period.
      this.cache = { st: this.cache?.st, at: this.o.clock() };
      return this.cache.st;
    }
  }

  /** Which provider serves this request. */
  async plan(req: { tenant: string; user?: string }, random: () => number = this.o.random ?? Math.random): Promise<RoutePlan> {
    // The plans of this route, taken before the await: a reload meanwhile applies from the next request.
    const { primaryPlan: primary, candidatePlan: candidate, promotedPlan: promoted, cfg } = this;
    if (!cfg || !candidate || !promoted) return primary;
    const st = await this.state();
    if (!st) return primary;
    if (st.state === 'promoted') return promoted;
    if (st.state !== 'canary' || st.percent <= 0) return primary;
    const key = stickyKey(cfg.sticky, req);
    const bucket = key === undefined ? Math.floor(random() * BUCKETS) : bucketOf(key);
    return onCandidate(bucket, st.percent) ? candidate : primary;
  }

  /** One served request: feed the guard (never throws; the store work runs after the client has its answer). */
  observe(s: Served): void {
    const cfg = this.cfg;
    if (!cfg || this.closed) return;
    if (!this.cache) {
      this.track(this.state().then((st) => st && this.observeIn(cfg, st, s)));
      return;
    }
    if (this.cache.st) this.observeIn(cfg, this.cache.st, s);
  }

  private observeIn(cfg: CanaryConfig, st: RouteState, s: Served): void {
    if (st.state !== 'canary') return;
    const w = this.window!;
    const adds: Array<{ arm: 'canary' | 'primary'; failed: boolean; ms: number }> = [];
    for (const t of s.tried ?? []) {
      if (t.provider === cfg.provider) adds.push({ arm: 'canary', failed: true, ms: t.ms });
      else if (t.provider === this.route.primary) adds.push({ arm: 'primary', failed: true, ms: t.ms });
    }
    const failed = !s.ok && isProviderFailure(s.httpStatus);
    if (s.provider === cfg.provider) adds.push({ arm: 'canary', failed, ms: s.e2eMs });
    else if (s.provider === this.route.primary) adds.push({ arm: 'primary', failed, ms: s.e2eMs });
    if (!adds.length) return;
    const nBad = adds.filter((a) => a.arm === 'canary' && (a.failed || a.ms > cfg.guard.maxP99Ms)).length;
    if (nBad) {
      // The breach began with the first bad answer still in the window: an older one starts the count anew.
      if (this.firstBad?.epoch !== st.epoch || this.o.clock() - this.firstBad.at > cfg.guard.windowMs) this.firstBad = { epoch: st.epoch, at: this.o.clock(), count: 0 };
      this.firstBad.count += nBad;
      this.lastBad = this.o.now();
    }
    // A breach needs a failed or slow candidate answer in the window: while this replica has seen one,
    // every candidate answer is checked (one check at a time); otherwise at most every checkEveryMs.
    const bad = nBad > 0 || (adds.some((a) => a.arm === 'canary') && this.o.now() - this.lastBad <= cfg.guard.windowMs);
    this.track(
      Promise.all(adds.map((a) => w.add(st.epoch, a.arm, a.failed, a.ms)))
        .then(() => {
          // A candidate failure or slow answer may be the breach: check now. Otherwise at most every checkEveryMs (the window rolls too).
          if (bad || this.o.clock() - this.lastCheck >= (this.o.checkEveryMs ?? 1000)) this.check();
        })
        .catch((e) => {
          this.o.metrics.count('canary_guard_errors');
          this.o.log('warn', 'canary_guard_store_error', { error: (e as Error).message });
        }),
    );
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Run the guard; one check at a time, a request that arrives meanwhile asks for one more. */
  check(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    this.lastCheck = this.o.clock();
    this.track(
      this.evaluate()
        .catch((e) => this.o.log('warn', 'canary_guard_error', { error: (e as Error).message }))
        .finally(() => {
          this.checking = false;
          if (this.again && !this.closed) {
            this.again = false;
            this.check();
          }
        }),
    );
  }

  /** Read the window, decide, and roll back on a breach. Resolves with the breach (tests). */
  async evaluate(): Promise<Breach | undefined> {
    const cfg = this.cfg;
    const st = this.cache?.st ?? (await this.state());
    if (!cfg || !st || st.state !== 'canary') return undefined;
    const [cand, prim] = await Promise.all([this.window!.read(st.epoch, 'canary'), this.window!.read(st.epoch, 'primary')]);
    const breach = checkGuard(cfg.guard, cand, prim);
    if (breach) await this.rollbackFor(st, breach, cand, prim);
    return breach;
  }

  private async rollbackFor(seen: RouteState, b: Breach, cand: ArmCounts, prim: ArmCounts): Promise<void> {
    // One replica rolls back per epoch (and notifies once); the others see the new state within cacheMs.
    const won = await this.o.store.setIfAbsent(`${this.key()}:breach:${seen.epoch}`, '1', 7 * 24 * 3600_000);
    if (!won) {
      this.cache = undefined;
      return;
    }
    const cur = (await this.readNow()) ?? seen;
    if (cur.state !== 'canary' || cur.epoch !== seen.epoch) return;
    const fb = this.firstBad?.epoch === seen.epoch ? this.firstBad : undefined;
    const at = this.o.now();
    const reactionMs = fb ? Math.round((this.o.clock() - fb.at) * 1000) / 1000 : undefined;
    const next = this.changed(cur, { percent: 0, state: 'rolled-back' }, { who: 'guard', what: `rollback from ${cur.percent} % to 0 %`, why: b.reason });
    next.breach = { kind: b.kind, reason: b.reason, at, candidate: cand, primary: prim, ...(reactionMs !== undefined ? { reactionMs, failuresSeen: fb!.count } : {}) };
    await this.write(next);
    this.o.metrics.count('canary_rollbacks', { reason: b.kind });
    this.o.log('error', 'canary_rollback', { primary: cur.primary, candidate: cur.candidate, from: cur.percent, why: b.reason, ...(reactionMs !== undefined ? { reactionMs, failuresSeen: fb!.count } : {}) });
    if (this.o.notify) {
      const text = `holy gateway: canary ${cur.candidate} rolled back from ${cur.percent} % to 0 % — ${b.reason}. ${cur.primary} serves all traffic.`;
      try {
        await this.o.notify({ text, holy: { event: 'canary_rollback', primary: cur.primary, candidate: cur.candidate, from: cur.percent, breach: next.breach } });
      } catch (e) {
        this.o.log('warn', 'canary_notify_failed', { error: (e as Error).message });
      }
    }
  }

  private async readNow(): Promise<RouteState | undefined> {
    this.cache = undefined;
    return this.read();
  }

  private changed(cur: RouteState, patch: Partial<RouteState>, c: Omit<RouteChange, 'at'>): RouteState {
    const last = { at: this.o.now(), ...c };
    return { ...cur, ...patch, version: cur.version + 1, last, history: [last, ...cur.history].slice(0, HISTORY) };
  }

  private async write(st: RouteState): Promise<void> {
    await this.o.store.set(this.key(), JSON.stringify(st));
    this.cache = { st, at: this.o.clock() };
  }

  /** An operator's change (admin endpoint, `holy gateway route`) or a reload's: logged with who/what/why. */
  async change(cmd: RouteCommand, who: string, why: string): Promise<RouteState> {
    const cfg = this.cfg;
    if (!cfg) throw new Error('no canary configured');
    const cur = (await this.readNow()) ?? this.fresh(0, { who: 'config', what: 'start at 0 %', why: 'no state in the store' }, 1);
    let next: RouteState;
    if ('rollback' in cmd) next = this.changed(cur, { percent: 0, state: 'rolled-back' }, { who, what: `rollback from ${cur.state === 'promoted' ? 'promoted' : `${cur.percent} %`} to 0 %`, why });
    else if ('promote' in cmd) next = this.changed(cur, { percent: 100, state: 'promoted' }, { who, what: `promote ${cur.candidate} to primary`, why });
    else {
      // Leaving a rollback or a promotion starts a fresh guard window.
      const restart = cur.state !== 'canary';
      next = this.changed(cur, { percent: cmd.percent, state: 'canary', epoch: restart ? cur.epoch + 1 : cur.epoch }, { who, what: `percent ${cur.state === 'canary' ? cur.percent : cur.state} → ${cmd.percent}`, why });
      if (restart) delete next.breach;
    }
    await this.write(next);
    this.o.metrics.count('canary_changes', { what: 'rollback' in cmd ? 'rollback' : 'promote' in cmd ? 'promote' : 'percent' });
    this.o.log('info', 'canary_change', { who, what: next.last.what, why, percent: next.percent, state: next.state });
    return next;
  }

  /** A reloaded config: a changed canary (provider or percent) is applied as a change by "config reload"; an unchanged one keeps the shared state. */
  async reconfigure(route: RouteConfig, why = 'config reloaded (SIGHUP)'): Promise<void> {
    const before = this.cfg;
    const keyBefore = this.key();
    this.setConfig(route);
    const after = this.cfg;
    if (!after) {
      if (before) this.o.log('info', 'canary_removed', { why });
      return;
    }
    if (!before || this.key() !== keyBefore) return this.init();
    if (before.percent !== after.percent) await this.change({ percent: after.percent }, 'config', why);
  }

  /** GET /admin/route: the shared state, this replica's view of the window, the guard's limits. */
  async status(): Promise<Record<string, unknown>> {
    const cfg = this.cfg;
    if (!cfg) return { primary: this.route.primary, ...(this.route.fallback ? { fallback: this.route.fallback } : {}), canary: null };
    const st = await this.readNow();
    const window = st ? { candidate: await this.window!.read(st.epoch, 'canary'), primary: await this.window!.read(st.epoch, 'primary') } : undefined;
    return {
      primary: this.route.primary,
      ...(this.route.fallback ? { fallback: this.route.fallback } : {}),
      canary: {
        provider: cfg.provider, sticky: cfg.sticky, percent: st?.percent ?? 0, state: st?.state ?? 'canary',
        serving: st?.state === 'promoted' ? cfg.provider : this.route.primary,
        guard: { ...cfg.guard, window: window && { ms: cfg.guard.windowMs, ...window, candidateErrorRate: rate(window.candidate.errors, window.candidate.n), primaryErrorRate: rate(window.primary.errors, window.primary.n), candidateOverP99: rate(window.candidate.slow, window.candidate.n), primaryOverP99: rate(window.primary.slow, window.primary.n) } },
        last: st?.last, history: st?.history ?? [], breach: st?.breach ?? null, version: st?.version ?? 0,
      },
    };
  }

  /** Wait until the guard's store work queued so far is done. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stop taking work, then let what is queued finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}

const rate = (a: number, n: number): number | null => (n ? Math.round((a / n) * 10000) / 10000 : null);
