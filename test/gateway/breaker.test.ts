import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBreakers } from '../../src/gateway/breaker.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import type { BreakerState, GatewayStore } from '../../src/gateway/contract.js';

/** A clock the test moves by hand; the store and the breakers share it. */
function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A store that counts what the breaker asks of it, to prove it keeps no state of its own (one key per read: no getMany). */
function countingStore(inner: GatewayStore) {
  const ops: string[] = [];
  const s: GatewayStore = {
    ...inner,
    getMany: undefined,
    get: (k) => (ops.push(`get ${k}`), inner.get(k)),
    set: (k, v, ttl) => (ops.push(`set ${k}`), inner.set(k, v, ttl)),
    setIfAbsent: (k, v, ttl) => (ops.push(`setIfAbsent ${k}`), inner.setIfAbsent(k, v, ttl)),
    incr: (k, by, ttl) => (ops.push(`incr ${k}`), inner.incr(k, by, ttl)),
    del: (k) => (ops.push(`del ${k}`), inner.del(k)),
  };
  return { store: s, ops };
}

test('closed → open after N consecutive failures; a success in between resets the count', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const changes: string[] = [];
  const b = createBreakers(store, { failures: 3, coolDownMs: 10_000, now: clock.now, onChange: (p, f, t) => changes.push(`${p} ${f}→${t}`) });

  assert.equal(await b.state('relay'), 'closed');
  await b.failure('relay');
  await b.failure('relay');
  await b.success('relay'); // not consecutive any more
  await b.failure('relay');
  await b.failure('relay');
  assert.equal(await b.state('relay'), 'closed');
  assert.equal(await b.allow('relay'), true);
  await b.failure('relay');
  assert.equal(await b.state('relay'), 'open');
  assert.equal(await b.allow('relay'), false);
  assert.deepEqual(changes, ['relay closed→open']);
  // breakers are per provider
  assert.equal(await b.state('official'), 'closed');
  assert.equal(await b.allow('official'), true);
});

test('open → half-open after the cool-down (exactly), one probe; its success closes', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const changes: string[] = [];
  const b = createBreakers(store, { failures: 1, coolDownMs: 5_000, now: clock.now, onChange: (p, f, t) => changes.push(`${f}→${t}`) });
  await b.failure('relay');
  clock.advance(4_999);
  assert.equal(await b.state('relay'), 'open');
  assert.equal(await b.allow('relay'), false);
  clock.advance(1);
  assert.equal(await b.state('relay'), 'half-open');
  assert.equal(await b.allow('relay'), true, 'the first caller after the cool-down is the probe');
  assert.equal(await b.allow('relay'), false, 'nobody else while the probe is out');
  assert.equal(await b.state('relay'), 'half-open');
  await b.success('relay');
  assert.equal(await b.state('relay'), 'closed');
  assert.equal(await b.allow('relay'), true);
  assert.equal(await b.allow('relay'), true);
  assert.deepEqual(changes, ['closed→open', 'open→half-open', 'half-open→closed']);
  // closed again with a fresh count: one failure (failures: 1) trips it again
  await b.failure('relay');
  assert.equal(await b.state('relay'), 'open');
});

test('a failed probe re-opens for another full cool-down, then allows a new probe', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const changes: string[] = [];
  const b = createBreakers(store, { failures: 2, coolDownMs: 1_000, now: clock.now, onChange: (_p, f, t) => changes.push(`${f}→${t}`) });
  await b.failure('relay');
  await b.failure('relay');
  clock.advance(1_000);
  assert.equal(await b.allow('relay'), true);
  clock.advance(300); // the probe took 300 ms and failed
  await b.failure('relay');
  assert.equal(await b.state('relay'), 'open');
  clock.advance(999);
  assert.equal(await b.allow('relay'), false, 'the new cool-down runs from the failed probe');
  clock.advance(1);
  assert.equal(await b.allow('relay'), true, 'a new probe after the second cool-down');
  assert.equal(await b.allow('relay'), false);
  await b.success('relay');
  assert.equal(await b.state('relay'), 'closed');
  assert.deepEqual(changes, ['closed→open', 'open→half-open', 'half-open→open', 'open→half-open', 'half-open→closed']);
});

