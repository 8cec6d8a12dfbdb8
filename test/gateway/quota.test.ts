import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createQuotas, rateLimitBody, resetText } from '../../src/gateway/quota.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { redisStore, type RedisGatewayStore } from '../../src/gateway/store/redis.js';
import type { GatewayStore, QuotaDecision, TenantLimits } from '../../src/gateway/contract.js';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.js';

function tenant(name: string, rpm: number, tpm: number): TenantLimits {
  return { tenant: name, plan: 'pro', rpm, tpm, weight: 1, models: ['*'], tools: ['*'] };
}

const RESET = /^(?:\d+ms|(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?s)$/;

function resetMs(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  assert.ok(m, `reset text ${text}`);
  return Number(m[1] ?? 0) * 3_600_000 + Number(m[2] ?? 0) * 60_000 + Number(m[3] ?? 0) * 1000 + Number(m[4] ?? 0);
}

function assertHeaders(d: QuotaDecision, t: TenantLimits, remainingReq: number, remainingTok: number): void {
  assert.equal(d.headers['x-ratelimit-limit-requests'], String(t.rpm));
  assert.equal(d.headers['x-ratelimit-remaining-requests'], String(remainingReq));
  assert.equal(d.headers['x-ratelimit-limit-tokens'], String(t.tpm));
  assert.equal(d.headers['x-ratelimit-remaining-tokens'], String(remainingTok));
  for (const h of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    assert.match(d.headers[h]!, RESET, h);
    assert.ok(resetMs(d.headers[h]!) <= 60_000, `${h} ${d.headers[h]} is within the 60 s window`);
  }
}

test('resetText writes durations as OpenAI does (Go duration text)', () => {
  assert.equal(resetText(0), '0s');
  assert.equal(resetText(20), '20ms');
  assert.equal(resetText(19.2), '20ms');
  assert.equal(resetText(1000), '1s');
  assert.equal(resetText(1500), '1.5s');
  assert.equal(resetText(59_999), '59.999s');
  assert.equal(resetText(60_000), '1m0s');
  assert.equal(resetText(360_000), '6m0s');
  assert.equal(resetText(3_723_500), '1h2m3.5s');
  assert.equal(resetText(3_600_000), '1h0m0s');
});


// The same tests against both stores: the embedded one (rate-limiter-flexible's RateLimiterMemory) and a real
// redis-server (the Redis store's windows script, docs/gateway-quotas.md): same windows, headers and 429s.
function quotaTests(mk: () => Promise<GatewayStore>): void {
  test('30 rpm: exactly 30 of 100 requests are admitted, with correct headers and a sensible Retry-After', async () => {
    const q = createQuotas(await mk());
    const t = tenant('acme', 30, 1_000_000);
    const ds: QuotaDecision[] = [];
    for (let i = 0; i < 100; i++) ds.push(await q.admit(t, 100));
    const ok = ds.filter((d) => d.ok);
    assert.equal(ok.length, 30);
    assert.ok(ds.slice(0, 30).every((d) => d.ok), 'the first 30 pass');
    ds.slice(0, 30).forEach((d, i) => assertHeaders(d, t, 29 - i, 1_000_000 - 100 * (i + 1)));
    for (const d of ds.slice(30)) {
      assert.equal(d.ok, false);
      assert.equal(d.code, 'rate_limit_exceeded');
      assert.equal(d.limit, 'requests');
      // a refused request costs nothing: the token count stays where the 30th left it
      assertHeaders(d, t, 0, 1_000_000 - 3000);
      assert.ok(d.retryAfterS! >= 1 && d.retryAfterS! <= 60, `retryAfterS ${d.retryAfterS}`);
      assert.equal(d.headers['retry-after'], String(d.retryAfterS));
      assert.ok(Number(d.headers['retry-after-ms']) <= d.retryAfterS! * 1000);
      assert.ok(Math.abs(resetMs(d.headers['x-ratelimit-reset-requests']!) - Number(d.headers['retry-after-ms'])) <= 1000);
      assert.match(d.message!, /acme.*requests per min \(RPM\): limit 30/);
    }
    assert.deepEqual(rateLimitBody(ds[99]!), { error: { message: ds[99]!.message, type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    // another tenant has its own window
    assert.equal((await q.admit(tenant('globex', 30, 1_000_000), 1)).ok, true);
  });

  test('30 rpm under concurrency: 100 admits at once still admit exactly 30', async () => {
    const q = createQuotas(await mk());
    const t = tenant('acme', 30, 1_000_000);
    const ds = await Promise.all(Array.from({ length: 100 }, () => q.admit(t, 10)));
    assert.equal(ds.filter((d) => d.ok).length, 30);
    const after = await q.admit(tenant('acme', 30, 1_000_000), 0);
    assert.equal(after.ok, false);
    assert.equal(after.headers['x-ratelimit-remaining-tokens'], String(1_000_000 - 300), 'refused requests gave their tokens back');
  });

  test('a request refused on tokens gives its request point back, and one refused on requests gives its tokens back', async () => {
    const q = createQuotas(await mk());
    const t = tenant('acme', 100, 1000);
    assertHeaders(await q.admit(t, 600), t, 99, 400);
    const refused = await q.admit(t, 600);
    assert.equal(refused.ok, false);
    assert.equal(refused.limit, 'tokens');
    assertHeaders(refused, t, 99, 400);
    assert.match(refused.message!, /tokens per min \(TPM\): limit 1000, used 600, requested 600/);
    assertHeaders(await q.admit(t, 400), t, 98, 0);

    const one = tenant('solo', 1, 1000);
    assert.equal((await q.admit(one, 10)).ok, true);
    const r = await q.admit(one, 10);
    assert.equal(r.limit, 'requests');
    assertHeaders(r, one, 0, 990);
  });

  test('an estimate above the whole TPM is refused at once, counts nothing, and tells the SDK not to retry', async () => {
    const q = createQuotas(await mk());
    const t = tenant('acme', 10, 1000);
    const d = await q.admit(t, 1001);
    assert.equal(d.ok, false);
    assert.equal(d.code, 'rate_limit_exceeded');
    assert.equal(d.limit, 'tokens');
    assert.equal(d.retryAfterS, undefined);
    assert.equal(d.headers['x-should-retry'], 'false');
    assert.match(d.message!, /limit 1000, requested 1001.*can never pass/);
    assertHeaders(d, t, 10, 1000);
    assertHeaders(await q.admit(t, 1000), t, 9, 0);
  });

  test('settle gives back an overestimate and charges an underestimate; never below zero', async () => {
    const q = createQuotas(await mk());
    const t = tenant('acme', 100, 10_000);
    assertHeaders(await q.admit(t, 3000), t, 99, 7000);
    await q.settle(t, 3000, 1000);
    assertHeaders(await q.admit(t, 0), t, 98, 9000);
    await q.settle(t, 1000, 2500);
    assertHeaders(await q.admit(t, 0), t, 97, 7500);
    await q.settle(t, 100, 100);
    assertHeaders(await q.admit(t, 0), t, 96, 7500);
    // a reward larger than what the window holds stops at zero: no credit for a later request
    await q.settle(t, 50_000, 0);
    assertHeaders(await q.admit(t, 0), t, 95, 10_000);
    assert.equal((await q.admit(t, 10_001)).ok, false);
    // no window yet (settled before any admit): nothing to give back, no window in credit
    const fresh = tenant('fresh', 100, 1000);
    await q.settle(fresh, 800, 0);
    assertHeaders(await q.admit(fresh, 1000), fresh, 99, 0);
  });

  test('a reload that changes rpm or tpm takes effect at once and keeps the window’s count', async () => {
    const q = createQuotas(await mk());
    for (let i = 0; i < 10; i++) assert.equal((await q.admit(tenant('acme', 30, 1000), 10)).ok, true);
    // lowered to 12: two more, then refused
    const low = tenant('acme', 12, 1000);
    const ds: QuotaDecision[] = [];
    for (let i = 0; i < 5; i++) ds.push(await q.admit(low, 10));
    assert.deepEqual(ds.map((d) => d.ok), [true, true, false, false, false]);
    assertHeaders(ds[1]!, low, 0, 1000 - 120);
    // raised to 50: the 12 already counted stay counted
    const high = tenant('acme', 50, 1000);
    assertHeaders(await q.admit(high, 10), high, 50 - 13, 1000 - 130);
    // tpm lowered below what was used: refused on tokens
    const tight = tenant('acme', 50, 100);
    const d = await q.admit(tight, 10);
    assert.equal(d.ok, false);
    assert.equal(d.limit, 'tokens');
    assertHeaders(d, tight, 50 - 13, 0);
  });
}

describe('quotas on the embedded store', () => quotaTests(async () => embeddedStore()));

describe('quotas on the Redis store (one windows script per admit)', { skip: redisSkip() }, () => {
  let srv: RedisServer;
  const opened: RedisGatewayStore[] = [];
  let n = 0;
  before(async () => {
    srv = await startRedis();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await srv?.stop();
  });
  quotaTests(async () => {
    const s = await redisStore(srv.url, { prefix: `quota-test-${++n}:` });
    opened.push(s);
    assert.equal(typeof s.windows, 'function', 'the Redis store answers quotas with its windows script');
    return s;
  });
});

test('storeDown "open" with Redis away: the windows are answered locally, each limit ÷ the replica count', async () => {
  const { fallbackStore } = await import('../../src/gateway/store/index.js');
  const away = { healthy: () => false } as unknown as RedisGatewayStore;
  const fell: string[] = [];
  const q = createQuotas(fallbackStore(away, { replicas: () => 3, onFallback: (op) => fell.push(op) }));
  const t = tenant('acme', 30, 1_000_000);
  const ds: QuotaDecision[] = [];
  for (let i = 0; i < 15; i++) ds.push(await q.admit(t, 10));
  assert.equal(ds.filter((d) => d.ok).length, 10, '30 rpm on 3 replicas: 10 here');
  assert.equal(ds[14]!.limit, 'requests');
  assert.equal(fell.length, 15);
  assert.ok(fell.every((op) => op === 'limiter'));
  await q.settle(t, 10, 4);
  assert.equal((await q.admit(tenant('acme', 30, 1_000_000), 0)).headers['x-ratelimit-remaining-tokens'], String(1_000_000 - 94), 'settle gave 6 back locally');
});
