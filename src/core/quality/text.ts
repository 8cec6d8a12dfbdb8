/** Text similarity metrics for quality A/B: normalised exact match, token F1 (SQuAD-style), ROUGE-L. */

/** Longest token sequence ROUGE-L compares per side; beyond it only the first ROUGE_CAP tokens count (keeps O(n·m) bounded: ≤ 4M cells). */
export const ROUGE_CAP = 2000;

/** NFKC, case-folded, whitespace collapsed, trimmed, trailing punctuation dropped ("Paris." ≡ "paris"). */
export function normaliseText(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/[\p{P}\s]+$/u, '');
}

// Chinese and Japanese are written without spaces: each ideograph/kana is its own token so
// F1 and ROUGE-L measure character overlap there instead of treating a sentence as one word.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu;

/** Word tokens after normalisation: punctuation and symbols are separators, CJK characters are single tokens. */
export function tokenize(s: string): string[] {
  const n = s.normalize('NFKC').toLowerCase().replace(CJK, ' $& ');
  return n.split(/[\s\p{P}\p{S}]+/u).filter((t) => t.length > 0);
}

/** Normalised exact match. */
export function exactMatch(a: string, b: string): boolean {
  return normaliseText(a) === normaliseText(b);
}

/** Harmonic mean of precision and recall; 0 when both are 0. */
function fMeasure(overlap: number, lenA: number, lenB: number): number {
  if (overlap === 0) return 0;
  const p = overlap / lenB;
  const r = overlap / lenA;
  return (2 * p * r) / (p + r);
}

/** SQuAD-style token F1 over bags of tokens (a = reference/old, b = candidate/new); two empty texts score 1, one empty scores 0. */
export function tokenF1(a: string, b: string): number {
  return tokenF1Of(tokenize(a), tokenize(b));
}

/** tokenF1 on pre-tokenised input. */
export function tokenF1Of(ta: string[], tb: string[]): number {
  if (ta.length === 0 || tb.length === 0) return ta.length === tb.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of ta) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of tb) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      overlap++;
      counts.set(t, c - 1);
    }
  }
  return fMeasure(overlap, ta.length, tb.length);
}

/** Length of the longest common subsequence (two rolling rows: O(n·m) time, O(m) memory). */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L F-measure (β = 1) over tokens, each side capped at ROUGE_CAP tokens; empty/empty scores 1. */
export function rougeL(a: string, b: string): number {
  return rougeLOf(tokenize(a), tokenize(b));
}

/** rougeL on pre-tokenised input. */
export function rougeLOf(ta: string[], tb: string[]): number {
  const x = ta.length > ROUGE_CAP ? ta.slice(0, ROUGE_CAP) : ta;
  const y = tb.length > ROUGE_CAP ? tb.slice(0, ROUGE_CAP) : tb;
  if (x.length === 0 || y.length === 0) return x.length === y.length ? 1 : 0;
  return fMeasure(lcsLength(x, y), x.length, y.length);
}
