/**
 * Which store the gateway runs on (docs/scaling.md): the embedded one (one process) when
 * `gateway.store` is unset, Redis otherwise, with the `storeDown` policy for a Redis lost while running:
 *
 * - "closed": the Redis store as it is; every call rejects with StoreUnavailable while Redis is away
 *   and the server answers 503 `store_unavailable`.
 * - "open": a wrapper that answers from a local embedded store while Redis is away, with every
 *   limiter's points divided by the replica count (so N replicas together stay near the real limit),
 *   loudly logged once per outage and counted per call (`store_fallback`) in /metrics.
 *
 * Both recover without a restart: ioredis reconnects in the background, and the next call after
 * Redis is back goes to Redis again. An outage is counted once in `store_down`.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { StoreUnavailable, type GatewayConfig, type GatewayStore } from '../contract.js';
import { embeddedStore, memoryWindows } from './embedded.js';
// Type-only: ./redis.js (and ioredis with it) is loaded when a store URL is configured, not by every gateway.
import type { RedisGatewayStore, RedisStoreOptions, StoreEvent } from './redis.js';

export { embeddedStore } from './embedded.js';
export type { RedisGatewayStore, StoreEvent } from './redis.js';

export type LogLevel = 'info' | 'warn' | 'error';
/** The Redis store's own options (onDown/onUp, prefix, timeouts), plus what the policy wrapper needs. */
export interface OpenStoreOptions extends RedisStoreOptions {
  /** Overrides cfg.replicas. */
  replicas?: number;
  clock?: () => number;
  /** Counters store_down (outages), store_fallback (calls answered locally, policy "open"); gauges store_up, store_replicas. */
  metrics?: { count(name: string, labels?: Record<string, string>, by?: number): void; gauge(name: string, value: number, labels?: Record<string, string>): void };
  /** One structured log line (the server's Log: level, event name, fields with a human `message`). */
  log?: (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;
  /** How often a replica tells Redis it is alive (the live replica count); default 5000 ms. 0 = never (tests call heartbeat()). */
  heartbeatMs?: number;
  /** This replica's name in the heartbeat set; default HOSTNAME:PID:random. */
  replicaId?: string;
}

/** The store the server gets: a GatewayStore, plus the replica count its "open" policy divides by. */
export interface OpenedStore extends GatewayStore {
  /** The configured replica count, or the live count last seen in Redis (1 for the embedded store). */
  replicas(): number;
  /** Tell Redis this replica is alive and learn how many are (redis only; the timer calls it too). */
  heartbeat(): Promise<number>;
  /** The underlying Redis store, when there is one. */
  readonly redis?: RedisGatewayStore;
}

/** A replica's heartbeat: its name scored by Redis's own clock (no host clock skew), the stale ones dropped, the live count returned. */
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

export async function openStore(cfg: Pick<GatewayConfig, 'store' | 'storeDown' | 'replicas'>, o: OpenStoreOptions = {}): Promise<OpenedStore> {
  const clock = o.clock ?? Date.now;
  if (cfg.store === undefined) {
    const e = embeddedStore(clock);
    return { ...e, replicas: () => 1, heartbeat: async () => 1 };
  }
  const configured = o.replicas ?? cfg.replicas;
  if (configured !== undefined && !(Number.isInteger(configured) && configured >= 1)) {
    throw new TypeError(`replicas: expected a whole number ≥ 1, got ${configured}`);
  }
  const policy = cfg.storeDown;
  let seen = 1;
  const replicas = () => configured ?? seen;
  let degraded = false;
  const onFallback = (what: string) => {
    o.metrics?.count('store_fallback', { op: what });
    if (!degraded) {
      degraded = true;
      o.log?.('error', 'store_fallback', {
        message: `REDIS STORE UNAVAILABLE: serving with this replica's own limits ÷ ${replicas()} (storeDown "open") until it is back`,
        store: redis.url,
        policy,
        replicas: replicas(),
      });
    }
  };
  const { redisStore } = await import('./redis.js');
  const redis: RedisGatewayStore = await redisStore(cfg.store, {
    prefix: o.prefix,
    connectTimeoutMs: o.connectTimeoutMs,
    commandTimeoutMs: o.commandTimeoutMs,
    maxReconnectDelayMs: o.maxReconnectDelayMs,
    onInsured: policy === 'open' ? () => onFallback('limiter') : undefined,
    onDown: (e) => {
      o.metrics?.count('store_down');
      o.metrics?.gauge('store_up', 0);
      o.log?.('error', 'store_down', {
        message:
          policy === 'open'
            ? `REDIS STORE LOST (${e.why}): serving with this replica's own limits ÷ ${replicas()} (storeDown "open") until it is back`
            : `REDIS STORE LOST (${e.why}): answering 503 store_unavailable (storeDown "closed") until it is back`,
        store: e.url,
        policy,
        replicas: replicas(),
      });
      if (policy === 'open') degraded = true;
      o.onDown?.(e);
    },
    onUp: (e) => {
      degraded = false;
      o.metrics?.gauge('store_up', 1);
      o.log?.('info', 'store_up', { message: 'Redis store is back: shared limits again', store: e.url, policy });
      o.onUp?.(e);
    },
  });
  o.metrics?.gauge('store_up', 1);

  const id = o.replicaId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const hbMs = o.heartbeatMs ?? 5000;
  const hbKey = `${redis.prefix}replicas`;
  const heartbeat = async (): Promise<number> => {
    try {
      const n = Number(await redis.client.eval(HEARTBEAT_LUA, 1, hbKey, id, String(Math.max(3 * hbMs, 3000))));
      if (Number.isInteger(n) && n >= 1) seen = n;
      o.metrics?.gauge('store_replicas', seen);
    } catch {
      // Redis away: keep the count last seen (the "open" policy divides by it).
    }
    return seen;
  };
  await heartbeat();
  const timer = hbMs > 0 ? setInterval(() => void heartbeat(), hbMs) : undefined;
  timer?.unref();
  const closeRedis = async () => {
    if (timer) clearInterval(timer);
    await redis.client.zrem(hbKey, id).catch(() => {});
    await redis.close();
  };

  if (policy === 'closed') return { ...redis, redis, replicas, heartbeat, close: closeRedis };
  return { ...fallbackStore(redis, { replicas, clock, onFallback }), redis, replicas, heartbeat, close: closeRedis };
}

/**
 * The insurance limiter of the "open" policy: this process's memory, its points the configured ones ÷ the
 * replica count as it is when asked (at least 1), so a count learned after the limiter was made still applies.
 */
function scaledLimiter(lo: { keyPrefix: string; points: number; durationS: number }, replicas: () => number): RateLimiterAbstract {
  const l = new RateLimiterMemory({ keyPrefix: lo.keyPrefix, points: lo.points, duration: lo.durationS });
  Object.defineProperty(l, 'points', {
    get: () => Math.max(1, Math.floor(lo.points / Math.max(1, replicas()))),
    set: () => {},
    configurable: true,
  });
  return l;
}

/**
 * The "open" policy: Redis while it answers; a local embedded store while it does not, its limiters at
 * points ÷ replicas (at least 1). Nothing local is copied back: when Redis returns, its own state rules.
 */
export function fallbackStore(
  redis: RedisGatewayStore,
  o: { replicas: () => number; clock?: () => number; onFallback?: (op: string) => void },
): GatewayStore {
  const local = embeddedStore(o.clock ?? Date.now);
  // The quota windows answered here while Redis is away: each limit ÷ the replica count (at least 1), as scaledLimiter.
  const localWindows = memoryWindows(o.clock ?? Date.now, (limit) => Math.max(1, Math.floor(limit / Math.max(1, o.replicas()))));
  const either = async <T>(op: string, remote: () => Promise<T>, here: () => Promise<T>): Promise<T> => {
    if (redis.healthy()) {
      try {
        return await remote();
      } catch (err) {
        if (!(err instanceof StoreUnavailable)) throw err;
      }
    }
    o.onFallback?.(op);
    return here();
  };
  return {
    kind: 'redis',
    limiter: (lo) => redis.limiter(lo, scaledLimiter(lo, o.replicas)),
    get: (key) => either('get', () => redis.get(key), () => local.get(key)),
    set: (key, v, ttlMs) => either('set', () => redis.set(key, v, ttlMs), () => local.set(key, v, ttlMs)),
    setIfAbsent: (key, v, ttlMs) => either('setIfAbsent', () => redis.setIfAbsent(key, v, ttlMs), () => local.setIfAbsent(key, v, ttlMs)),
    incr: (key, by, ttlMs) => either('incr', () => redis.incr(key, by, ttlMs), () => local.incr(key, by, ttlMs)),
    del: (key) => either('del', () => redis.del(key), () => local.del(key)),
    getMany: (keys, o) => either('get', () => redis.getMany!(keys, o), () => Promise.all(keys.map((key) => local.get(key)))),
    // Counted as "limiter" in store_fallback, like the rate-limiter-flexible limiters they replace.
    windows: (w) => either('limiter', () => redis.windows!(w), () => localWindows.windows(w)),
    adjustWindow: (a) => either('limiter', () => redis.adjustWindow!(a), () => localWindows.adjustWindow(a)),
    healthy: () => redis.healthy(),
    close: async () => {
      await redis.close();
      await local.close();
    },
  };
}
