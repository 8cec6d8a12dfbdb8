/**
 * The gateway store's cost per request (docs/scaling.md "How far this goes"): `npm run -s build && node
 * dist/bench/store.js`. Starts a redis-server on loopback (no persistence), then runs the store calls
 * one request makes (quota admit, breaker allow and success, TPM settle: see measureStore) against the
 * embedded store and the Redis store, closed loop at several concurrencies, and prints per-request
 * latency p50/p99, requests/s and Redis round trips/s. `measureStore` is the part bench/gateway.ts can
 * call with any store.
 */
import { hrtime } from 'node:process';
import { cpus, loadavg } from 'node:os';
import type { GatewayStore } from '../src/gateway/contract.js';

export interface StoreFigures {
  kind: GatewayStore['kind'];
  concurrency: number;
  requests: number;
  /** Store round trips one request made. */
  tripsPerRequest: number;
  requestsPerS: number;
  /** Round trips per second (Redis commands the server received from this client). */
  tripsPerS: number;
  /** One request's store calls, end to end, in microseconds. */
  p50Us: number;
  p99Us: number;
}

/**
 * One request's store calls, `requests` times, `concurrency` at a time, as the gateway makes them on a
 * successful request through a closed breaker: quota admit (the RPM and TPM consumes, together), the
 * breaker's allow (1 GET), its success (2 GETs, together), the TPM settle (a GET, then a reward).
 * 7 round trips in 4 sequential steps. Tenants rotate over `tenants` keys.
 */
export async function measureStore(store: GatewayStore, o: { requests: number; concurrency: number; tenants?: number }): Promise<StoreFigures> {
  const rpm = store.limiter({ keyPrefix: 'bench-rpm', points: 1e12, durationS: 60 });
  const tpm = store.limiter({ keyPrefix: 'bench-tpm', points: 1e12, durationS: 60 });
  const tenants = o.tenants ?? 100;
  const one = async (i: number) => {
    const t = `t${i % tenants}`;
    await Promise.all([rpm.consume(t, 1), tpm.consume(t, 500)]);
    await store.get('breaker:bench:until');
    await Promise.all([store.get('breaker:bench:until'), store.get('breaker:bench:fails')]);
    await tpm.get(t);
    await tpm.reward(t, 100);
  };
  const trips = 7;
  // Warm-up: scripts loaded, connections hot, JIT.
  for (let i = 0; i < 200; i++) await one(i);
  const lat = new Float64Array(o.requests);
  let next = 0;
  const t0 = hrtime.bigint();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.requests) {
        const i = next++;
        const s = hrtime.bigint();
        await one(i);
        lat[i] = Number(hrtime.bigint() - s) / 1e3;
      }
    }),
  );
  const s = Number(hrtime.bigint() - t0) / 1e9;
  lat.sort();
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return {
    kind: store.kind,
    concurrency: o.concurrency,
    requests: o.requests,
    tripsPerRequest: trips,
    requestsPerS: o.requests / s,
    tripsPerS: (o.requests * trips) / s,
    p50Us: q(0.5),
    p99Us: q(0.99),
  };
}

async function main(): Promise<void> {
  const { startRedis } = await import('../test/helpers/redis.js');
  const { openStore } = await import('../src/gateway/store/index.js');
  const n = Number(process.env.BENCH_N ?? 20_000);
  const srv = await startRedis();
  const embedded = await openStore({ storeDown: 'open' });
  const redis = await openStore({ store: srv.url, storeDown: 'closed' }, { heartbeatMs: 0 });
  console.log(`store bench: ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, redis-server on 127.0.0.1:${srv.port}, ${n} requests per run`);
  console.log('store     c   req/s     trips/s   p50 µs  p99 µs');
  try {
    for (const c of [1, 16, 64]) {
      for (const st of [embedded, redis]) {
        const f = await measureStore(st, { requests: n, concurrency: c });
        console.log(
          `${f.kind.padEnd(9)} ${String(c).padStart(2)}  ${f.requestsPerS.toFixed(0).padStart(7)}  ${f.tripsPerS.toFixed(0).padStart(9)}  ${f.p50Us.toFixed(0).padStart(6)}  ${f.p99Us.toFixed(0).padStart(6)}`,
        );
      }
    }
  } finally {
    await embedded.close();
    await redis.close();
    await srv.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
