// Issue 14's fairness test: tenant A floods 500 requests, tenant B sends 20; B's p99 wait stays
// within a few service times. The provider is simulated on a virtual clock (every request holds
// its slot exactly one service time S), so the figures are the same on any machine; waits are
// printed in service times (t.diagnostic) for the closing note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/gateway/scheduler.js';
import { VirtualTime } from '../helpers/virtual-time.js';

const S = 100; // one service time, virtual ms
const MAX_IN_FLIGHT = 8;

interface Arrival {
  tenant: string;
  at: number;
}

/** Nearest-rank percentile. */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function simulate(arrivals: Arrival[], o: { fair: boolean; weights?: Record<string, number> }) {
  const vt = new VirtualTime();
  const s = createScheduler({ maxInFlight: MAX_IN_FLIGHT, queueTimeoutMs: 1e9, clock: vt.clock, timers: vt.timers });
  const waits: Record<string, number[]> = {};
  let peak = 0;
  for (const a of arrivals) {
    vt.at(a.at, () => {
      // fair: each tenant queues as itself; the baseline puts everyone in one FIFO queue
      const start = vt.now;
      void s.acquire('upstream', o.fair ? a.tenant : 'everyone', o.weights?.[a.tenant] ?? 1).then((release) => {
        (waits[a.tenant] ??= []).push((vt.now - start) / S);
        peak = Math.max(peak, s.inFlight('upstream'));
        vt.at(vt.now + S, release);
      });
    });
  }
  await vt.run();
  return { waits, peak, end: vt.now / S };
}

function summary(w: number[]) {
  return { n: w.length, p50: pct(w, 50), p99: pct(w, 99), max: Math.max(...w) };
}

const fmt = (x: { n: number; p50: number; p99: number }) => `n=${x.n} p50=${x.p50.toFixed(2)} p99=${x.p99.toFixed(2)}`;

test('A floods 500 at once, B sends 20 one per service time: B waits < 1 service time (p99), FIFO would make it wait ~60', async (t) => {
  const arrivals: Arrival[] = [
    ...Array.from({ length: 500 }, () => ({ tenant: 'A', at: 0 })),
    ...Array.from({ length: 20 }, (_, i) => ({ tenant: 'B', at: (5 + i) * S + S / 2 })),
  ];
  const fair = await simulate(arrivals, { fair: true });
  const fifo = await simulate(arrivals, { fair: false });
  const a = summary(fair.waits.A!);
  const b = summary(fair.waits.B!);
  const bFifo = summary(fifo.waits.B!);
  t.diagnostic(`spaced B, maxInFlight=${MAX_IN_FLIGHT}, waits in service times — fair: A ${fmt(a)}; B ${fmt(b)} | FIFO: B ${fmt(bFifo)} | all served by ${fair.end} S`);
  assert.equal(a.n, 500);
  assert.equal(b.n, 20);
  assert.ok(fair.peak <= MAX_IN_FLIGHT && fifo.peak <= MAX_IN_FLIGHT, `peak in flight ${fair.peak}`);
  assert.ok(b.p99 <= 1, `B's p99 wait ${b.p99} service times`);
  assert.ok(bFifo.p99 >= 40, `the FIFO baseline shows the problem: B's p99 ${bFifo.p99}`);
  // A is not starved either: all 500 done in about 520/8 service times
  assert.equal(fair.end, 520 / MAX_IN_FLIGHT, `all served by ${fair.end} S: no slot idles`);
});

test('A floods 500, then B bursts 20 at once: B shares the slots 1:1 and p99 stays within a few service times', async (t) => {
  const arrivals: Arrival[] = [
    ...Array.from({ length: 500 }, () => ({ tenant: 'A', at: 0 })),
    ...Array.from({ length: 20 }, () => ({ tenant: 'B', at: 10 * S + S / 2 })),
  ];
  const fair = await simulate(arrivals, { fair: true });
  const weighted = await simulate(arrivals, { fair: true, weights: { A: 1, B: 4 } });
  const fifo = await simulate(arrivals, { fair: false });
  const b = summary(fair.waits.B!);
  const bW = summary(weighted.waits.B!);
  const bFifo = summary(fifo.waits.B!);
  t.diagnostic(
    `burst B, maxInFlight=${MAX_IN_FLIGHT}, waits in service times — fair 1:1: A ${fmt(summary(fair.waits.A!))}; B ${fmt(b)} | B weight 4: B ${fmt(bW)} | FIFO: B ${fmt(bFifo)}`,
  );
  // 20 of B interleaved 1:1 with A's backlog take 40 slots = 5 rounds of 8
  assert.ok(b.p99 <= 5, `B's p99 ${b.p99}`);
  assert.ok(bW.p99 < b.p99, `a weight of 4 serves B's burst sooner (${bW.p99} < ${b.p99})`);
  assert.ok(bFifo.p99 >= 40, `FIFO: B's p99 ${bFifo.p99}`);
});
