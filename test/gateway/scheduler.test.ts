import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/gateway/scheduler.js';
import { QueueTimeout, type Release } from '../../src/gateway/contract.js';
import { VirtualTime, settle } from '../helpers/virtual-time.js';

/** An acquire whose outcome can be looked at without awaiting it. */
function track(p: Promise<Release>) {
  const s: { release?: Release; error?: unknown } = {};
  p.then(
    (r) => (s.release = r),
    (e) => (s.error = e),
  );
  return s;
}

test('at most maxInFlight per provider; the rest queue and get freed slots; release is idempotent', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 3, queueTimeoutMs: 60_000, clock: vt.clock, timers: vt.timers });
  const got = Array.from({ length: 10 }, () => track(s.acquire('p', 'acme', 1)));
  await settle();
  assert.equal(got.filter((g) => g.release).length, 3);
  assert.equal(s.inFlight('p'), 3);
  assert.equal(s.queued('p'), 7);
  // another provider has its own slots
  const other = track(s.acquire('q', 'acme', 1));
  await settle();
  assert.ok(other.release);
  assert.equal(s.inFlight('q'), 1);

  got[0]!.release!();
  got[0]!.release!(); // twice: frees one slot only
  await settle();
  assert.equal(got.filter((g) => g.release).length, 4);
  assert.ok(got[3]!.release, 'the next in arrival order (one tenant: FIFO)');
  assert.equal(s.inFlight('p'), 3);
  assert.equal(s.queued('p'), 6);

  for (let i = 1; i < 10; i++) {
    got[i]!.release!();
    await settle();
    assert.ok(s.inFlight('p') <= 3);
  }
  assert.equal(s.inFlight('p'), 0);
  assert.equal(s.queued('p'), 0);
  assert.equal(vt.pending(), 0, 'no timer left once nothing waits');
});

async function shares(weights: Record<string, number>, each: number, served: number): Promise<Record<string, number>> {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: 1e12, clock: vt.clock, timers: vt.timers });
  const hold = await s.acquire('p', 'warm', 1);
  const order: string[] = [];
  for (let i = 0; i < each; i++) {
    for (const [tenant, w] of Object.entries(weights)) {
      void s.acquire('p', tenant, w).then((r) => {
        order.push(tenant);
        queueMicrotask(r);
      });
    }
  }
  hold();
  while (order.length < served) await settle();
  const counts: Record<string, number> = {};
  for (const t of order.slice(0, served)) counts[t] = (counts[t] ?? 0) + 1;
  // let the rest drain
  while (s.queued('p') > 0 || s.inFlight('p') > 0) await settle();
  return counts;
}

test('under contention slots go in proportion to weight (3:1, and 1:2:4)', async () => {
  const c = await shares({ a: 3, b: 1 }, 400, 200);
  assert.ok(Math.abs(c.a! - 150) <= 2 && Math.abs(c.b! - 50) <= 2, JSON.stringify(c));
  const d = await shares({ x: 1, y: 2, z: 4 }, 300, 280);
  assert.ok(Math.abs(d.x! - 40) <= 2 && Math.abs(d.y! - 80) <= 2 && Math.abs(d.z! - 160) <= 2, JSON.stringify(d));
  // equal weights: alternate
  const e = await shares({ a: 1, b: 1 }, 50, 60);
  assert.deepEqual(e, { a: 30, b: 30 });
});

test('a queued request times out after queueTimeoutMs (virtual clock) with QueueTimeout; one released in time does not', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: 1000, clock: vt.clock, timers: vt.timers });
  const first = await s.acquire('p', 'a', 1);
  const w1 = track(s.acquire('p', 'a', 1));
  await vt.run(400);
  const w2 = track(s.acquire('p', 'b', 1)); // deadline 1400
  await vt.run(999);
  assert.equal(w1.error, undefined);
  assert.equal(s.queued('p'), 2);
  await vt.run(1000);
  assert.ok((w1.error as unknown) instanceof QueueTimeout, String(w1.error));
  assert.equal((w1.error as unknown as QueueTimeout).waitedMs, 1000);
  assert.equal(s.queued('p'), 1);
  first();
  await settle();
  assert.ok(w2.release, 'the slot goes to the live waiter, not the timed-out one');
  await vt.run(5000);
  assert.equal(w2.error, undefined, 'a released waiter never times out');
  assert.equal(vt.pending(), 0);
});

test('no wait limit (Infinity): no timer is armed while requests wait', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: Infinity, clock: vt.clock, timers: vt.timers });
  const held = await s.acquire('p', 'a', 1);
  const w = track(s.acquire('p', 'a', 1));
  await settle();
  assert.equal(s.queued('p'), 1);
  assert.equal(vt.pending(), 0);
  held();
  await settle();
  assert.ok(w.release);
});

test('resize: more slots release waiters at once; fewer slots hold new requests until in-flight drops; a new queue limit applies to new waiters', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: 10_000, clock: vt.clock, timers: vt.timers });
  const got = Array.from({ length: 5 }, () => track(s.acquire('p', 'a', 1)));
  await settle();
  assert.equal(s.inFlight('p'), 1);
  s.resize(4);
  await settle();
  assert.equal(s.inFlight('p'), 4);
  assert.equal(s.queued('p'), 1);
  s.resize(2, 100);
  const late = track(s.acquire('p', 'b', 1));
  got[0]!.release!();
  got[1]!.release!();
  await settle();
  assert.equal(s.inFlight('p'), 2, 'still above the new limit: nothing released');
  await vt.run(100);
  assert.ok(late.error instanceof QueueTimeout, 'the new 100 ms limit applies to the new waiter');
  assert.equal(got[4]!.error, undefined, 'the old waiter keeps its 10 s limit');
  got[2]!.release!();
  await settle();
  assert.ok(got[4]!.release);
});

