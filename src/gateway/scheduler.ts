/**
 * Weighted fair scheduling per provider (docs/gateway-quotas.md, "Fair scheduling").
 *
 * Each provider has at most `maxInFlight` requests in flight. Beyond that, requests wait, and a
 * freed slot goes to the waiter with the smallest start tag of start-time fair queueing (SFQ,
 * Goyal et al. 1996): a tenant's request is tagged start = max(V, tenant's previous finish) and
 * finish = start + 1/weight, and V (virtual time) is the start tag of the request last released.
 * So under contention tenants share the slots in proportion to their weights, a tenant's own
 * requests stay in arrival order, and a tenant that was idle starts at V — it neither banks credit
 * while idle nor waits behind another tenant's backlog: a burst of 500 from one tenant queues
 * behind nothing of anyone else's and delays everyone else by at most its share.
 *
 * Costs: O(1) when a slot is free; O(log n) to queue and to release (binary heaps). One timer for
 * the whole scheduler, armed for the earliest queue deadline and only while something waits; no
 * timer per request. An aborted or timed-out waiter is marked and dropped when it reaches the top
 * of a heap (heaps are compacted when marked entries outnumber live ones).
 */
import { QueueTimeout, type Release, type Scheduler } from './contract.js';

/** Timer functions: setTimeout/clearTimeout by default; tests pass a virtual clock's. */
export interface SchedulerTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SchedulerOptions {
  /** Requests in flight per provider before requests queue. */
  maxInFlight: number;
  /** How long a request may wait for a slot before it is refused with QueueTimeout. */
  queueTimeoutMs: number;
  /** Monotonic ms (default performance.now). */
  clock?: () => number;
  timers?: SchedulerTimers;
}

/** The scheduler plus `resize` (a config reload changing maxInFlight or the queue wait limit). */
export interface FairScheduler extends Scheduler {
  resize(maxInFlight: number, queueTimeoutMs?: number): void;
}

// ---------------------------------------------------------------- a binary min-heap
class Heap<T> {
  items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      this.down(0);
    }
    return top;
  }
  /** Keep only the items that pass, in O(n). */
  filter(keep: (x: T) => boolean): void {
    this.items = this.items.filter(keep);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }
  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}

