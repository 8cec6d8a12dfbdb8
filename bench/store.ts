/**
 * The gateway store's cost per request (docs/scaling.md "How far this goes"): `npm run -s build && node
 * dist/bench/store.js`. Starts a redis-server on loopback (no persistence), then runs the store calls
 * one request makes (quota admit, breaker allow and success, TPM settle, through the gateway's own
 * quota and breaker code: see measureStore) against the embedded store and the Redis store, closed loop
 * at several concurrencies, and prints per-request latency p50/p99, requests/s and the commands
 * redis-server processed per request. `measureStore` is the part bench/gateway.ts can
 * call with any store.
 */
import { hrtime } from 'node:process';
import { cpus, loadavg } from 'node:os';
import type { GatewayStore } from '../src/gateway/contract.js';
import type { TenantLimits } from '../src/core/gateway/types.js';
import { createQuotas } from '../src/gateway/quota.js';
import { createBreakers } from '../src/gateway/breaker.js';

export interface StoreFigures {
  kind: GatewayStore['kind'];
  concurrency: number;
  requests: number;
  /** Commands redis-server processed per request (scripts and the commands they ran; NaN for the embedded store). */
  commandsPerRequest: number;
  requestsPerS: number;
  /** One request's store calls, end to end, in microseconds. */
  p50Us: number;
  p99Us: number;
}

/**
 * One request's store calls, `requests` times, `concurrency` at a time, made by the gateway's own parts
 * as src/gateway/proxy.ts makes them on a successful request through a closed breaker: the quota's
 * admit and the primary's breaker read in the same tick (one script on the Redis store), the breaker's
 * allow from that read — the latency figure — then after the answer its success and the TPM settle
 * (together, riding with the next batch on Redis; not in the latency, as no client waits for them, but
 * in the commands). Tenants rotate over `tenants` keys.
 */
export async function measureStore(store: GatewayStore, o: { requests: number; concurrency: number; tenants?: number; commands?: () => Promise<number> }): Promise<StoreFigures> {
  const quotas = createQuotas(store);
  const breakers = createBreakers(store, { failures: 5, coolDownMs: 30_000 });
  const tenants = o.tenants ?? 100;
  const limits = (i: number): TenantLimits => ({ tenant: `t${i % tenants}`, plan: 'bench', rpm: 1e9, tpm: 1e12, weight: 1, models: ['*'], tools: ['*'] });
  const one = async (i: number) => {
    const t = limits(i);
    const seen = breakers.read?.('bench');
    seen?.catch(() => {});
    const q = await quotas.admit(t, 500);
    if (!q.ok) throw new Error(`bench/store: the quota refused (${q.limit})`);
    if (!(await breakers.allow('bench', seen ? await seen : undefined))) throw new Error('bench/store: the breaker is open');
    // After the answer: the client does not wait for it (on Redis it rides with the next batch, up to
    // 5 ms later), so neither does the figure; it is awaited before the commands are counted.
    after.push(Promise.all([breakers.success('bench'), quotas.settle(t, 500, 400)]));
  };
  const after: Promise<unknown>[] = [];
  // Warm-up: scripts loaded, connections hot, JIT.
  for (let i = 0; i < 200; i++) await one(i);
  await Promise.all(after.splice(0));
  const lat = new Float64Array(o.requests);
  let next = 0;
  const c0 = (await o.commands?.()) ?? NaN;
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
  await Promise.all(after);
  const commands = ((await o.commands?.()) ?? NaN) - c0;
  lat.sort();
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return {
    kind: store.kind,
    concurrency: o.concurrency,
    requests: o.requests,
    commandsPerRequest: commands / o.requests,
    requestsPerS: o.requests / s,
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
  const { Redis } = await import('ioredis');
  const info = new Redis(srv.url, { lazyConnect: false });
  // total_commands_processed, minus the INFO commands this bench sent itself.
  let infos = 0;
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await info.info('stats'))?.[1] ?? NaN) - ++infos;
  console.log('store     c   req/s   commands/req   p50 µs  p99 µs');
  try {
    for (const c of [1, 16, 64]) {
      for (const st of [embedded, redis]) {
        const f = await measureStore(st, { requests: n, concurrency: c, ...(st === redis ? { commands } : {}) });
        console.log(
          `${f.kind.padEnd(9)} ${String(c).padStart(2)}  ${f.requestsPerS.toFixed(0).padStart(7)}  ${(Number.isFinite(f.commandsPerRequest) ? f.commandsPerRequest.toFixed(1) : '—').padStart(12)}  ${f.p50Us.toFixed(0).padStart(6)}  ${f.p99Us.toFixed(0).padStart(6)}`,
        );
      }
    }
  } finally {
    info.disconnect();
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