test('an aborted waiter leaves the queue with the signal’s reason; an already-aborted signal takes no slot', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: 60_000, clock: vt.clock, timers: vt.timers });
  const held = await s.acquire('p', 'a', 1);
  const ac = new AbortController();
  const gone = track(s.acquire('p', 'b', 1, ac.signal));
  const next = track(s.acquire('p', 'c', 1));
  await settle();
  assert.equal(s.queued('p'), 2);
  ac.abort(new Error('client went away'));
  await settle();
  assert.equal((gone.error as Error).message, 'client went away');
  assert.equal(s.queued('p'), 1);
  held();
  await settle();
  assert.ok(next.release, 'the slot went to the next live waiter');
  assert.equal(gone.release, undefined);
  await assert.rejects(s.acquire('p', 'd', 1, AbortSignal.abort(new Error('already'))), /already/);
  assert.equal(s.inFlight('p'), 1);
  assert.equal(s.queued('p'), 0);
  next.release!();
  assert.equal(vt.pending(), 0);
});

test('thousands of aborted waiters do not clog the queue', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 1, queueTimeoutMs: 60_000, clock: vt.clock, timers: vt.timers });
  const held = await s.acquire('p', 'a', 1);
  const acs = Array.from({ length: 5000 }, () => new AbortController());
  const ps = acs.map((ac, i) => s.acquire('p', `t${i % 7}`, 1, ac.signal).catch(() => 'aborted'));
  const live = track(s.acquire('p', 't0', 1));
  for (const ac of acs) ac.abort();
  assert.deepEqual(new Set(await Promise.all(ps)), new Set(['aborted']));
  assert.equal(s.queued('p'), 1);
  held();
  await settle();
  assert.ok(live.release);
  live.release!();
  assert.equal(s.inFlight('p'), 0);
});

test('random arrivals, service times, aborts and timeouts (seeded): limits hold, every request settles once, tenants stay FIFO', async () => {
  const { mulberry32 } = await import('../../src/core/rng.js');
  for (const seed of [1, 2, 3]) {
    const rand = mulberry32(seed);
    const vt = new VirtualTime();
    const max = 1 + Math.floor(rand() * 4);
    const s = createScheduler({ maxInFlight: max, queueTimeoutMs: 500, clock: vt.clock, timers: vt.timers });
    const outcomes = { served: 0, timedOut: 0, aborted: 0 };
    const servedOrder = new Map<string, number[]>();
    const settledTimes = new Array<number>(600).fill(0);
    let inFlight = 0;
    let arrivals = 0;
    for (let i = 0; i < settledTimes.length; i++) {
      const tenant = `t${Math.floor(rand() * 5)}`;
      const weight = 1 + Math.floor(rand() * 4);
      const at = Math.floor(rand() * 20_000);
      const service = 10 + Math.floor(rand() * 200);
      const abortAfter = rand() < 0.15 ? Math.floor(rand() * 400) : undefined;
      vt.at(at, () => {
        const arrival = arrivals++;
        const ac = new AbortController();
        if (abortAfter !== undefined) vt.at(vt.now + abortAfter, () => ac.abort(new Error('gone')));
        s.acquire('p', tenant, weight, ac.signal).then(
          (release) => {
            settledTimes[i]!++;
            if (ac.signal.aborted) return release(); // aborted after the slot was given: hand it back
            inFlight++;
            assert.ok(inFlight <= max, `in flight ${inFlight} > ${max}`);
            assert.equal(s.inFlight('p'), inFlight);
            outcomes.served++;
            let seq = servedOrder.get(tenant);
            if (!seq) servedOrder.set(tenant, (seq = []));
            seq.push(arrival);
            vt.at(vt.now + service, () => {
              inFlight--;
              release();
              release();
            });
          },
          (e: unknown) => {
            settledTimes[i]!++;
            if (e instanceof QueueTimeout) {
              outcomes.timedOut++;
              assert.ok(e.waitedMs === 500, `waited ${e.waitedMs}`);
            } else outcomes.aborted++;
          },
        );
      });
    }
    await vt.run();
    assert.deepEqual(new Set(settledTimes), new Set([1]), 'every request settled exactly once');
    assert.ok(outcomes.served > 0 && outcomes.timedOut > 0 && outcomes.aborted > 0, JSON.stringify(outcomes));
    assert.equal(s.queued('p'), 0);
    assert.equal(s.inFlight('p'), 0);
    assert.equal(vt.pending(), 0);
    for (const [tenant, seq] of servedOrder) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `${tenant} served in arrival order`);
  }
});

test('tryAcquire: a slot at once while one is free; undefined when full, and a freed slot goes to the waiter, not to a later tryAcquire', async () => {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: 2, queueTimeoutMs: 60_000, clock: vt.clock, timers: vt.timers });
  const a = s.tryAcquire!('p', 'acme');
  const b = s.tryAcquire!('p', 'acme');
  assert.ok(a && b, 'two free slots');
  assert.equal(s.tryAcquire!('p', 'acme'), undefined, 'full');
  const waiting = track(s.acquire('p', 'acme', 1));
  a();
  await settle();
  assert.ok(waiting.release, 'the freed slot went to the waiter');
  b();
  assert.equal(s.queued('p'), 0);
  const c = s.tryAcquire!('p', 'acme');
  assert.ok(c, 'free again');
  assert.equal(s.inFlight('p'), 2);
  assert.equal(s.tryAcquire!('q', 'acme') !== undefined, true, 'another provider has its own slots');
});