// ---------------------------------------------------------------- state
interface Waiter {
  lane: Lane;
  tenant: string;
  /** SFQ tags. */
  start: number;
  finish: number;
  seq: number;
  enqueuedAt: number;
  deadline: number;
  queued: boolean;
  resolve: (r: Release) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Lane {
  inFlight: number;
  /** Live waiters (marked ones excluded). */
  queued: number;
  heap: Heap<Waiter>;
  /** Virtual time: the start tag of the request last released. */
  v: number;
  /** Each tenant's last finish tag while the lane has waiters. */
  last: Map<string, number>;
}

const byTag = (a: Waiter, b: Waiter) => a.start < b.start || (a.start === b.start && a.seq < b.seq);
const byDeadline = (a: Waiter, b: Waiter) => a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
/** Rebuild a heap when marked entries exceed this many plus twice the live ones. */
const COMPACT_SLACK = 64;
const MAX_TIMER_MS = 2_147_483_647;

const realTimers: SchedulerTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function createScheduler(o: SchedulerOptions): FairScheduler {
  const clock = o.clock ?? (() => performance.now());
  const timers = o.timers ?? realTimers;
  let maxInFlight = slots(o.maxInFlight);
  let queueTimeoutMs = waitLimit(o.queueTimeoutMs);
  const lanes = new Map<string, Lane>();
  const deadlines = new Heap<Waiter>(byDeadline);
  let totalQueued = 0;
  let seq = 0;
  let timer: unknown;
  let timerAt = Infinity;

  /** A wait limit in ms; anything but a number ≥ 0 means none (Infinity). */
  function waitLimit(ms: number): number {
    return typeof ms === 'number' && ms >= 0 ? ms : Infinity;
  }

  function slots(n: number): number {
    return Number.isFinite(n) ? Math.max(1, Math.floor(n)) : n > 0 ? Infinity : 1;
  }

  function lane(provider: string): Lane {
    let l = lanes.get(provider);
    if (!l) lanes.set(provider, (l = { inFlight: 0, queued: 0, heap: new Heap(byTag), v: 0, last: new Map() }));
    return l;
  }

  function releaser(l: Lane): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      l.inFlight--;
      dispatch(l);
    };
  }

  /** A waiter leaves the queue (released, timed out or aborted). */
  function leave(w: Waiter, released: boolean): void {
    w.queued = false;
    const l = w.lane;
    l.queued--;
    totalQueued--;
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    if (released) l.v = w.start;
    else if (l.last.get(w.tenant) === w.finish) l.last.set(w.tenant, w.start); // its share goes back to its tenant
    if (l.queued === 0) {
      // Everyone is served: virtual time moves past every finish tag and the tags are forgotten.
      for (const f of l.last.values()) if (f > l.v) l.v = f;
      l.last.clear();
      l.heap.filter(() => false);
    } else if (l.heap.size > 2 * l.queued + COMPACT_SLACK) l.heap.filter((x) => x.queued);
    if (totalQueued === 0) {
      deadlines.filter(() => false);
      disarm();
    } else if (deadlines.size > 2 * totalQueued + COMPACT_SLACK) deadlines.filter((x) => x.queued);
  }

  function dispatch(l: Lane): void {
    while (l.inFlight < maxInFlight && l.queued > 0) {
      const w = l.heap.pop();
      if (!w || !w.queued) continue;
      leave(w, true);
      l.inFlight++;
      w.resolve(releaser(l));
    }
  }

  function disarm(): void {
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
    timerAt = Infinity;
  }

  function arm(): void {
    let top = deadlines.peek();
    while (top && !top.queued) {
      deadlines.pop();
      top = deadlines.peek();
    }
    if (!top || top.deadline === Infinity) return disarm(); // no wait limit: nothing to time out
    if (timer !== undefined && timerAt <= top.deadline) return;
    disarm();
    timerAt = top.deadline;
    // setTimeout takes at most 2^31-1 ms (longer fires at once); a far deadline re-arms when this fires.
    timer = timers.set(sweep, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(top.deadline - clock()))));
  }

  function sweep(): void {
    timer = undefined;
    timerAt = Infinity;
    const now = clock();
    for (let w = deadlines.peek(); w && (!w.queued || w.deadline <= now); w = deadlines.peek()) {
      deadlines.pop();
      if (!w.queued) continue;
      leave(w, false);
      w.reject(new QueueTimeout(now - w.enqueuedAt));
    }
    arm();
  }

  return {
    acquire(provider: string, tenant: string, weight: number, signal?: AbortSignal): Promise<Release> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const l = lane(provider);
      if (l.inFlight < maxInFlight && l.queued === 0) {
        l.inFlight++;
        return Promise.resolve(releaser(l));
      }
      return new Promise<Release>((resolve, reject) => {
        const w8 = Number.isFinite(weight) && weight > 0 ? weight : 1;
        const prev = l.last.get(tenant);
        const start = prev !== undefined && prev > l.v ? prev : l.v;
        const now = clock();
        const w: Waiter = { lane: l, tenant, start, finish: start + 1 / w8, seq: seq++, enqueuedAt: now, deadline: now + queueTimeoutMs, queued: true, resolve, reject };
        l.last.set(tenant, w.finish);
        l.queued++;
        totalQueued++;
        l.heap.push(w);
        deadlines.push(w);
        if (signal) {
          w.signal = signal;
          w.onAbort = () => {
            if (!w.queued) return;
            leave(w, false);
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        arm();
      });
    },
    tryAcquire(provider: string): Release | undefined {
      const l = lane(provider);
      if (l.inFlight >= maxInFlight || l.queued > 0) return undefined;
      l.inFlight++;
      return releaser(l);
    },
    queued: (provider) => lanes.get(provider)?.queued ?? 0,
    inFlight: (provider) => lanes.get(provider)?.inFlight ?? 0,
    resize(n: number, timeoutMs?: number): void {
      maxInFlight = slots(n);
      if (timeoutMs !== undefined) queueTimeoutMs = waitLimit(timeoutMs);
      for (const l of lanes.values()) dispatch(l);
    },
  };
}
