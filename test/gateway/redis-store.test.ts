/**
 * The Redis store against a real redis-server (test/helpers/redis.ts): every GatewayStore method, the
 * RateLimiterRedis count across two store instances (two replicas), a single setIfAbsent winner, the
 * start-up refusal (exit 2, URL with the password masked), and Redis killed mid-run under both
 * storeDown policies, with recovery when a new redis-server comes back on the same port.
 */
import { after, before, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { Redis } from 'ioredis';
import { monitorRedis, redisSkip, startRedis, type RedisServer } from '../helpers/redis.js';
import { openStore, type OpenedStore, type StoreEvent } from '../../src/gateway/store/index.js';
import { redisStore, maskRedisUrl } from '../../src/gateway/store/redis.js';
import { StoreUnavailable } from '../../src/gateway/contract.js';
import { UsageError } from '../../src/errors.js';
import { redisKeyStore } from '../../src/gateway/store/keys.js';
import type { KeyIndex } from '../../src/adapters/gateway-keys.js';

const skip = redisSkip();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until cond() holds; fails with `what` after `tries` × 20 ms (a liveness bound, not a speed assert). */
async function until(cond: () => boolean | Promise<boolean>, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

/** consume() n times (all at once) and split the outcomes: accepted, refused (RateLimiterRes), errors. */
async function consumeAll(calls: Array<() => Promise<unknown>>) {
  const out = await Promise.allSettled(calls.map((c) => c()));
  const accepted = out.filter((r) => r.status === 'fulfilled').length;
  const refused = out.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimiterRes) as PromiseRejectedResult[];
  const errors = out.filter((r) => r.status === 'rejected' && !(r.reason instanceof RateLimiterRes)) as PromiseRejectedResult[];
  return { accepted, refused, errors };
}

function fakeMetrics() {
  const counts = new Map<string, number>();
  const gauges = new Map<string, number>();
  return {
    counts,
    gauges,
    count(name: string, labels?: Record<string, string>, by = 1) {
      const k = labels ? `${name}{${Object.entries(labels).map(([a, b]) => `${a}=${b}`).join(',')}}` : name;
      counts.set(k, (counts.get(k) ?? 0) + by);
      if (labels) counts.set(name, (counts.get(name) ?? 0) + by);
    },
    gauge(name: string, v: number) {
      gauges.set(name, v);
    },
  };
}

describe('Redis store: every method on a real redis-server', { skip }, () => {
  let srv: RedisServer;
  let a: OpenedStore;
  let b: OpenedStore;
  let raw: Redis;
  before(async () => {
    srv = await startRedis();
    a = await openStore({ store: srv.url, storeDown: 'closed' }, { heartbeatMs: 0 });
    b = await openStore({ store: srv.url, storeDown: 'closed' }, { heartbeatMs: 0 });
    raw = new Redis(srv.url, { lazyConnect: true });
    await raw.connect();
  });
  after(async () => {
    raw?.disconnect();
    await a?.close();
    await b?.close();
    await srv?.stop();
  });

  test('kind, healthy, and keys under the holy: prefix', async () => {
    assert.equal(a.kind, 'redis');
    assert.equal(a.healthy(), true);
    await a.set('p/k', 'v');
    assert.equal(await raw.get('holy:p/k'), 'v');
    assert.equal(await raw.exists('p/k'), 0);
  });

  test('a configured prefix keeps two gateways apart on one Redis', async () => {
    const other = await openStore({ store: srv.url, storeDown: 'closed' }, { heartbeatMs: 0, prefix: 'staging:' });
    try {
      await other.set('shared', 'staging');
      await a.set('shared', 'prod');
      assert.equal(await other.get('shared'), 'staging');
      assert.equal(await a.get('shared'), 'prod');
      assert.equal(await raw.get('staging:shared'), 'staging');
    } finally {
      await other.close();
    }
  });

  test('get/set: what one replica sets the other reads; a missing key is undefined', async () => {
    assert.equal(await b.get('gs/missing'), undefined);
    await a.set('gs/k', 'hello');
    assert.equal(await b.get('gs/k'), 'hello');
    await b.set('gs/k', 'world');
    assert.equal(await a.get('gs/k'), 'world');
    assert.equal(await raw.pttl('holy:gs/k'), -1, 'no ttl given: the key does not expire');
  });

  test('set with ttlMs: SET PX, and the key is gone after it', async () => {
    await a.set('ttl/k', 'x', 60_000);
    const pttl = await raw.pttl('holy:ttl/k');
    assert.ok(pttl > 0 && pttl <= 60_000, `pttl ${pttl}`);
    await a.set('ttl/short', 'x', 30);
    await until(async () => (await b.get('ttl/short')) === undefined, 'the 30 ms key to expire');
  });

  test('setIfAbsent: true once, false while it lives, true again after del; its ttl is set', async () => {
    assert.equal(await a.setIfAbsent('nx/k', 'a', 60_000), true);
    assert.equal(await b.setIfAbsent('nx/k', 'b', 60_000), false);
    assert.equal(await b.get('nx/k'), 'a', 'the loser did not overwrite');
    const pttl = await raw.pttl('holy:nx/k');
    assert.ok(pttl > 0 && pttl <= 60_000, `pttl ${pttl}`);
    await b.del('nx/k');
    assert.equal(await a.get('nx/k'), undefined);
    assert.equal(await b.setIfAbsent('nx/k', 'b', 60_000), true);
  });

  test('setIfAbsent: 60 racers on two replicas, exactly one winner (the half-open probe)', async () => {
    const racers = Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).setIfAbsent('nx/probe', `r${i}`, 10_000));
    const won = (await Promise.all(racers)).filter(Boolean).length;
    assert.equal(won, 1);
  });

  test('incr: new value returned, negative steps, a new key gets the ttl, an existing key keeps its own', async () => {
    assert.equal(await a.incr('in/k', 5, 60_000), 5);
    assert.equal(await b.incr('in/k', -2), 3);
    assert.equal(await a.incr('in/k', 1, 1), 4, 'the ttl of a later call does not replace the first one');
    const pttl = await raw.pttl('holy:in/k');
    assert.ok(pttl > 1000 && pttl <= 60_000, `the first ttl stays: ${pttl}`);
    assert.equal(await a.incr('in/forever', 1), 1);
    assert.equal(await raw.pttl('holy:in/forever'), -1);
    await a.incr('in/short', 1, 30);
    await until(async () => (await a.get('in/short')) === undefined, 'the 30 ms counter to expire');
    await assert.rejects(a.incr('in/k', 1.5), TypeError);
  });

  test('incr is atomic: 400 increments from two replicas at once sum exactly', async () => {
    await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).incr('in/race', 1, 60_000)));
    assert.equal(await a.get('in/race'), '400');
    const pttl = await raw.pttl('holy:in/race');
    assert.ok(pttl > 0, 'the ttl was set in the same step as the first INCRBY');
  });

  test('del removes; del of a missing key is fine', async () => {
    await a.set('del/k', 'v');
    await b.del('del/k');
    assert.equal(await a.get('del/k'), undefined);
    await b.del('del/k');
  });

  test('RateLimiterRedis: 30 points, 100 consumes spread over two replicas → exactly 30 accepted', async () => {
    const la = a.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
    const lb = b.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
    const r = await consumeAll(Array.from({ length: 100 }, (_, i) => () => (i % 2 ? la : lb).consume('acme')));
    assert.equal(r.errors.length, 0, String(r.errors[0]?.reason));
    assert.equal(r.accepted, 30);
    assert.equal(r.refused.length, 70);
    for (const x of r.refused) {
      const res = x.reason as RateLimiterRes;
      assert.equal(res.remainingPoints, 0);
      // The limiter's own window value (not a wall-clock measurement): inside the 60 s window.
      const untilReset = res.msBeforeNext;
      assert.ok(untilReset > 0, `reset in ${untilReset}`);
      assert.equal(Math.min(untilReset, 60_000), untilReset, `reset in ${untilReset}, past the 60 s window`);
    }
    const other = await la.consume('globex');
    assert.equal(other.remainingPoints, 29, 'another tenant has its own window');
    assert.ok((await raw.keys('holy:rl:rpm:*')).length >= 2, 'the windows live in Redis under the prefix');
  });

  test('RateLimiterRedis: reward and penalty (TPM settle) move the shared count', async () => {
    const la = a.limiter({ keyPrefix: 'tpm', points: 1000, durationS: 60 });
    const lb = b.limiter({ keyPrefix: 'tpm', points: 1000, durationS: 60 });
    await la.consume('acme', 600);
    await lb.reward('acme', 200);
    await la.penalty('acme', 50);
    const got = await lb.get('acme');
    assert.equal(got?.consumedPoints, 450);
    await assert.rejects(lb.consume('acme', 600), (e: unknown) => e instanceof RateLimiterRes && e.remainingPoints === 0);
  });

  test('Redis round trips per call (MONITOR): what docs/scaling.md counts', async () => {
    const l = a.limiter({ keyPrefix: 'ops', points: 1000, durationS: 60 });
    await l.consume('warm'); // the first call may load the script (EVALSHA miss, then EVAL)
    await a.incr('ops/warm', 1, 1000);
    const seen: Array<{ cmd: string; lua: boolean; fence: boolean }> = [];
    const mon = await monitorRedis(srv.port, ({ args, source }) => {
      if (args.some((x) => String(x).includes('ops'))) seen.push({ cmd: String(args[0]).toLowerCase(), lua: source === 'lua', fence: args.some((x) => String(x).includes('ops/fence')) });
    });
    const per = async (f: () => Promise<unknown>) => {
      seen.length = 0;
      await f();
      await raw.get('ops/fence'); // MONITOR is in order: once the fence shows, f's commands have too
      await until(() => seen.some((x) => x.fence), 'the fence');
      const mine = seen.filter((x) => !x.fence);
      return { trips: mine.filter((x) => !x.lua).length, inner: mine.filter((x) => x.lua).map((x) => x.cmd).join(' ') };
    };
    try {
      const c = await per(() => l.consume('acme'));
      assert.deepEqual(c, { trips: 1, inner: 'set incrby pttl' }, 'a rate-limiter-flexible consume = one EVALSHA running SET NX, INCRBY, PTTL');
      assert.equal((await per(() => l.reward('acme', 1))).trips, 1);
      assert.deepEqual(await per(() => a.incr('ops/k', 1, 1000)), { trips: 1, inner: 'exists incrby pexpire' });
      assert.deepEqual(await per(() => a.incr('ops/k', 1, 1000)), { trips: 1, inner: 'exists incrby' }, 'an existing key keeps its ttl');
      assert.deepEqual(await per(() => a.get('ops/k')), { trips: 1, inner: 'get' });
      assert.deepEqual(await per(() => a.setIfAbsent('ops/nx', 'v', 1000)), { trips: 1, inner: 'set' });
      // Calls made in the same tick go to Redis as ONE script, run in call order.
      const batched = await per(() => Promise.all([a.get('ops/k'), a.incr('ops/k', 2, 1000), a.get('ops/k'), a.del('ops/nx')]));
      assert.deepEqual(batched, { trips: 1, inner: 'get exists incrby get del' });
      assert.deepEqual(await per(() => a.getMany!(['ops/k', 'ops/none'])), { trips: 1, inner: 'mget' });
      // Both quota windows in one step: count both (a first window: INCRBY, PTTL, EXPIRE each; then INCRBY, PTTL).
      const w = { mode: 'consume' as const, durationS: 60, items: [{ keyPrefix: 'ops:rpm', key: 't', points: 1, limit: 2 }, { keyPrefix: 'ops:tpm', key: 't', points: 10, limit: 100 }] };
      assert.deepEqual(await per(() => a.windows!(w)), { trips: 1, inner: 'incrby pttl expire incrby pttl expire' });
      assert.deepEqual(await per(() => a.windows!(w)), { trips: 1, inner: 'incrby pttl incrby pttl' });
      // A refusal counts nothing: what it counted is taken back in the same step.
      let refused: Awaited<ReturnType<NonNullable<typeof a.windows>>> | undefined;
      assert.deepEqual(await per(async () => (refused = await a.windows!(w))), { trips: 1, inner: 'incrby pttl incrby pttl decrby decrby' });
      assert.equal(refused!.ok, false);
      assert.deepEqual(refused!.items.map((i) => [i.consumed, i.refused]), [[2, true], [20, false]]);
      assert.deepEqual([await raw.get('holy:rl:ops:rpm:t'), await raw.get('holy:rl:ops:tpm:t')], ['2', '20']);
      // A refusal that opened a window leaves none.
      await a.windows!({ mode: 'consume', durationS: 60, items: [{ keyPrefix: 'ops:rpm', key: 'u', points: 1, limit: 5 }, { keyPrefix: 'ops:tpm', key: 'u', points: 10, limit: 5 }] });
      assert.equal(await raw.exists('holy:rl:ops:rpm:u', 'holy:rl:ops:tpm:u'), 0);
      // A settle: one step (give back never below zero).
      assert.deepEqual(await per(() => a.adjustWindow!({ keyPrefix: 'ops:tpm', key: 't', by: -5, durationS: 60 })), { trips: 1, inner: 'decrby' });
      assert.equal(await raw.get('holy:rl:ops:tpm:t'), '15', "rate-limiter-flexible's key and value");
      await a.adjustWindow!({ keyPrefix: 'ops:tpm', key: 't', by: -500, durationS: 60 });
      assert.equal(await raw.get('holy:rl:ops:tpm:t'), '0', 'never below zero');
      assert.ok((await raw.pttl('holy:rl:ops:tpm:t')) > 0, 'the window keeps its end');
      await a.adjustWindow!({ keyPrefix: 'ops:tpm', key: 'none', by: -5, durationS: 60 });
      assert.equal(await raw.exists('holy:rl:ops:tpm:none'), 0, 'no window: nothing to give back, no key left');
      assert.deepEqual(await per(() => a.adjustWindow!({ keyPrefix: 'ops:tpm', key: 'new', by: 7, durationS: 60 })), { trips: 1, inner: 'incrby pttl expire' });
      assert.deepEqual(await per(() => a.adjustWindow!({ keyPrefix: 'ops:tpm', key: 'new', by: 7, durationS: 60 })), { trips: 1, inner: 'incrby' });
      assert.equal(await raw.get('holy:rl:ops:tpm:new'), '14');
      assert.ok((await raw.pttl('holy:rl:ops:tpm:new')) > 0, 'a window opened by a settle ends');
    } finally {
      mon.stop();
    }
  });
});

