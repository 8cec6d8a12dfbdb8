/** JSON validity and structural comparison for JSON-mode answers and tool-call arguments. */
import { rougeL, tokenF1 } from './text.js';

/** Parse strict JSON; undefined when invalid (a JSON-mode answer wrapped in prose or fences is invalid). */
export function parseJson(text: string | null | undefined): { ok: true; value: unknown } | { ok: false } {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Structural equality: object key order ignored, numbers compared numerically (1 ≡ 1.0 ≡ 1e0), array order kept. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && jsonEqual((a as Record<string, unknown>)[k], ob[k]));
}

/** Canonical text of a JSON value (sorted keys), so equal structures give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

// Empty containers are leaves; symbols so they never compare equal to a string such as "{}".
const EMPTY_ARRAY = Symbol('[]');
const EMPTY_OBJECT = Symbol('{}');

/** Leaves by path ($.a.b[0] → value); empty objects/arrays are leaves too, so {} ≠ []. */
function jsonLeaves(v: unknown, path = '$', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(path, EMPTY_ARRAY);
    v.forEach((x, i) => jsonLeaves(x, `${path}[${i}]`, out));
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) out.set(path, EMPTY_OBJECT);
    for (const k of keys) jsonLeaves((v as Record<string, unknown>)[k], `${path}.${JSON.stringify(k)}`, out);
  } else out.set(path, v);
  return out;
}

/**
 * Partial agreement of two JSON values, 0..1: the mean, over the union of leaf paths, of a
 * per-leaf score — 1 for equal values, the text similarity (mean of token F1 and ROUGE-L) for
 * two different strings, 0 for a leaf missing on one side or of another type. So the same
 * schema with reworded string values still earns credit, while wrong keys or numbers do not.
 */
export function jsonSimilarity(a: unknown, b: unknown): number {
  if (jsonEqual(a, b)) return 1;
  const la = jsonLeaves(a);
  const lb = jsonLeaves(b);
  const paths = new Set([...la.keys(), ...lb.keys()]);
  let sum = 0;
  for (const p of paths) {
    if (!la.has(p) || !lb.has(p)) continue;
    const x = la.get(p);
    const y = lb.get(p);
    if (x === y) sum += 1;
    else if (typeof x === 'string' && typeof y === 'string') sum += (tokenF1(x, y) + rougeL(x, y)) / 2;
  }
  return paths.size === 0 ? 1 : sum / paths.size;
}
