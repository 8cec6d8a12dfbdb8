import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryRows } from '../../src/core/bench/rows.js';
import type { BenchSummary, ProviderSummary } from '../../src/core/bench/summary.js';
import type { Distribution } from '../../src/core/bench/samples.js';

const dist = (p50: number, p99: number): Distribution => ({ n: 10, mean: p50, min: p50, max: p99, p: { '50': p50, '99': p99 } });
const empty: Distribution = { n: 0, mean: NaN, min: NaN, max: NaN, p: {} };

function prov(name: string, e2e: Distribution, rps: number): ProviderSummary {
  return {
    name, recorded: false, requests: 10, ok: 10, errors: {}, errorRate: 0,
    ttfbMs: empty, ttftMs: empty, e2eMs: e2e, itlMs: empty, tpotMs: empty,
    outputTokens: 0, outputTokensSource: { server: 0, local: 0 }, outputTokensPerS: rps * 10, requestsPerS: rps,
    retries: { total: 0 },
  } as unknown as ProviderSummary;
}

function summary(old: ProviderSummary, nw: ProviderSummary, median?: [number, number]): BenchSummary {
  const iv = median ? { estimate: (median[0] + median[1]) / 2, lo: median[0], hi: median[1], resamples: 2000, level: 0.95 } : undefined;
  return { old, new: nw, percentiles: [50, 99], pairs: 10, warmup: 0, delta: { ttftMs: { pairs: 0 }, e2eMs: { pairs: 10, median: iv } } } as unknown as BenchSummary;
}

const row = (rows: ReturnType<typeof summaryRows>, metric: string) => rows.find((r) => r.metric === metric)!;

test('a difference under 2% names no better side; a larger one does', () => {
  const rows = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov('b', dist(1005, 1500), 10.1)), false);
  assert.equal(row(rows, 'E2E p50 ms').better, null, '0.5% slower is noise');
  assert.equal(row(rows, 'requests/s').better, null, '1% more throughput is noise');
  const faster = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov('b', dist(1005, 1500), 12)), false);
  assert.equal(row(faster, 'requests/s').better, 'new', '20% more throughput is a verdict');
});

test('a latency row without an interval names no better side, however large the gap (A/A must crown no one)', () => {
  const rows = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov('b', dist(1005, 1500), 10.1)), false);
  assert.equal(row(rows, 'E2E p99 ms').ci, undefined);
  assert.equal(row(rows, 'E2E p99 ms').better, null, '25% faster, but no interval');
});

test('a paired CI that straddles zero names no better side, one that excludes zero does', () => {
  const straddles = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov("b", dist(800, 2000), 10), [-300, 50]), false);
  assert.equal(row(straddles, 'E2E p50 ms').better, null);
  assert.match(row(straddles, 'E2E p50 ms').ci!, /\[−300\.0, \+50\.0\]/);
  const excludes = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov("b", dist(800, 2000), 10), [-300, -100]), false);
  assert.equal(row(excludes, 'E2E p50 ms').better, 'new');
});

test('a paired CI that points the other way, or lies inside the ±2% band, names no better side (A/A tails)', () => {
  // new's p50 is 20% lower, but every paired delta says new is 0.0–0.1 ms slower: no verdict.
  const against = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov('b', dist(800, 2000), 10), [0.01, 0.1]), false);
  assert.equal(row(against, 'E2E p50 ms').better, null);
  // Excludes zero but by less than 2% of the old value (20 ms of 1000): noise.
  const tiny = summaryRows(summary(prov('a', dist(1000, 2000), 10), prov('b', dist(800, 2000), 10), [-300, -5]), false);
  assert.equal(row(tiny, 'E2E p50 ms').better, null);
});