describe('Redis store: start-up refusals (exit 2, the URL named, the password masked)', { skip }, () => {
  test('nothing listening: UsageError naming the URL and the fix', async () => {
    const srv = await startRedis();
    const url = srv.url;
    await srv.stop();
    const pw = ['hunter', '2', 'secret'].join('-');
    const withPw = url.replace('redis://', `redis://:${pw}@`);
    await assert.rejects(openStore({ store: withPw, storeDown: 'closed' }, { connectTimeoutMs: 500 }), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.equal(e.exitCode, 2);
      assert.ok(e.message.includes(`127.0.0.1:${srv.port}`), e.message);
      assert.ok(!e.message.includes(pw) && !(e.hint ?? '').includes(pw), 'password masked');
      assert.match(e.message, /\*\*\*\*/);
      assert.match(e.hint ?? '', /redis-server|gateway\.store|embedded/);
      return true;
    });
  });

  test('wrong password: UsageError, masked, hint says the password', async () => {
    const good = ['right', 'horse', 'battery'].join('-');
    const srv = await startRedis({ password: good });
    try {
      const bad = ['wrong', 'pony'].join('-');
      await assert.rejects(openStore({ store: `redis://:${bad}@127.0.0.1:${srv.port}/0`, storeDown: 'open' }), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.ok(!e.message.includes(bad) && !e.message.includes(good));
        assert.match(e.message, /WRONGPASS|invalid|NOAUTH/i);
        assert.match(e.hint ?? '', /password/);
        return true;
      });
      const ok = await openStore({ store: srv.url, storeDown: 'closed' }, { heartbeatMs: 0 });
      await ok.set('k', 'v');
      assert.equal(await ok.get('k'), 'v');
      await ok.close();
    } finally {
      await srv.stop();
    }
  });

  test('not a redis URL: UsageError before any connection', async () => {
    await assert.rejects(openStore({ store: 'http://127.0.0.1:6379', storeDown: 'open' }), (e: unknown) => e instanceof UsageError && /redis:\/\//.test(e.message));
    await assert.rejects(openStore({ store: 'redis//nope', storeDown: 'open' }), UsageError);
    await assert.rejects(openStore({ store: 'redis://127.0.0.1:6379/x', storeDown: 'open' }), (e: unknown) => e instanceof UsageError && /database/.test(e.message));
  });

  test('maskRedisUrl hides a password and keeps the rest', () => {
    const pw = ['p', 'w', 'd'].join('');
    assert.equal(maskRedisUrl(`redis://user:${pw}@h:1/2`), 'redis://user:****@h:1/2');
    assert.equal(maskRedisUrl('redis://h:1/2'), 'redis://h:1/2');
  });

  test('no store configured: the embedded store', async () => {
    const s = await openStore({ storeDown: 'open' });
    assert.equal(s.kind, 'embedded');
    assert.equal(s.replicas(), 1);
    await s.close();
  });
});

