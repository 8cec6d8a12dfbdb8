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
  /** The lowest and highest slots in use: a rank query walks only between them. */
  private lo = Infinity;
  private hi = -Infinity;
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
    const s = this.slot(x);
    this.counts[s]!++;
    this.n++;
    if (s < this.lo) this.lo = s;
    if (s > this.hi) this.hi = s;
  }

  /** Add every value of another sketch (sketches of parts merge into the sketch of the whole). */
  merge(o: QuantileSketch): void {
    for (let i = o.lo; i <= o.hi; i++) this.counts[i]! += o.counts[i]!;
    this.n += o.n;
    this.lo = Math.min(this.lo, o.lo);
    this.hi = Math.max(this.hi, o.hi);
  }

  /**
   * The value of 0-based rank k (k-th smallest), within α relative. Walks the used slots from the
   * nearer end, so a tail percentile costs a few steps and a median at most the used range (a few
   * hundred slots for latencies spanning 10×): cheap enough for the live progress line.
   */
  rank(k: number): number {
    if (this.n === 0) return NaN;
    const c = this.counts;
    if (k < this.n / 2) {
      let seen = 0;
      for (let i = this.lo; i <= this.hi; i++) if ((seen += c[i]!) > k) return this.value(i);
      return this.value(this.hi);
    }
    let above = 0;
    const fromTop = this.n - 1 - k;
    for (let i = this.hi; i >= this.lo; i--) if ((above += c[i]!) > fromTop) return this.value(i);
    return this.value(this.lo);
  }
}
