/** Confidence intervals for shares (error rate, goodput, answers below a similarity threshold). Pure. */

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

export interface ShareInterval {
  /** k / n (0 when n = 0). */
  estimate: number;
  lo: number;
  hi: number;
  n: number;
}

/**
 * Wilson score interval for k successes in n trials. Unlike the textbook p ± z·√(p(1−p)/n) it stays
 * inside [0, 1] and is not zero-width at k = 0 or k = n, which is exactly where bench lives (0 errors
 * out of 40 does not prove an error rate of 0). n = 0 gives the uninformative [0, 1].
 */
export function wilson(k: number, n: number, z = Z95): ShareInterval {
  if (n <= 0) return { estimate: 0, lo: 0, hi: 1, n: 0 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { estimate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), n };
}

export interface DiffInterval {
  /** b − a. */
  estimate: number;
  lo: number;
  hi: number;
}

/**
 * 95% interval for the difference of two shares b − a (Newcombe's hybrid score method, "method 10"
 * in Newcombe 1998): the Wilson limits of each share, combined. It treats the sides as independent,
 * which for paired sends is conservative (wider), never falsely sure.
 */
export function shareDiff(ka: number, na: number, kb: number, nb: number): DiffInterval {
  const a = wilson(ka, na);
  const b = wilson(kb, nb);
  const d = b.estimate - a.estimate;
  return {
    estimate: d,
    lo: d - Math.sqrt((b.estimate - b.lo) ** 2 + (a.hi - a.estimate) ** 2),
    hi: d + Math.sqrt((b.hi - b.estimate) ** 2 + (a.estimate - a.lo) ** 2),
  };
}

/**
 * Pairs needed for an interval now `halfWidth` wide (at n) to shrink to `target`: widths fall as
 * 1/√n, so n·(halfWidth/target)². Rounded up to a multiple of 10; undefined when it cannot be said.
 */
export function pairsNeeded(n: number, halfWidth: number, target: number): number | undefined {
  if (!(n > 0) || !(halfWidth > 0) || !(target > 0) || !Number.isFinite(halfWidth / target)) return undefined;
  const need = n * (halfWidth / target) ** 2;
  return Number.isFinite(need) ? Math.max(n + 1, Math.ceil(need / 10) * 10) : undefined;
}
