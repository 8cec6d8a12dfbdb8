import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, headline, errorLoser, type Verdict, type VerdictInput } from '../../src/core/bench/verdict.js';
import { wilson, shareDiff, pairsNeeded } from '../../src/core/bench/proportion.js';
import { summaryRows } from '../../src/core/bench/rows.js';
import { compactRows } from '../../src/core/bench/compact.js';
import { sideCost } from '../../src/core/bench/cost.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { scenario, type Scenario } from './verdict-fixture.js';

const sev = (v: Verdict, id: string) => v.checks.find((c) => c.id === id)?.severity;
const run = (s: Scenario, extra: Omit<VerdictInput, 'summary'> = {}) => decide({ summary: scenario(s), ...extra });

// A clean run: 400 pairs, the same latency on both sides (±30 ms noise), no errors, answers match.
const BASE: Scenario = { n: 400, noise: 30 };

describe('verdict: each reason on its own (table-driven)', () => {
  const cases: Array<{ name: string; s: Scenario; extra?: Omit<VerdictInput, 'summary'>; decision: Verdict['decision']; check: string; severity: string }> = [
    { name: 'clean run → go, errors match', s: BASE, decision: 'go', check: 'errors', severity: 'info' },
    { name: 'clean run → go, latency within the margin', s: BASE, decision: 'go', check: 'latency:e2e-p50', severity: 'info' },
    { name: '--p99 missed → no-go', s: { ...BASE, gates: { p99Ms: 500 } }, decision: 'no-go', check: 'gate:p99', severity: 'block' },
    { name: '--p99 passed is listed, not deciding', s: { ...BASE, gates: { p99Ms: 5000 } }, decision: 'go', check: 'gate:p99', severity: 'info' },
    { name: '--max-regression missed → no-go', s: { ...BASE, newE2e: () => 1300, gates: { maxRegressionPct: 10 } }, decision: 'no-go', check: 'gate:max-regression', severity: 'block' },
    { name: '--slo: new goodput materially lower → no-go', s: { ...BASE, newE2e: (i) => (i % 4 === 0 ? 5000 : 1000), slo: { e2eMs: 3000 } }, decision: 'no-go', check: 'gate:slo', severity: 'block' },
    { name: 'new fails 20% vs 0% → no-go whatever its latency', s: { ...BASE, newErrors: 80, newE2e: () => 500 }, decision: 'no-go', check: 'errors', severity: 'block' },
    { name: 'old fails more → a reason for new', s: { ...BASE, oldErrors: 80 }, decision: 'go', check: 'errors', severity: 'good' },
    { name: 'too few requests to rule out more errors → inconclusive', s: { ...BASE, n: 20 }, decision: 'inconclusive', check: 'errors', severity: 'unsure' },
    { name: 'new materially slower at E2E p50 → no-go', s: { ...BASE, newE2e: () => 1250 }, decision: 'no-go', check: 'latency:e2e-p50', severity: 'block' },
    { name: 'slower but within a --max-regression gate → only a warning', s: { ...BASE, newE2e: () => 1150, gates: { maxRegressionPct: 20 } }, decision: 'go', check: 'latency:e2e-p50', severity: 'warn' },
    { name: 'new materially faster → a reason for new', s: { ...BASE, newE2e: () => 700 }, decision: 'go', check: 'latency:e2e-p50', severity: 'good' },
    { name: 'latency CI straddles the margin → inconclusive', s: { n: 150, noise: 400, newE2e: () => 1080 }, decision: 'inconclusive', check: 'latency:e2e-p50', severity: 'unsure' },
    { name: 'too few streamed pairs for TTFT → a note, not inconclusive', s: { ...BASE, streamed: 4 }, decision: 'go', check: 'latency:ttft-p50', severity: 'info' },
    { name: '30% of answers below the threshold → no-go', s: { ...BASE, below: 120 }, decision: 'no-go', check: 'quality', severity: 'block' },
    { name: 'quality not settled → inconclusive', s: { ...BASE, n: 400, below: 40 }, decision: 'inconclusive', check: 'quality', severity: 'unsure' },
    { name: 'no answers compared → inconclusive', s: { ...BASE, quality: false }, decision: 'inconclusive', check: 'quality', severity: 'unsure' },
    { name: 'new over-counts prompt tokens → no-go', s: { ...BASE, newPromptTokens: 105 }, decision: 'no-go', check: 'integrity:prompt-tokens', severity: 'block' },
    { name: 'new answers as another model → no-go', s: { ...BASE, newEcho: 'gpt-3.5-turbo' }, decision: 'no-go', check: 'integrity:model-new', severity: 'block' },
    { name: 'old answers as another model → a warning', s: { ...BASE, oldEcho: 'gpt-3.5-turbo' }, decision: 'go', check: 'integrity:model-old', severity: 'warn' },
    { name: 'an interrupted run says so', s: BASE, extra: { interrupted: true }, decision: 'go', check: 'interrupted', severity: 'warn' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = run(c.s, c.extra);
      assert.equal(v.decision, c.decision, v.reasons.join('\n'));
      assert.equal(sev(v, c.check), c.severity, v.reasons.join('\n'));
      // Worst first: no check is listed before one of a worse severity.
      const rank = ['block', 'unsure', 'warn', 'good', 'info'];
      const order = v.checks.map((k) => rank.indexOf(k.severity));
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
      assert.deepEqual(v.reasons, v.checks.map((k) => k.reason));
    });
  }

  test('cost per 1,000 requests: cheaper new is a reason for it, dearer a warning, both never decide', () => {
    const s = scenario(BASE);
    const table = builtinPriceTable();
    const old = sideCost(s.old, table)!;
    assert.equal(old.requests, 400);
    // 100 prompt + 50 output tokens of gpt-4o-mini: (100·0.15 + 50·0.60) / 1e6 = $0.000045 → $0.045 per 1k.
    assert.equal(old.per1kUSD, '0.045');
    const cheaper = decide({ summary: s, cost: { old, new: { ...old, per1kUSD: '0.02' } } });
    assert.equal(sev(cheaper, 'cost'), 'good');
    assert.match(cheaper.reasons.find((r) => r.startsWith('cost'))!, /\$0\.020 vs official \$0\.045 \(−55\.6%\)/);
    const dearer = decide({ summary: s, cost: { old, new: { ...old, per1kUSD: '0.09' } } });
    assert.equal(sev(dearer, 'cost'), 'warn');
    assert.equal(dearer.decision, 'go');
  });

  test('inconclusive says how many pairs the observed spread needs', () => {
    const v = run({ ...BASE, n: 20 });
    assert.equal(v.decision, 'inconclusive');
    assert.ok(v.pairsNeeded! > 20, String(v.pairsNeeded));
    assert.match(headline(v, 'a', 'b'), new RegExp(`about ${v.pairsNeeded} pairs needed`));
    // More pairs at the same spread settle it.
    assert.equal(run({ ...BASE, n: v.pairsNeeded! }).decision, 'go');
  });

  test('A/A: a provider compared with itself names no winner, across seeds', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const v = run({ n: 300, noise: 200, seed }, { sameEndpoint: true });
      assert.notEqual(v.decision, 'no-go', v.reasons.join('\n'));
      // No side is named better on latency, errors or cost (matching answers are no "win").
      const sides = v.checks.filter((c) => /^(latency|errors|cost)/.test(c.id));
      assert.ok(!sides.some((c) => c.severity === 'good' || c.severity === 'block'), v.reasons.join('\n'));
      assert.equal(sev(v, 'a-a'), 'info');
      const rows = summaryRows(scenario({ n: 300, noise: 200, seed }), false);
      for (const r of rows.filter((x) => /^(TTFT|E2E) p(50|99)/.test(x.metric))) assert.equal(r.better, null, `${r.metric} ${r.ci}`);
    }
  });

  test('simulated runs say SIMULATED in the headline', () => {
    const v = run(BASE, { simulated: { old: false, new: true } });
    assert.equal(v.simulated, true);
    assert.match(headline(v, 'official', 'holysheep'), /^GO: .*\[SIMULATED/);
    assert.doesNotMatch(headline(run(BASE), 'official', 'holysheep'), /SIMULATED/);
  });
});

