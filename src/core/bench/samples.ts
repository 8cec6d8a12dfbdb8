/**
 * Percentiles over all samples: exact up to EXACT_LIMIT values per metric (a growable Float64Array,
 * 8 bytes a value), then a fixed-size quantile sketch (sketch.ts: within 0.1% relative), so a long
 * --duration run keeps bounded memory. Count, sum (so the mean), min and max stay exact throughout.
 */
import { QuantileSketch } from './sketch.js';

/** Values kept exactly per metric before the sketch takes over (1 MB each). */
export const EXACT_LIMIT = 1 << 17;

/** Order statistics by rank: what percentiles and the bootstrap need, from exact values or a sketch. */
export interface Ranked {
  readonly length: number;
  /** The value of 0-based rank k (the k-th smallest). */
  rank(k: number): number;
}

/** A list of numeric samples: exact (8 bytes per value) up to `limit`, then a sketch. */
export class Samples implements Ranked {
  private buf: Float64Array;
  private n = 0;
  private sortedCache: Float64Array | undefined;
  private scratch: Float64Array | undefined;
  /** Every value also goes here: the live progress line's percentiles, and the store past `limit`. */
  private readonly live = new QuantileSketch();
  private sketch: QuantileSketch | undefined;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;
  constructor(initial = 64, private readonly limit = EXACT_LIMIT) {
    this.buf = new Float64Array(Math.min(initial, limit));
  }
  get length(): number {
    return this.sketch ? this.sketch.n : this.n;
  }
  /** False once the values went into the sketch (percentiles within 0.1%; count, mean, min, max exact). */
  get exact(): boolean {
    return !this.sketch;
  }
  push(v: number): void {
    if (!Number.isFinite(v)) return;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
    this.live.add(v);
    if (this.sketch) return;
    if (this.n === this.buf.length) {
      if (this.n >= this.limit) {
        this.sketch = this.live;
        this.buf = new Float64Array(0);
        this.sortedCache = this.scratch = undefined;
        return;
      }
      const next = new Float64Array(Math.min(this.buf.length * 2, this.limit));
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
    this.sortedCache = undefined;
  }
  /** The values in insertion order (a view: do not keep it across pushes); empty once sketched. */
  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
  /** A sorted copy (ascending), cached until the next push; empty once sketched (use rank()). */
  sorted(): Float64Array {
    this.sortedCache ??= Float64Array.from(this.values()).sort();
    return this.sortedCache;
  }
  rank(k: number): number {
    if (this.sketch) return Math.min(this.hi, Math.max(this.lo, this.sketch.rank(k)));
    return this.sorted()[k]!;
  }
  /**
   * Within 0.1%, from the sketch every value also goes into, in a few µs whatever the count: for
   * the live progress line, which runs on the timing thread every 250 ms (an exact selection over
   * 131k values took 3–30 ms there).
   */
  approxPercentile(p: number): number {
    const n = this.length;
    return n ? Math.min(this.hi, Math.max(this.lo, this.live.rank(nearestRank(p, n) - 1))) : NaN;
  }
  /**
   * The p-th percentile (nearest rank, as `percentile`) without sorting: O(n) selection on a
   * reused scratch copy (or the sketch).
   */
  percentile(p: number): number {
    const n = this.length;
    if (n === 0) return NaN;
    if (this.sketch) return this.rank(nearestRank(p, n) - 1);
    if (this.sortedCache) return percentile(this.sortedCache, p);
    if (!this.scratch || this.scratch.length < n) this.scratch = new Float64Array(this.buf.length);
    const a = this.scratch;
    a.set(this.values());
    return select(a, nearestRank(p, n) - 1, n);
  }
  sum(): number {
    return this.total;
  }
  min(): number {
    return this.length ? this.lo : NaN;
  }
  max(): number {
    return this.length ? this.hi : NaN;
  }
}

/**
 * Nearest-rank percentile of ascending `sorted` values: the smallest value such that at least
 * p% of the samples are ≤ it, i.e. sorted[ceil(p/100·n) − 1]; p = 0 gives the minimum, p = 100
 * the maximum. Every reported value is a real observation (no interpolation).
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return sorted[nearestRank(p, n) - 1]!;
}

/** The 1-based nearest rank of the p-th percentile among n > 0 values: ceil(p/100·n), clamped to 1…n. */
export function nearestRank(p: number, n: number): number {
  if (p <= 0) return 1;
  return Math.min(n, Math.max(1, Math.ceil((p / 100) * n - 1e-9)));
}

/** The k-th smallest (0-based) of a[0…n), by quickselect; reorders `a`. */
function select(a: Float64Array, k: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

export interface Distribution {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** Keyed by the percentile as written, e.g. "50", "99", "99.9". */
  p: Record<string, number>;
}

/** Count, mean, min, max and the requested percentiles of a sample set (NaN fields when empty). */
export function distribution(s: Samples, percentiles: readonly number[]): Distribution {
  const n = s.length;
  const p: Record<string, number> = {};
  for (const q of percentiles) p[String(q)] = n ? s.rank(nearestRank(q, n) - 1) : NaN;
  return { n, mean: n ? s.sum() / n : NaN, min: s.min(), max: s.max(), p };
}

/** Parse "--percentiles 50,99,99.9" into numbers in (0, 100]. */
export function parsePercentiles(spec: string, flag = '--percentiles'): number[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const out: number[] = [];
  for (const part of parts) {
    const v = Number(part.replace(/^p/i, ''));
    if (!Number.isFinite(v) || v <= 0 || v > 100) return badPercentile(flag, spec, part);
    out.push(v);
  }
  if (out.length === 0) return badPercentile(flag, spec, spec);
  return [...new Set(out)].sort((a, b) => a - b);
}

function badPercentile(flag: string, spec: string, part: string): never {
  // Imported lazily in spirit: errors.ts is tiny, but keep samples.ts free of cycles.
  throw new PercentileError(`${flag} ${JSON.stringify(spec)}: ${JSON.stringify(part)} is not a percentile between 0 (exclusive) and 100; write e.g. 50,90,99,99.9.`);
}

/** Thrown by parsePercentiles; the caller turns it into a UsageError. */
export class PercentileError extends Error {}
