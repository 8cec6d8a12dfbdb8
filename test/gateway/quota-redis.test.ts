// The quotas on rate-limiter-flexible's Redis limiters, as the Redis store will hand them out: two
// gateway replicas (two Quotas over one real redis-server) share a tenant's window. A minimal store
// is built here (limiter() only) so this file does not wait on gateway/store/redis.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createQuotas } from '../../src/gateway/quota.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import type { GatewayStore, QuotaDecision, TenantLimits } from '../../src/gateway/contract.js';
import { tempDir } from '../helpers/tmp.js';

const REDIS = '/usr/bin/redis-server';
const missing = !existsSync(REDIS) && `${REDIS} is not installed (apt-get install redis-server)`;

async function startRedis(): Promise<{ socket: string; proc: ChildProcess }> {
  const socket = join(tempDir('holy-quota-redis-'), 'redis.sock');
  const proc = spawn(REDIS, ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(existsSync(socket), 'redis-server started');
  return { socket, proc };
}

function redisStore(client: Redis): GatewayStore {
  return {
    ...embeddedStore(),
    kind: 'redis',
    limiter: (o) => new RateLimiterRedis({ storeClient: client, keyPrefix: o.keyPrefix, points: o.points, duration: o.durationS }),
  };
}

const t = (rpm: number, tpm: number): TenantLimits => ({ tenant: 'acme', plan: 'pro', rpm, tpm, weight: 1, models: ['*'], tools: ['*'] });

test('two replicas on one Redis: 30 rpm → exactly 30 of 100 admitted, headers agree, settle and reload shared', { skip: missing }, async () => {
  const { socket, proc } = await startRedis();
  const a = new Redis({ path: socket, lazyConnect: false });
  const b = new Redis({ path: socket, lazyConnect: false });
  // Listeners: ioredis prints "Unhandled error event" for a client without one when the server goes away.
  for (const x of [a, b]) x.on('error', () => {});
  after(async () => {
    a.disconnect();
    b.disconnect();
    proc.kill();
  });
  const qa = createQuotas(redisStore(a));
  const qb = createQuotas(redisStore(b));
  const ds: QuotaDecision[] = [];
  // spread over both replicas, half of them concurrently
  for (let i = 0; i < 50; i++) ds.push(...(await Promise.all([qa.admit(t(30, 100_000), 100), qb.admit(t(30, 100_000), 100)])));
  assert.equal(ds.filter((d) => d.ok).length, 30);
  const last = ds.at(-1)!;
  assert.equal(last.ok, false);
  assert.equal(last.code, 'rate_limit_exceeded');
  assert.equal(last.headers['x-ratelimit-limit-requests'], '30');
  assert.equal(last.headers['x-ratelimit-remaining-requests'], '0');
  assert.ok(last.retryAfterS! >= 1 && last.retryAfterS! <= 60);
  const quiet = await qa.admit(t(30, 100_000), 0);
  assert.equal(quiet.headers['x-ratelimit-remaining-tokens'], String(100_000 - 3000), 'refused requests cost no tokens');

  // settle on one replica is seen by the other
  await qa.settle(t(30, 100_000), 100, 40);
  const seen = await qb.admit(t(40, 100_000), 0); // a reload on b raised rpm to 40: the 30 still count
  assert.equal(seen.ok, true);
  assert.equal(seen.headers['x-ratelimit-remaining-requests'], '9');
  assert.equal(seen.headers['x-ratelimit-remaining-tokens'], String(100_000 - 3000 + 60));
  // an estimate over the whole TPM never reaches Redis's count
  const huge = await qa.admit(t(40, 100_000), 100_001);
  assert.equal(huge.ok, false);
  assert.equal(huge.headers['x-should-retry'], 'false');
  assert.equal(huge.headers['x-ratelimit-remaining-requests'], '9');
});

test('a store error is thrown to the caller (the server applies storeDown), not taken for a refusal', { skip: missing }, async () => {
  const { socket, proc } = await startRedis();
  const c = new Redis({ path: socket, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  c.on('error', () => {}); // the server is killed below: its reconnect errors are expected
  await new Promise((r) => c.once('ready', r));
  const q = createQuotas(redisStore(c));
  assert.equal((await q.admit(t(30, 1000), 1)).ok, true);
  proc.kill('SIGKILL');
  await new Promise((r) => proc.once('exit', r));
  await assert.rejects(q.admit(t(30, 1000), 1), (e: unknown) => e instanceof Error);
  c.disconnect();
});