describe('Redis lost while running: the storeDown policy, no crash, recovery on the same port', { skip }, () => {
  test('"closed": every call rejects StoreUnavailable while Redis is away; back to Redis without a restart', async () => {
    const srv = await startRedis();
    const metrics = fakeMetrics();
    const downs: StoreEvent[] = [];
    const ups: StoreEvent[] = [];
    const logs: string[] = [];
    const s = await openStore(
      { store: srv.url, storeDown: 'closed' },
      { heartbeatMs: 0, metrics, log: (lvl, ev, f) => logs.push(`${lvl} ${ev} ${String(f?.message)}`), onDown: (e) => downs.push(e), onUp: (e) => ups.push(e), maxReconnectDelayMs: 100 },
    );
    try {
      const l = s.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
      await l.consume('acme');
      await s.set('k', 'v');
      await srv.kill();
      await until(() => !s.healthy(), 'the store to notice');
      await until(() => downs.length === 1, 'onDown');
      for (const call of [() => l.consume('acme'), () => s.get('k'), () => s.set('k', 'w'), () => s.setIfAbsent('n', 'v', 1000), () => s.incr('c', 1), () => s.del('k')]) {
        await assert.rejects(call(), (e: unknown) => e instanceof StoreUnavailable && e.code === 'store_unavailable', String(call));
      }
      assert.equal(metrics.counts.get('store_down'), 1);
      assert.equal(metrics.gauges.get('store_up'), 0);
      assert.ok(logs.some((l) => /^error store_down REDIS STORE LOST .*503 store_unavailable/.test(l)), logs.join('\n'));
      assert.equal(metrics.counts.get('store_fallback'), undefined, '"closed" never answers locally');

      await srv.restart();
      await until(() => s.healthy(), 'reconnect to the new redis-server');
      assert.equal(ups.length, 1);
      assert.equal(metrics.gauges.get('store_up'), 1);
      assert.equal((await l.consume('acme')).consumedPoints, 1, 'a fresh Redis: the window starts again');
      await s.set('k', 'back');
      assert.equal(await s.get('k'), 'back');
      assert.equal(downs.length, 1, 'one outage, counted once');
    } finally {
      await s.close();
      await srv.stop();
    }
  });

  test('"open": two replicas; Redis dies; each serves limits ÷ 2 locally, counted and logged; back to the shared limit', async () => {
    const srv = await startRedis();
    const ma = fakeMetrics();
    const mb = fakeMetrics();
    const logs: string[] = [];
    const opts = (m: ReturnType<typeof fakeMetrics>, id: string) => ({
      heartbeatMs: 0,
      metrics: m,
      replicaId: id,
      maxReconnectDelayMs: 100,
      log: (lvl: string, ev: string, f?: Record<string, unknown>) => logs.push(`${id} ${lvl} ${ev} ${String(f?.message)}`),
    });
    const a = await openStore({ store: srv.url, storeDown: 'open' }, opts(ma, 'a'));
    const b = await openStore({ store: srv.url, storeDown: 'open' }, opts(mb, 'b'));
    try {
      // No replicas configured: the count is the live replicas each one saw in Redis.
      assert.equal(await a.heartbeat(), 2);
      assert.equal(b.replicas(), 2);
      const la = a.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
      const lb = b.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
      const shared = await consumeAll(Array.from({ length: 20 }, (_, i) => () => (i % 2 ? la : lb).consume('acme')));
      assert.equal(shared.accepted, 20);

      await srv.kill();
      await until(() => !a.healthy() && !b.healthy(), 'both replicas to notice');
      const ra = await consumeAll(Array.from({ length: 50 }, () => () => la.consume('acme')));
      const rb = await consumeAll(Array.from({ length: 50 }, () => () => lb.consume('acme')));
      assert.equal(ra.errors.length + rb.errors.length, 0, String(ra.errors[0]?.reason ?? rb.errors[0]?.reason));
      assert.equal(ra.accepted, 15, '30 RPM ÷ 2 replicas on replica a');
      assert.equal(rb.accepted, 15, '30 RPM ÷ 2 replicas on replica b');
      assert.equal(ma.counts.get('store_fallback{op=limiter}'), 50);
      assert.equal(ma.counts.get('store_down'), 1);
      assert.ok(logs.some((l) => /^a error store_down .*÷ 2 \(storeDown "open"\)/.test(l)), logs.join('\n'));

      // The rest of the store answers locally too (a breaker keeps working on this replica).
      await a.set('brk', 'open', 10_000);
      assert.equal(await a.get('brk'), 'open');
      assert.equal(await a.setIfAbsent('probe', '1', 10_000), true);
      assert.equal(await a.setIfAbsent('probe', '1', 10_000), false);
      assert.equal(await a.incr('n', 2), 2);
      await a.del('brk');
      assert.equal(await a.get('brk'), undefined);
      assert.ok((ma.counts.get('store_fallback') ?? 0) >= 57);

      await srv.restart();
      await until(() => a.healthy() && b.healthy(), 'both replicas to reconnect');
      const before = ma.counts.get('store_fallback');
      const back = await consumeAll(Array.from({ length: 40 }, (_, i) => () => (i % 2 ? la : lb).consume('acme')));
      assert.equal(back.accepted, 30, 'the shared 30 again, across both');
      assert.equal(ma.counts.get('store_fallback'), before, 'nothing answered locally once Redis is back');
      assert.equal(await a.get('brk'), undefined);
      await b.set('after', 'shared');
      assert.equal(await a.get('after'), 'shared');
      assert.ok(logs.some((l) => /^a info store_up .*back/.test(l)));
    } finally {
      await a.close();
      await b.close();
      await srv.stop();
    }
  });

  test('"open" with replicas configured: the configured count wins over the live count', async () => {
    const srv = await startRedis();
    const s = await openStore({ store: srv.url, storeDown: 'open', replicas: 3 }, { heartbeatMs: 0, maxReconnectDelayMs: 100 });
    try {
      const l = s.limiter({ keyPrefix: 'rpm', points: 30, durationS: 60 });
      await srv.kill();
      await until(() => !s.healthy(), 'the store to notice');
      const r = await consumeAll(Array.from({ length: 30 }, () => () => l.consume('acme')));
      assert.equal(r.accepted, 10);
    } finally {
      await s.close();
      await srv.stop();
    }
  });

  test('a replica that closes leaves the live count', async () => {
    const srv = await startRedis();
    const a = await openStore({ store: srv.url, storeDown: 'open' }, { heartbeatMs: 0, replicaId: 'a' });
    const b = await openStore({ store: srv.url, storeDown: 'open' }, { heartbeatMs: 0, replicaId: 'b' });
    try {
      assert.equal(await a.heartbeat(), 2);
      await b.close();
      assert.equal(await a.heartbeat(), 1);
    } finally {
      await a.close();
      await srv.stop();
    }
  });

  test('redisStore alone: a command to a hung Redis (SIGSTOP) fails after commandTimeoutMs instead of waiting', async () => {
    const srv = await startRedis();
    const s = await redisStore(srv.url, { commandTimeoutMs: 200 });
    try {
      process.kill(srv.pid(), 'SIGSTOP');
      await assert.rejects(s.get('k'), StoreUnavailable);
    } finally {
      process.kill(srv.pid(), 'SIGCONT');
      await s.close();
      await srv.stop();
    }
  });
});

