/** Comparing two providers' model lists by normalised name, with the suggested mapping for what only the old one serves. Pure. */
import { normaliseModel } from './models.js';
import { alternatives, type Alternatives } from './verify/model.js';

type DiffStatus = 'both' | 'only-old' | 'only-new';

export interface DiffRow {
  /** Normalised name (snapshots and spellings folded: gpt-4o-2024-08-06 → gpt-4o). */
  model: string;
  status: DiffStatus;
  /** The ids each provider lists under this name. */
  old: string[];
  new: string[];
  /** For only-old rows: the suggested replacement and the closest names NEW serves. */
  suggestion?: Alternatives;
}

const ORDER: Record<DiffStatus, number> = { 'only-old': 0, both: 1, 'only-new': 2 };

/** Group both lists by normalised name; only-old rows first (they need a mapping), then both, then only-new. */
export function diffModels(oldIds: readonly string[], newIds: readonly string[]): DiffRow[] {
  const groups = new Map<string, { old: Set<string>; new: Set<string> }>();
  const put = (id: string, side: 'old' | 'new') => {
    const k = normaliseModel(id);
    const g = groups.get(k) ?? { old: new Set<string>(), new: new Set<string>() };
    g[side].add(id);
    groups.set(k, g);
  };
  oldIds.forEach((id) => put(id, 'old'));
  newIds.forEach((id) => put(id, 'new'));
  const rows: DiffRow[] = [];
  for (const [model, g] of groups) {
    const status: DiffStatus = g.old.size && g.new.size ? 'both' : g.old.size ? 'only-old' : 'only-new';
    rows.push({ model, status, old: [...g.old].sort(), new: [...g.new].sort(), ...(status === 'only-old' ? { suggestion: alternatives(model, newIds) } : {}) });
  }
  return rows.sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.model.localeCompare(b.model));
}

/** "→ gpt-4.1 (served)" / "closest: …" for a diff row's suggestion column. */
export function suggestionText(s: Alternatives | undefined): string {
  if (!s) return '';
  if (s.mapping?.served) return `→ ${s.mapping.served}${s.mapping.served !== s.mapping.to ? ` (${s.mapping.to})` : ''}`;
  const parts: string[] = [];
  if (s.mapping) parts.push(`→ ${s.mapping.to} (not served)`);
  if (s.closest.length) parts.push(`closest: ${s.closest.slice(0, 2).join(', ')}`);
  return parts.join('; ');
}

export interface DiffCounts {
  both: number;
  onlyOld: number;
  onlyNew: number;
}

export function countDiff(rows: readonly DiffRow[]): DiffCounts {
  return {
    both: rows.filter((r) => r.status === 'both').length,
    onlyOld: rows.filter((r) => r.status === 'only-old').length,
    onlyNew: rows.filter((r) => r.status === 'only-new').length,
  };
}
