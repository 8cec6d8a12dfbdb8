/** Shared helpers for roi tests: run `holy roi --json` and read its document. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runHoly, ROOT, type FakeOpts } from '../helpers/ctx.js';

export const FX = (name: string) => join(ROOT, 'fixtures', 'usage', name);

export interface Money {
  amount: string;
  currency: string;
}

/** Run roi with --json; asserts exit 0 and returns the parsed document and stderr. */
export async function roiJson(args: string[], o: FakeOpts = {}): Promise<{ doc: any; stderr: string }> {
  const r = await runHoly(['roi', ...args, '--json'], o);
  assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
  return { doc: JSON.parse(r.stdout), stderr: r.stderr };
}

/** Run roi expecting a usage error (exit 2); returns stderr. */
export async function roiFails(args: string[], o: FakeOpts = {}, code = 2): Promise<string> {
  const r = await runHoly(['roi', ...args], o);
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}; stderr: ${r.stderr}; stdout: ${r.stdout.slice(0, 300)}`);
  assert.equal(r.stdout, '', 'nothing on stdout for an error');
  return r.stderr;
}

/** Decimal strings compared numerically-exactly (so "3.0" equals "3"). */
export function eqDec(actual: string, expected: string, what = ''): void {
  const norm = (s: string) => {
    let [i, f = ''] = s.replace(/^\+/, '').split('.');
    f = f.replace(/0+$/, '');
    i = i!.replace(/^(-?)0+(?=\d)/, '$1');
    return f ? `${i}.${f}` : i!;
  };
  assert.equal(norm(actual), norm(expected), `${what}: ${actual} ≠ ${expected}`);
}

export function money(m: Money, amount: string, currency: string, what = ''): void {
  assert.equal(m.currency, currency, `${what} currency`);
  eqDec(m.amount, amount, what);
}