describe('the redis-server helper: skip locally, fail in CI', () => {
  const helper = new URL('../helpers/redis.js', import.meta.url).href;
  const probe = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(helper)}); console.log('skip: ' + m.redisSkip());`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOLY_REDIS_SERVER: '/nonexistent/redis-server', ...env },
    });
  test('missing redis-server outside CI: a skip reason naming the package', () => {
    const r = probe({});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /skip: .*not installed.*apt-get install redis-server/);
  });
  test('missing redis-server in CI: an error, not a skip', () => {
    for (const env of [{ CI: 'true' }, { HOLY_REQUIRE_REDIS: '1' }] as Array<Record<string, string>>) {
      const r = probe(env);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /CI requires it/);
    }
  });
});

describe('tenant keys when Redis comes back without its data', { skip }, () => {
  test('the replicas write the keys they hold back (an empty Redis does not refuse every tenant); a key added afterwards is picked up', async () => {
    const srv = await startRedis();
    // A plain client (with its error listener): disconnect() below ends its reconnecting for good.
    const client = new Redis(srv.url);
    client.on('error', () => {});
    const keys = redisKeyStore(client, 'holy:', srv.url);
    const indexes: KeyIndex[] = [];
    let stop: (() => void) | undefined;
    try {
      const first = await keys.add('acme', 1);
      let current = await keys.index();
      assert.equal(current.tenantOf(first.key), 'acme');
      stop = keys.watch((ix) => void (indexes.push(ix), (current = ix)), 20);
      await new Promise((r) => setTimeout(r, 60)); // the watch has seen the version
      await srv.restart(); // same port, nothing persisted: holy:keys and holy:keys:v are gone
      for (let i = 0; i < 200 && client.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200)); // several polls against the empty Redis
      assert.equal(current.tenantOf(first.key), 'acme', 'the key in force still authenticates');
      assert.deepEqual((await keys.list()).map((r) => r.tenant), ['acme'], 'its hash was written back into Redis');
      const second = await keys.add('globex', 2); // a version again
      for (let i = 0; i < 200 && current.tenantOf(second.key) !== 'globex'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(current.tenantOf(second.key), 'globex', 'a key added after the restart reaches the index');
      assert.equal(current.tenantOf(first.key), 'acme', 'and the written-back one is still in it');
      assert.ok(indexes.every((ix) => ix.tenantOf(first.key) === 'acme'), 'no index without acme was ever applied');
    } finally {
      stop?.();
      client.disconnect();
      await srv.stop();
    }
  });
});
