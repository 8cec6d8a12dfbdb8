import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantileSketch, SKETCH_ALPHA } from '../../src/core/bench/sketch.js';
import { distribution, nearestRank, Samples } from '../../src/core/bench/samples.js';
import { bootstrapDiffCI } from '../../src/core/bench/bootstrap.js';
import { QualityTally } from '../../src/core/quality/tally.js';
import { summariseQuality, type PairScores } from '../../src/core/quality/compare.js';
import { mulberry32 } from '../../src/core/rng.js';

test('the sketch answers every rank within 0.1% of the exact order statistic (signed values, zeros, merge)', () => {
  const rand = mulberry32(5);
  const vals: number[] = [];
  const a = new QuantileSketch();
  const b = new QuantileSketch();
  for (let i = 0; i < 20000; i++) {
    const v = i % 97 === 0 ? 0 : (rand() - 0.3) * Math.exp(rand() * 12);
    vals.push(v);
    (i % 2 ? a : b).add(v);
  }
  a.merge(b);
  assert.equal(a.n, vals.length);
  const sorted = vals.sort((x, y) => x - y);
  for (const k of [0, 1, 100, 5000, 9999, 10000, 15000, 19800, 19999]) {
    const exact = sorted[k]!;
    const got = a.rank(k);
    assert.ok(Math.abs(got - exact) <= Math.abs(exact) * SKETCH_ALPHA + 1e-3, `rank ${k}: ${got} vs ${exact}`);
  }
});

test('Samples: exact up to its limit, then a sketch; count, mean, min and max stay exact, percentiles within 0.1%', () => {
  const exact = new Samples(64, Infinity);
  const capped = new Samples(64, 1000);
  const rand = mulberry32(11);
  for (let i = 0; i < 50_000; i++) {
    const v = 100 + rand() * 200 + (i % 1000 === 0 ? 5000 : 0);
    exact.push(v);
    capped.push(v);
  }
  assert.equal(exact.exact, true);
  assert.equal(capped.exact, false);
  const pc = [50, 90, 99, 99.9];
  const de = distribution(exact, pc);
  const dc = distribution(capped, pc);
  assert.equal(dc.n, de.n);
  assert.equal(dc.min, de.min);
  assert.equal(dc.max, de.max);
  assert.ok(Math.abs(dc.mean - de.mean) < 1e-9 * de.mean);
  for (const q of pc) assert.ok(Math.abs(dc.p[String(q)]! - de.p[String(q)]!) <= de.p[String(q)]! * SKETCH_ALPHA, `p${q}`);
  assert.ok(Math.abs(capped.percentile(99) - exact.sorted()[nearestRank(99, 50_000) - 1]!) <= exact.percentile(99) * SKETCH_ALPHA);
  // The live progress line's figure: within 0.1% while values are still exact, too.
  const small = new Samples();
  for (let i = 1; i <= 5000; i++) small.push(i / 10);
  assert.ok(small.exact);
  for (const q of [50, 99]) assert.ok(Math.abs(small.approxPercentile(q) - small.percentile(q)) <= small.percentile(q) * SKETCH_ALPHA, `p${q}`);
  // The sketch's memory does not grow with the count.
  assert.equal(capped.values().length, 0);
});

test('bootstrapDiffCI: the same distribution on both sides gives an interval around 0; a 20 ms shift excludes it', () => {
  const rand = mulberry32(3);
  const a = new Samples();
  const b = new Samples();
  const c = new Samples();
  for (let i = 0; i < 400; i++) {
    a.push(300 + rand() * 30);
    b.push(300 + rand() * 30);
    c.push(320 + rand() * 30);
  }
  const same = bootstrapDiffCI(a, b, 99, { seed: 1 })!;
  assert.ok(same.lo <= 0 && same.hi >= 0, JSON.stringify(same));
  const shifted = bootstrapDiffCI(a, c, 99, { seed: 1 })!;
  assert.ok(shifted.lo > 0, JSON.stringify(shifted));
});

test('QualityTally gives exactly what summariseQuality gives over all scores', () => {
  const rand = mulberry32(2);
  const scores: PairScores[] = [];
  const t = new QualityTally(0.8);
  for (let i = 0; i < 500; i++) {
    const sim = rand();
    const s: PairScores = { exact: sim > 0.95, tokenF1: rand(), rougeL: rand(), finishParity: rand() > 0.1, lengthRatio: 0.5 + rand(), similarity: sim };
    if (i % 3 === 0) s.json = { validA: rand() > 0.2, validB: rand() > 0.3, equal: rand() > 0.5 };
    if (i % 5 === 0) s.tools = { namesEqual: rand() > 0.1, argsEqual: rand() > 0.4 };
    scores.push(s);
    t.add(s);
  }
  assert.deepEqual(t.summary(), summariseQuality(scores, 0.8));
  assert.equal(new QualityTally(0.8).summary(), undefined);
});