test('late answers of requests sent before the trip change nothing while open', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const b = createBreakers(store, { failures: 1, coolDownMs: 1_000, now: clock.now });
  await b.failure('relay');
  await b.success('relay'); // an old request finished fine: does not close an open breaker
  assert.equal(await b.state('relay'), 'open');
  clock.advance(500);
  await b.failure('relay'); // an old request failed late: does not extend the cool-down
  clock.advance(500);
  assert.equal(await b.state('relay'), 'half-open');
});

test('exactly one probe among many concurrent callers', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const b = createBreakers(store, { failures: 1, coolDownMs: 100, now: clock.now });
  await b.failure('relay');
  clock.advance(100);
  const answers = await Promise.all(Array.from({ length: 50 }, () => b.allow('relay')));
  assert.equal(answers.filter(Boolean).length, 1);
});

test('two replicas (two Breakers on one store): a trip on one is open on the other at its next call, one probe across both', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const a = createBreakers(store, { failures: 3, coolDownMs: 2_000, now: clock.now });
  const b = createBreakers(store, { failures: 3, coolDownMs: 2_000, now: clock.now });
  // consecutive failures add up across replicas
  await a.failure('relay');
  await b.failure('relay');
  assert.equal(await b.allow('relay'), true);
  await a.failure('relay');
  assert.equal(await b.state('relay'), 'open');
  assert.equal(await b.allow('relay'), false, 'replica b refuses at once: no cache to expire');
  clock.advance(2_000);
  const both = await Promise.all([a.allow('relay'), b.allow('relay'), a.allow('relay'), b.allow('relay')]);
  assert.equal(both.filter(Boolean).length, 1, 'one probe across both replicas');
  // the probe went out from whichever replica won; its success, reported there, closes both
  const winner = both.findIndex(Boolean) % 2 === 0 ? a : b;
  await winner.success('relay');
  assert.equal(await a.state('relay'), 'closed');
  assert.equal(await b.allow('relay'), true);
});

test('a probe that never reports frees its lease after probeTtlMs', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  const b = createBreakers(store, { failures: 1, coolDownMs: 1_000, probeTtlMs: 3_000, now: clock.now });
  await b.failure('relay');
  clock.advance(1_000);
  assert.equal(await b.allow('relay'), true);
  clock.advance(2_999);
  assert.equal(await b.allow('relay'), false);
  clock.advance(1);
  assert.equal(await b.allow('relay'), true, 'the lost probe’s lease expired: a new probe');
});

test('all state goes through the store, under breaker:<provider>: keys', async () => {
  const clock = fakeClock();
  const { store, ops } = countingStore(embeddedStore(clock.now));
  const b = createBreakers(store, { failures: 2, coolDownMs: 1_000, now: clock.now });
  await b.allow('relay');
  await b.failure('relay');
  await b.success('relay');
  await b.failure('relay');
  await b.failure('relay');
  clock.advance(1_000);
  await b.allow('relay');
  await b.success('relay');
  assert.ok(ops.length > 0);
  for (const op of ops) assert.match(op, /^\w+ breaker:relay:/);
  // a closed breaker costs one store read per allow()
  ops.length = 0;
  await b.allow('relay');
  assert.deepEqual(ops, ['get breaker:relay:until']);
});

test('onChange that throws does not break the request path; bad options are refused', async () => {
  const clock = fakeClock();
  const b = createBreakers(embeddedStore(clock.now), {
    failures: 1,
    coolDownMs: 10,
    now: clock.now,
    onChange: () => {
      throw new Error('logger broke');
    },
  });
  await b.failure('relay');
  const s: BreakerState = await b.state('relay');
  assert.equal(s, 'open');
  assert.throws(() => createBreakers(embeddedStore(), { failures: 0, coolDownMs: 10 }), /failures must be an integer ≥ 1/);
  assert.throws(() => createBreakers(embeddedStore(), { failures: 1, coolDownMs: 0 }), /coolDownMs must be > 0/);
});