describe('error-aware latency rows', () => {
  test('a side failing materially more wins no latency row, and the row says why', () => {
    const s = scenario({ ...BASE, newErrors: 80, newE2e: () => 500 });
    assert.equal(errorLoser(s), 'new');
    const v = decide({ summary: s });
    assert.equal(sev(v, 'latency:e2e-p50'), 'warn', 'its faster latency is no win');
    const row = summaryRows(s, false).find((r) => r.metric === 'E2E p50 ms')!;
    assert.equal(row.better, null);
    assert.equal(row.note, 'no win: fails more');
    assert.match(row.n!, /n=400 \/ 320, successes only/);
    const err = summaryRows(s, false).find((r) => r.metric === 'error rate')!;
    assert.equal(err.better, 'old');
  });
  test('the compact table: p50 and p99 of TTFT/E2E, error rate, cost and quality, with the verdict on quality', () => {
    const s = scenario({ ...BASE, below: 120 });
    const cost = { old: sideCost(s.old, builtinPriceTable())!, new: sideCost(s.new, builtinPriceTable())! };
    const v = decide({ summary: s, cost });
    const rows = compactRows(s, cost, v);
    assert.deepEqual(rows.map((r) => r.metric), ['TTFT p50 ms', 'TTFT p99 ms', 'E2E p50 ms', 'E2E p99 ms', 'error rate', 'cost/1k requests', 'quality ≥ 0.8']);
    assert.match(rows.at(-1)!.note!, /^✗/);
    assert.deepEqual(compactRows(s, cost, v, true).slice(0, 2).map((r) => r.metric), ['TTFT p99 ms', 'TTFT p50 ms']);
  });
});

