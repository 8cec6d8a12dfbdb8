/**
 * Per-provider circuit breakers (docs/gateway-ops.md, "Circuit breaker").
 *
 * closed → `failures` consecutive failures → open → `coolDownMs` later → half-open: exactly one probe
 * request is let through (across every replica sharing the store) → its success closes the breaker,
 * its failure opens it for another cool-down.
 *
 * ALL state lives in the GatewayStore, read on every call: no in-process cache, so a breaker tripped
 * by one replica is open on every other replica from their next allow() (Redis store: the next
 * request). read() lets a request read the state while its quota is being checked (on Redis, one
 * script for both: the proxy calls both in the same tick) and hand it to allow():
 * the state is then the one read at that request's admission, never a copy kept between requests.
 * Keys, for provider P:
 *   breaker:P:fails            consecutive failures while closed (incr; deleted on a success or a trip)
 *   breaker:P:until            ms timestamp (the injected clock) when the cool-down ends; absent = closed.
 *                              now < until: open; now ≥ until: half-open.
 *   breaker:P:probe:<until>    the half-open probe's lease (setIfAbsent): one per cool-down, so the
 *                              first caller after the cool-down wins and a re-open starts a new lease.
 * Store operations per request on a closed breaker: read() (or allow() alone) 1 read of both keys
 * (getMany: one MGET on Redis), allow(p, read) none; success() 1 read of both keys (a DEL only when a
 * failure count was pending); failure() 1 GET + 1 INCR.
 */
import type { BreakerRead, BreakerState, Breakers, GatewayStore } from './contract.js';

export interface BreakerOptions {
  /** Consecutive failures that open a closed breaker (≥ 1). */
  failures: number;
  /** How long an opened breaker refuses before it lets one probe through. */
  coolDownMs: number;
  /** Injected clock (ms); default Date.now. Replicas compare `until` with their own clocks: keep them NTP-synced. */
  now?: () => number;
  /**
   * How long one half-open probe may stay unanswered before another caller may probe (a replica that
   * died mid-probe, or a probe that was never sent, must not leave the breaker half-open for ever).
   * Default: coolDownMs. Uses the store's own expiry.
   */
  probeTtlMs?: number;
  /** Called on every transition this process makes or observes first (logging, metrics). Never awaited; a throw is ignored. */
  onChange?: (provider: string, from: BreakerState, to: BreakerState) => void;
  /**
   * success() and failure() never reject (they run after the client has its answer; a lost count is
   * better than an unhandled rejection): a store error is handed here instead. allow() and state()
   * do reject with the store's error (StoreUnavailable under storeDown "closed"), for the caller's policy.
   */
  onError?: (provider: string, err: unknown) => void;
}

const LATER = Object.freeze({ later: true });

/** How long breaker keys live in the store with no traffic at all (cleanup only; a day). */
const STATE_TTL_MS = 24 * 60 * 60 * 1000;

export function createBreakers(store: GatewayStore, o: BreakerOptions): Breakers {
  if (!Number.isInteger(o.failures) || o.failures < 1) throw new RangeError(`breaker failures must be an integer ≥ 1, got ${o.failures}`);
  if (!(o.coolDownMs > 0)) throw new RangeError(`breaker coolDownMs must be > 0, got ${o.coolDownMs}`);
  const now = o.now ?? Date.now;
  const probeTtlMs = o.probeTtlMs ?? o.coolDownMs;
  // Built once per provider (a handful, from the config): every request reads them.
  const keyCache = new Map<string, { fails: string; until: string; both: string[]; probe(until: number): string }>();
  const keys = (p: string) => {
    let k = keyCache.get(p);
    if (!k) {
      const until = `breaker:${p}:until`;
      const fails = `breaker:${p}:fails`;
      keyCache.set(p, (k = { fails, until, both: [until, fails], probe: (u: number) => `breaker:${p}:probe:${u}` }));
    }
    return k;
  };
  const changed = (p: string, from: BreakerState, to: BreakerState) => {
    try {
      o.onChange?.(p, from, to);
    } catch {
      // a logger's or metric's bug must not break the request path
    }
  };
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const readUntil = async (p: string): Promise<number | undefined> => num(await store.get(keys(p).until));
  /** `until` and `fails` in one step when the store can (Redis: one MGET). Not async: no frame of its own. */
  const readPair = (p: string, later?: boolean): Promise<Array<string | undefined>> => {
    const k = keys(p);
    return store.getMany ? store.getMany(k.both, later ? LATER : undefined) : Promise.all([store.get(k.until), store.get(k.fails)]);
  };
  const readBoth = async (p: string): Promise<BreakerRead> => {
    const [until, fails] = await readPair(p);
    return { provider: p, until: num(until), fails: fails !== undefined };
  };
  const stateAt = (until: number | undefined, t: number): BreakerState => (until === undefined ? 'closed' : t < until ? 'open' : 'half-open');

  return {
    // Without getMany (a store that has none) a read of `until` alone is what allow() needs.
    read: (p) => (store.getMany ? readBoth(p) : readUntil(p).then((until) => ({ provider: p, until }))),

    async allow(p, seen) {
      const until = seen && seen.provider === p ? seen.until : await readUntil(p);
      if (until === undefined) return true;
      if (now() < until) return false;
      // half-open: the first caller to take this cool-down's lease is the probe, everyone else waits
      const won = await store.setIfAbsent(keys(p).probe(until), String(now()), probeTtlMs);
      if (won) changed(p, 'open', 'half-open');
      return won;
    },

    // A store error is handed to onError, never rejected (see BreakerOptions.onError).
    success: (p) => settleSuccess(p).catch((err: unknown) => heard(p, err)),
    failure: (p) => settleFailure(p).catch((err: unknown) => heard(p, err)),

    async state(p) {
      return stateAt(await readUntil(p), now());
    },
  };

  function heard(p: string, err: unknown): void {
    try {
      o.onError?.(p, err);
    } catch {
      // as for onChange
    }
  }

  async function settleSuccess(p: string): Promise<void> {
    const k = keys(p);
    // `later`: a success changes something only after failures or a trip; on Redis its read may wait a few
    // ms to share the round trip of other bookkeeping or the next admission.
    const [untilText, failsText] = await readPair(p, true);
    const until = num(untilText);
    const fails = failsText !== undefined;
    if (until === undefined) {
      if (fails) await store.del(k.fails);
      return;
    }
    // open: a request let through before the trip finished late; it proves nothing about now
    if (now() < until) return;
    // half-open: the probe (or any call after the cool-down) succeeded: the provider is back
    await Promise.all([store.del(k.until), store.del(k.fails), store.del(k.probe(until))]);
    changed(p, 'half-open', 'closed');
  }

  async function settleFailure(p: string): Promise<void> {
    const k = keys(p);
    const until = await readUntil(p);
    const t = now();
    if (until !== undefined) {
      if (t < until) return; // already open: a late failure of a request sent before the trip
      // half-open: the probe failed; another full cool-down
      await store.set(k.until, String(t + o.coolDownMs), STATE_TTL_MS);
      changed(p, 'half-open', 'open');
      return;
    }
    const n = await store.incr(k.fails, 1, STATE_TTL_MS);
    if (n < o.failures) return;
    // Trip. setIfAbsent: when several requests (or replicas) cross the threshold together, one opens it.
    if (await store.setIfAbsent(k.until, String(t + o.coolDownMs), STATE_TTL_MS)) {
      await store.del(k.fails);
      changed(p, 'closed', 'open');
    }
  }
}
