/** Small seeded PRNG and string hash: the mock must answer identically for the same request and seed. */

/** The same seeded generator bench uses (mulberry32, floats in [0, 1)). */
export { mulberry32 as rng } from '../core/rng.js';

/** FNV-1a over a string's UTF-16 units, continuing from `h` so several strings can be folded in. */
export function hashStr(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mix two 32-bit values into one seed. */
export function mix(a: number, b: number): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