describe('share intervals', () => {
  test('Wilson matches published values and never collapses at 0 or n', () => {
    // Newcombe (1998) table I: 0/10 → [0, 0.2775]; 1/29 → [0.0061, 0.1718] (Wilson, no continuity correction).
    const a = wilson(0, 10);
    assert.equal(a.lo, 0);
    assert.ok(Math.abs(a.hi - 0.2775) < 5e-4, String(a.hi));
    const b = wilson(1, 29);
    assert.ok(Math.abs(b.lo - 0.0061) < 5e-4 && Math.abs(b.hi - 0.1718) < 5e-4, `${b.lo} ${b.hi}`);
    assert.ok(wilson(20, 20).lo < 1);
    assert.deepEqual([wilson(0, 0).lo, wilson(0, 0).hi], [0, 1]);
  });
  test('Newcombe difference: published example, antisymmetric, and zero-centred when equal', () => {
    // Newcombe (1998) example (h): 56/70 vs 48/80 → difference 0.2 with 95% CI [0.0524, 0.3339].
    const d = shareDiff(48, 80, 56, 70);
    assert.ok(Math.abs(d.estimate - 0.2) < 1e-9);
    assert.ok(Math.abs(d.lo - 0.0524) < 5e-4 && Math.abs(d.hi - 0.3339) < 5e-4, `${d.lo} ${d.hi}`);
    const r = shareDiff(56, 70, 48, 80);
    assert.ok(Math.abs(r.lo + d.hi) < 1e-12 && Math.abs(r.hi + d.lo) < 1e-12);
    const z = shareDiff(0, 50, 0, 50);
    assert.ok(Math.abs(z.lo + z.hi) < 1e-12 && z.hi > 0);
  });
  test('pairs needed grows with the square of the width ratio', () => {
    assert.equal(pairsNeeded(100, 10, 5), 400);
    assert.equal(pairsNeeded(100, 0, 5), undefined);
  });
});

describe('recorded baseline without timings', () => {
  test('latency is noted as not compared (once), never made inconclusive by it', async () => {
    const { ProviderStats, PairStats } = await import('../../src/core/bench/metrics.js');
    const { summarise } = await import('../../src/core/bench/summary.js');
    const old = new ProviderStats('recorded', 'old', true);
    const neu = new ProviderStats('holysheep', 'new');
    const pairs = new PairStats();
    for (let i = 0; i < 300; i++) {
      const base = { ok: true, itl: [], stream: false, sentModel: 'm', retries: 0, retryWaitMs: 0, startMs: 0, endMs: 1, outputTokens: 5, outputTokensSource: 'server' as const, promptTokens: 10, promptTokensLocal: 10 };
      const a = { ...base };
      const b = { ...base, e2eMs: 300 };
      old.add(a, {});
      neu.add(b, {});
      pairs.add(a, b);
    }
    const quality = { pairs: 300, meanSimilarity: 1, shareAboveThreshold: 1, threshold: 0.8, exactRate: 1, meanTokenF1: 1, meanRougeL: 1, finishParityRate: 1, meanLengthRatio: 1 };
    const v = decide({ summary: summarise({ old, new: neu, pairs, percentiles: [50], slo: {}, warmup: 0, seed: 1, quality, gates: {} }) });
    assert.equal(v.decision, 'go', v.reasons.join('\n'));
    const lat = v.checks.filter((c) => c.id.startsWith('latency'));
    assert.deepEqual(lat.map((c) => c.reason), ['E2E not compared: the recorded responses carry no timings.']);
  });
});
