/** The embedded store: one process's memory (rate-limiter-flexible's RateLimiterMemory and a Map with expiry). */
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GatewayStore } from '../contract.js';

/** A lookup in a map of expiring entries: an entry past its `until` is deleted and reads as absent. */
function liveIn<E extends { until: number }>(m: Map<string, E>, clock: () => number): (key: string) => E | undefined {
  return (key) => {
    const e = m.get(key);
    if (e && e.until <= clock()) {
      m.delete(key);
      return undefined;
    }
    return e;
  };
}

export function embeddedStore(clock: () => number = Date.now): GatewayStore {
  const kv = new Map<string, { v: string; until: number }>();
  const live = liveIn(kv, clock);
  return {
    kind: 'embedded',
    limiter: (o): RateLimiterAbstract => new RateLimiterMemory({ keyPrefix: o.keyPrefix, points: o.points, duration: o.durationS }),
    get: async (key) => live(key)?.v,
    // One promise for several keys (the breakers read two on every request).
    getMany: async (keys) => keys.map((k) => live(k)?.v),
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

/**
 * windows()/adjustWindow() in this process's memory: the same fixed windows as the Redis store's script
 * (a window opens with the first count and lasts durationS; a refusal counts nothing). The "open" policy's
 * local fallback uses it, with `scale` turning each limit into this replica's share.
 */
export function memoryWindows(clock: () => number = Date.now, scale: (limit: number) => number = (l) => l): Required<Pick<GatewayStore, 'windows' | 'adjustWindow'>> {
  const w = new Map<string, { n: number; until: number }>();
  const live = liveIn(w, clock);
  const count = (key: string, by: number, durationS: number) => {
    const e = live(key) ?? { n: 0, until: clock() + Math.max(1, Math.floor(durationS)) * 1000 };
    e.n += by;
    w.set(key, e);
    return e;
  };
  return {
    windows: async (o) => {
      const keys = o.items.map((it) => `${it.keyPrefix}:${it.key}`);
      const now = keys.map((k) => live(k));
      const refused = o.items.map((it, i) => o.mode === 'consume' && it.points > 0 && (now[i]?.n ?? 0) + it.points > scale(it.limit));
      const ok = !refused.includes(true);
      if (ok && o.mode === 'consume') o.items.forEach((it, i) => it.points > 0 && (now[i] = count(keys[i]!, it.points, o.durationS)));
      return { ok, items: o.items.map((_, i) => ({ consumed: now[i]?.n ?? 0, msLeft: now[i] ? now[i]!.until - clock() : -2, refused: refused[i]! })) };
    },
    adjustWindow: async (a) => {
      const key = `${a.keyPrefix}:${a.key}`;
      if (a.by > 0) return void count(key, a.by, a.durationS);
      const e = live(key);
      if (e && e.n > 0) e.n -= Math.min(-a.by, e.n);
    },
  };
}
