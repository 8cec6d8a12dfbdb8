/** Model names: normalising snapshots and spellings, and the suggested old → new mapping. */

/**
 * Canonical form used for lookups: lower case, provider prefix dropped ("openai/gpt-4o"),
 * dated snapshot dropped (gpt-4o-2024-08-06, claude-3-opus-20240229, gpt-4-0613),
 * Claude's dashed versions dotted (claude-sonnet-4-5 ≡ claude-sonnet-4.5).
 */
export function normaliseModel(id: string): string {
  let m = id.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  m = m.replace(/[-@](\d{4}-\d{2}-\d{2}|\d{8})$/, '').replace(/-(0[1-9]|1[0-2])\d{2}$/, '');
  if (m.startsWith('claude-')) m = m.replace(/(\d)-(\d)(?=$|-)/g, '$1.$2');
  m = m.replace(/-latest$/, '');
  return ALIASES[m] ?? m;
}

/** Vendor spellings that name the same priced model. */
const ALIASES: Record<string, string> = {
  'deepseek-chat': 'deepseek-v3.2',
  'deepseek-v3.2-chat': 'deepseek-v3.2',
  'claude-4.5-sonnet': 'claude-sonnet-4.5',
  'gemini-2.5-flash-preview': 'gemini-2.5-flash',
  'gemini-1.0-pro': 'gemini-pro',
  'gpt-4-turbo-preview': 'gpt-4-turbo',
};

/** Suggested replacements for models a relay no longer serves (as in the source articles). */
const SUGGESTED_MAPPING: Readonly<Record<string, string>> = {
  'gpt-4-turbo': 'gpt-4.1',
  'gpt-4': 'gpt-4.1',
  'gpt-3.5-turbo': 'gpt-4o-mini',
  'claude-3-opus': 'claude-sonnet-4.5',
  'claude-3.5-sonnet': 'claude-sonnet-4.5',
  'gemini-pro': 'gemini-2.5-flash',
  'gemini-1.5-pro': 'gemini-2.5-flash',
};

/** The suggested target for a model, after normalisation; undefined when none is known. */
export function suggestMapping(id: string): string | undefined {
  return SUGGESTED_MAPPING[normaliseModel(id)];
}

/** Levenshtein distance, for "did you mean" lists (names are short; O(n·m) is fine). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The `n` names closest to `id` (normalised comparison), closest first. */
export function closestModels(id: string, candidates: Iterable<string>, n = 3): string[] {
  const target = normaliseModel(id);
  return [...new Set(candidates)]
    .map((c) => ({ c, d: normaliseModel(c) === target ? 0 : editDistance(target, normaliseModel(c)) }))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, n)
    .map((x) => x.c);
}
