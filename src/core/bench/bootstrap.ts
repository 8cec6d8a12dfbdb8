/** Bootstrap confidence intervals for percentiles of paired deltas (seeded, reproducible). */
import { mulberry32 } from '../rng.js';
import { nearestRank, percentile, type Ranked } from './samples.js';

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  resamples: number;
  level: number;
}

/** Standard normal variate (Box–Muller) from a uniform source. */
function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) variate, Marsaglia–Tsang (shape ≥ 1; shape < 1 via the boost U^(1/shape)). */
function gamma(shape: number, rand: () => number): number {
  if (shape < 1) return gamma(shape + 1, rand) * Math.pow(1 - rand(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Percentile-bootstrap CI for the p-th percentile (nearest rank, as in samples.ts) of `values`.
 * A resample's k-th smallest value is sorted[⌊U·n⌋] where U is the k-th smallest of n uniforms,
 * i.e. U ~ Beta(k, n − k + 1); drawing U directly gives exactly the distribution of resampling
 * n values with replacement, at O(1) per resample instead of O(n) — so 2000 resamples stay cheap
 * at 100k requests. The interval is the (1−level)/2 and (1+level)/2 quantiles of the replicates.
 */
export function bootstrapPercentileCI(values: Float64Array | Ranked, p: number, opts: { resamples?: number; seed?: number; level?: number } = {}): Interval | undefined {
  const r = ranked(values);
  const n = r.length;
  if (n < 2) return undefined;
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const rand = mulberry32(opts.seed ?? 1);
  const estimate = r.rank(nearestRank(p, n) - 1);
  const stats = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) stats[i] = replicate(r, p, rand);
  return interval(estimate, stats, level);
}

/**
 * CI for the difference of two percentiles, b's p-th minus a's (new − old), each side resampled on
 * its own (the same Beta draw as above). This — not the p99 of per-pair deltas — is what a "p99 new
 * vs old" row claims: in an A/A run the p99 of paired deltas is the upper tail of symmetric noise,
 * always above 0, so testing it against 0 names a winner where there is none. Ignoring the pairing
 * makes the interval wider (more cautious) when the two sides' latencies move together.
 */
export function bootstrapDiffCI(av: Float64Array | Ranked, bv: Float64Array | Ranked, p: number, opts: { resamples?: number; seed?: number; level?: number } = {}): Interval | undefined {
  const a = ranked(av);
  const b = ranked(bv);
  if (a.length < 2 || b.length < 2) return undefined;
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const rand = mulberry32(opts.seed ?? 1);
  const estimate = b.rank(nearestRank(p, b.length) - 1) - a.rank(nearestRank(p, a.length) - 1);
  const stats = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) stats[i] = replicate(b, p, rand) - replicate(a, p, rand);
  return interval(estimate, stats, level);
}

/** One bootstrap replicate of the p-th percentile: sorted[⌊U·n⌋] with U ~ Beta(k, n − k + 1). */
function replicate(r: Ranked, p: number, rand: () => number): number {
  const n = r.length;
  const k = nearestRank(p, n);
  const x = gamma(k, rand);
  const y = gamma(n - k + 1, rand);
  return r.rank(Math.min(n - 1, Math.floor((x / (x + y)) * n)));
}

function interval(estimate: number, stats: Float64Array, level: number): Interval {
  stats.sort();
  return { estimate, lo: percentile(stats, ((1 - level) / 2) * 100), hi: percentile(stats, ((1 + level) / 2) * 100), resamples: stats.length, level };
}

function ranked(v: Float64Array | Ranked): Ranked {
  if (!(v instanceof Float64Array)) return v;
  const sorted = Float64Array.from(v).sort();
  return { length: sorted.length, rank: (k) => sorted[k]! };
}
