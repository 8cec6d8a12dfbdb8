/** Bootstrap confidence intervals for percentiles of paired deltas (seeded, reproducible). */
import { mulberry32 } from './rng.js';
import { percentile } from './samples.js';

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** Resamples actually drawn (fewer for very large samples, to bound the work). */
  resamples: number;
  level: number;
}

/** In-place k-th smallest (0-based) of a[0..n), Hoare quickselect: O(n) per resample instead of a sort. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Percentile-bootstrap CI for the p-th percentile (nearest rank, as in samples.ts) of `values`:
 * draw n values with replacement `resamples` times, take the statistic of each, report the
 * (1−level)/2 and (1+level)/2 quantiles of those. Work is capped near 4·10⁷ draws.
 */
export function bootstrapPercentileCI(values: Float64Array, p: number, opts: { resamples?: number; seed?: number; level?: number } = {}): Interval | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  const level = opts.level ?? 0.95;
  const want = opts.resamples ?? 2000;
  const resamples = Math.max(200, Math.min(want, Math.floor(4e7 / n)));
  const rand = mulberry32(opts.seed ?? 1);
  const sorted = Float64Array.from(values).sort();
  const estimate = percentile(sorted, p);
  const k = p <= 0 ? 0 : Math.min(n, Math.max(1, Math.ceil((p / 100) * n - 1e-9))) - 1;
  const stats = new Float64Array(resamples);
  const scratch = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) scratch[i] = values[(rand() * n) | 0]!;
    stats[r] = select(scratch, k);
  }
  stats.sort();
  return { estimate, lo: percentile(stats, ((1 - level) / 2) * 100), hi: percentile(stats, ((1 + level) / 2) * 100), resamples, level };
}
