/** JSON validity and structural comparison for JSON-mode answers and tool-call arguments. */

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

/** Leaves as "path=value" strings ($.a.b[0]=1), the unit of partial JSON agreement. */
export function jsonLeaves(v: unknown, path = '$', out: string[] = []): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${path}=[]`);
    v.forEach((x, i) => jsonLeaves(x, `${path}[${i}]`, out));
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) out.push(`${path}={}`);
    for (const k of keys) jsonLeaves((v as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else {
    out.push(`${path}=${JSON.stringify(v) ?? 'null'}`);
  }
  return out;
}

/** Partial agreement of two JSON values: F1 over their leaf sets (1 when structurally equal, 0 when nothing matches). */
export function jsonLeafF1(a: unknown, b: unknown): number {
  if (jsonEqual(a, b)) return 1;
  const la = jsonLeaves(a);
  const lb = new Map<string, number>();
  for (const l of jsonLeaves(b)) lb.set(l, (lb.get(l) ?? 0) + 1);
  const nb = [...lb.values()].reduce((s, n) => s + n, 0);
  let overlap = 0;
  for (const l of la) {
    const c = lb.get(l) ?? 0;
    if (c > 0) {
      overlap++;
      lb.set(l, c - 1);
    }
  }
  if (overlap === 0) return 0;
  const p = overlap / nb;
  const r = overlap / la.length;
  return (2 * p * r) / (p + r);
}
