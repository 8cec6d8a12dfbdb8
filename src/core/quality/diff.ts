/** Word-level diff of two answers for the side-by-side view of the least similar pairs. */

/** One run of the diff: text in both, only in the old answer, or only in the new one. */
interface DiffPart {
  op: 'eq' | 'del' | 'ins';
  text: string;
}

/** Per side, at most this many tokens are aligned (the table is n·m); the rest is shown as removed/added. */
const DIFF_CAP = 1500;

// Whitespace runs are tokens too, so joining the parts gives back the exact texts; CJK
// characters are single tokens, as in the similarity metrics.
const TOKEN = /\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

/** Split into word, CJK-character and whitespace tokens (lossless). */
export function diffTokens(s: string): string[] {
  return s.match(TOKEN) ?? [];
}

function push(out: DiffPart[], op: DiffPart['op'], text: string): void {
  const last = out[out.length - 1];
  if (last && last.op === op) last.text += text;
  else if (text) out.push({ op, text });
}

/** LCS-based word diff; old text = eq + del parts, new text = eq + ins parts, in order. */
export function wordDiff(oldText: string, newText: string): DiffPart[] {
  const a = diffTokens(oldText);
  const b = diffTokens(newText);
  const n = Math.min(a.length, DIFF_CAP);
  const m = Math.min(b.length, DIFF_CAP);
  // Full table for the backtrack: (n+1)(m+1) ≤ 2.25M cells of Uint16 (LCS ≤ 1500 fits).
  const w = m + 1;
  const t = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = a[i] === b[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    }
  }
  const out: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      push(out, 'eq', a[i]!);
      i++;
      j++;
    } else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) push(out, 'del', a[i++]!);
    else push(out, 'ins', b[j++]!);
  }
  push(out, 'del', a.slice(i).join(''));
  push(out, 'ins', b.slice(j).join(''));
  return out;
}
