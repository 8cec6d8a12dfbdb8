/** The embedded store: one process's memory (rate-limiter-flexible's RateLimiterMemory and a Map with expiry). */
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GatewayStore } from '../contract.js';

export function embeddedStore(clock: () => number = Date.now): GatewayStore {
  const kv = new Map<string, { v: string; until: number }>();
  const live = (key: string) => {
    const e = kv.get(key);
    if (e && e.until <= clock()) {
      kv.delete(key);
      return undefined;
    }
    return e;
  };
  return {
    kind: 'embedded',
    limiter: (o): RateLimiterAbstract => new RateLimiterMemory({ keyPrefix: o.keyPrefix, points: o.points, duration: o.durationS }),
    get: async (key) => live(key)?.v,
    set: async (key, v, ttlMs) => void kv.set(key, { v, until: ttlMs === undefined ? Infinity : clock() + ttlMs }),
    setIfAbsent: async (key, v, ttlMs) => {
      if (live(key)) return false;
      kv.set(key, { v, until: clock() + ttlMs });
      return true;
    },
    incr: async (key, by, ttlMs) => {
      const e = live(key);
      const n = (e ? Number(e.v) : 0) + by;
      kv.set(key, { v: String(n), until: e ? e.until : ttlMs === undefined ? Infinity : clock() + ttlMs });
      return n;
    },
    del: async (key) => void kv.delete(key),
    healthy: () => true,
    close: async () => kv.clear(),
  };
}