test('a store error: success()/failure() never reject (onError hears it), allow()/state() reject for the caller’s policy', async () => {
  const down = new Error('store unavailable');
  const broken: GatewayStore = {
    ...embeddedStore(),
    get: async () => Promise.reject(down),
    getMany: async () => Promise.reject(down),
    incr: async () => Promise.reject(down),
  };
  const errors: string[] = [];
  const b = createBreakers(broken, { failures: 1, coolDownMs: 10, onError: (p, err) => errors.push(`${p}: ${(err as Error).message}`) });
  await b.success('relay');
  await b.failure('relay');
  assert.deepEqual(errors, ['relay: store unavailable', 'relay: store unavailable']);
  await assert.rejects(b.allow('relay'), /store unavailable/);
  await assert.rejects(b.state('relay'), /store unavailable/);
});

test('read() at admission, allow(p, seen) after: no second read unless half-open; a read of another provider is not used', async () => {
  const clock = fakeClock();
  const { store, ops } = countingStore(embeddedStore(clock.now));
  const b = createBreakers(store, { failures: 1, coolDownMs: 1000, now: clock.now });
  const closed = await b.read!('relay');
  assert.deepEqual(ops, ['get breaker:relay:until'], 'read() takes nothing (no probe lease)');
  ops.length = 0;
  assert.equal(await b.allow('relay', closed), true);
  assert.deepEqual(ops, [], 'allow() decides from the read');
  // Tripped after the read: this request was admitted before the trip; the next request's read sees it.
  await b.failure('relay');
  assert.equal(await b.allow('relay', await b.read!('relay')), false);
  // A read of another provider is ignored: allow() reads its own.
  ops.length = 0;
  assert.equal(await b.allow('relay', { provider: 'other' }), false);
  assert.deepEqual(ops, ['get breaker:relay:until']);
  // Half-open: the read says so, allow() takes the one probe lease; a second caller with the same read gets none.
  clock.advance(1000);
  const half = await b.read!('relay');
  ops.length = 0;
  assert.equal(await b.allow('relay', half), true);
  assert.equal(await b.allow('relay', half), false);
  assert.deepEqual((ops as string[]).map((o) => o.split(' ')[0]), ['setIfAbsent', 'setIfAbsent']);
});

test('a store with getMany: read() and success() read until and fails in one call each', async () => {
  const clock = fakeClock();
  const { store, ops } = countingStore(embeddedStore(clock.now));
  const many: GatewayStore = { ...store, getMany: (keys) => (ops.push(`getMany ${keys.join(',')}`), Promise.all(keys.map((k) => store.get(k)))) };
  const b = createBreakers(many, { failures: 3, coolDownMs: 1000, now: clock.now });
  ops.length = 0;
  assert.deepEqual(await b.read!('relay'), { provider: 'relay', until: undefined, fails: false });
  await b.success('relay');
  assert.deepEqual(ops.filter((o) => o.startsWith('getMany')), ['getMany breaker:relay:until,breaker:relay:fails', 'getMany breaker:relay:until,breaker:relay:fails']);
  await b.failure('relay');
  assert.equal((await b.read!('relay')).fails, true);
  ops.length = 0;
  await b.success('relay');
  assert.ok(ops.includes('del breaker:relay:fails'), 'a success after a failure resets the count');
});

test('the embedded store reads several keys in one call (what the breakers ask on every request), expiry included', async () => {
  const clock = fakeClock();
  const store = embeddedStore(clock.now);
  await store.set('a', '1', 100);
  await store.set('b', '2');
  assert.deepEqual(await store.getMany!(['a', 'b', 'c']), ['1', '2', undefined]);
  clock.advance(100);
  assert.deepEqual(await store.getMany!(['a', 'b']), [undefined, '2'], 'an expired key reads as absent');
  // The breakers use it: with get() broken, a closed breaker still reads and settles through getMany alone.
  const b = createBreakers({ ...store, get: () => Promise.reject(new Error('get() used')) }, { failures: 2, coolDownMs: 1000, now: clock.now });
  assert.deepEqual(await b.read!('relay'), { provider: 'relay', until: undefined, fails: false });
  await b.success('relay');
});
