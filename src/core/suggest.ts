/** "Did you mean …?" for names a user types: commands, subcommands, providers. */

/** Names people reach for that holy spells differently. */
const ALIASES: Record<string, string> = {
  openai: 'official',
  'api.openai.com': 'official',
  holy: 'holysheep',
  'holy-sheep': 'holysheep',
  holy_sheep: 'holysheep',
};

/** Optimal string alignment distance (edit distance counting a swap of neighbours as one). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `typed` (an alias, or within ~40% of its length in edits), or null. */
export function closest(typed: string, known: readonly string[]): string | null {
  const t = typed.toLowerCase();
  const alias = ALIASES[t];
  if (alias && known.includes(alias)) return alias;
  let best: { name: string; d: number } | null = null;
  for (const name of known) {
    const d = editDistance(t, name.toLowerCase());
    if (d <= Math.max(1, Math.floor(name.length * 0.4)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name ?? null;
}
