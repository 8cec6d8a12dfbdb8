/** Seeded pseudo-random numbers: reproducible bench schedules and bootstrap intervals (--seed) and mock answers. */

/** mulberry32: tiny, fast, good enough for load schedules and resampling (not for secrets). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponential variate with the given mean (inter-arrival gap of a Poisson process). */
export function exponential(rand: () => number, mean: number): number {
  // 1 − u is in (0, 1], so the log is finite.
  return -Math.log(1 - rand()) * mean;
}
