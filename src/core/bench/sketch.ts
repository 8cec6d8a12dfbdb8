/**
 * A mergeable log-bucket quantile sketch (the DDSketch idea, fixed dense buckets): a value x ≠ 0 lands
 * in bucket ⌈log_γ |x|⌉ with γ = (1 + α)/(1 − α), and a bucket answers with 2γ^i/(γ + 1), within a
 * relative error α of every value in it. With α = 0.1% a 300 ms p99 is off by at most 0.3 ms.
 * Memory is fixed (two signs × BUCKETS counts, ~185 KB) whatever the number of values; |x| below
 * 1 µs counts as 0 and above 10⁷ ms as 10⁷ ms (min and max are kept exactly by the caller).
 */
export const SKETCH_ALPHA = 0.001;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
const MIN = 1e-3;
const OFFSET = Math.ceil(Math.log(MIN) / LOG_GAMMA); // index of the smallest bucket
const BUCKETS = Math.ceil(Math.log(1e7) / LOG_GAMMA) - OFFSET + 1;

export class QuantileSketch {
  /** [negative buckets reversed (most negative first) | zero | positive buckets]: ascending value order. */
  private readonly counts = new Float64Array(2 * BUCKETS + 1);
  private cum: Float64Array | undefined;
  n = 0;

  private slot(x: number): number {
    const a = Math.abs(x);
    if (a < MIN) return BUCKETS;
    const i = Math.min(BUCKETS - 1, Math.max(0, Math.ceil(Math.log(a) / LOG_GAMMA) - OFFSET));
    return x > 0 ? BUCKETS + 1 + i : BUCKETS - 1 - i;
  }

  private value(slot: number): number {
    if (slot === BUCKETS) return 0;
    const i = slot > BUCKETS ? slot - BUCKETS - 1 : BUCKETS - 1 - slot;
    const v = (2 * Math.pow(GAMMA, i + OFFSET)) / (GAMMA + 1);
    return slot > BUCKETS ? v : -v;
  }

  add(x: number): void {
    this.counts[this.slot(x)]!++;
    this.n++;
    this.cum = undefined;
  }

  /** Add every value of another sketch (sketches of parts merge into the sketch of the whole). */
  merge(o: QuantileSketch): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += o.counts[i]!;
    this.n += o.n;
    this.cum = undefined;
  }

  /** The value of 0-based rank k (k-th smallest), within α relative. */
  rank(k: number): number {
    if (!this.cum) {
      this.cum = new Float64Array(this.counts.length);
      let c = 0;
      for (let i = 0; i < this.counts.length; i++) this.cum[i] = c += this.counts[i]!;
    }
    const cum = this.cum;
    // The first slot whose cumulative count exceeds k.
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > k) hi = mid;
      else lo = mid + 1;
    }
    return this.value(lo);
  }
}
