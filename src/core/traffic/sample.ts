/**
 * Stratified random sampling of traffic. Pure.
 * Allocation: each stratum gets its proportional share of n (largest remainder, so the sizes add up to n
 * exactly), raised to a minimum per stratum (all of a stratum smaller than that), the excess taken back from
 * the strata most over their share. Selection: every request gets a key from a hash of (seed, request id);
 * a stratum keeps its k smallest keys, a uniform sample without replacement that does not depend on file order.
 */

import { printable } from './printable.js';

export type StratumKey = 'model' | 'stream' | 'length';

/** Prompt-length buckets (local tokenizer count of the request's messages). */
export const LENGTH_BUCKETS: ReadonlyArray<{ label: string; below: number }> = [
  { label: '<256', below: 256 },
  { label: '256-1k', below: 1024 },
  { label: '1k-4k', below: 4096 },
  { label: '4k-16k', below: 16384 },
  { label: '>=16k', below: Infinity },
];

export function lengthBucket(promptTokens: number): string {
  return LENGTH_BUCKETS.find((b) => promptTokens < b.below)!.label;
}

/** The values of a request for each stratum key, in --by order. */
export function stratumValues(by: readonly StratumKey[], r: { model: string; stream: boolean; promptTokens: number }): string[] {
  // The model name comes from an input file: it reaches the terminal in the strata table.
  return by.map((k) => (k === 'model' ? printable(r.model, 80) : k === 'stream' ? (r.stream ? 'stream' : 'no-stream') : lengthBucket(r.promptTokens)));
}

/**
 * Sample sizes per stratum: proportional to `sizes`, at least min(size, minPer), summing to min(n, total).
 * Returns a problem when the minimums alone exceed n.
 */
export function allocate(sizes: readonly number[], n: number, minPer: number): { alloc: number[] } | { problem: string; needed: number } {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (n >= total) return { alloc: [...sizes] };
  const base = sizes.map((s) => Math.min(s, minPer));
  const needed = base.reduce((a, b) => a + b, 0);
  if (needed > n) return { problem: 'minimums exceed n', needed };
  const ideal = sizes.map((s) => (n * s) / total);
  const alloc = sizes.map((s, i) => Math.min(s, Math.max(base[i]!, Math.floor(ideal[i]!))));
  let sum = alloc.reduce((a, b) => a + b, 0);
  // Ties go to the lower index (callers sort strata by key, so the result does not depend on input order).
  const order = (score: (i: number) => number) => sizes.map((_, i) => i).sort((a, b) => score(b) - score(a) || a - b);
  while (sum < n) {
    const i = order((j) => (alloc[j]! < sizes[j]! ? ideal[j]! - alloc[j]! : -Infinity))[0]!;
    alloc[i]!++;
    sum++;
  }
  while (sum > n) {
    const i = order((j) => (alloc[j]! > base[j]! ? alloc[j]! - ideal[j]! : -Infinity))[0]!;
    alloc[i]!--;
    sum--;
  }
  return { alloc };
}

/** A key in [0, 1) from (seed, id): FNV-1a over the id, mixed with the seed (murmur3's finaliser). */
export function selectionKey(seed: number, id: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.imul(seed >>> 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Indexes (into keys) of the k smallest keys among `members`, ties broken by index. */
export function smallest(keys: ArrayLike<number>, members: readonly number[], k: number): number[] {
  if (k >= members.length) return [...members];
  return [...members].sort((a, b) => keys[a]! - keys[b]! || a - b).slice(0, k);
}
