/**
 * Parsing the values of command-line flags, the one module every command uses: each bad value is
 * a UsageError naming the flag, what it accepts and an example. Pure (commander hands strings over).
 */
import { Decimal } from './decimal.js';
import { UsageError } from '../errors.js';
import { MAX_TIMEOUT_MS } from './profiles.js';

/** What a numeric flag accepts. `max` is a range's upper end; `limit` a technical ceiling (a timer's). */
export interface NumberRule {
  int?: boolean;
  positive?: boolean;
  min?: number;
  max?: number;
  limit?: number;
  example: string;
}

function accepts(r: NumberRule): string {
  const kind = r.int ? 'a whole number' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}`;
  if (r.positive) return `${kind} above 0`;
  if (r.min !== undefined) return `${kind} ≥ ${r.min}`;
  return kind;
}

/** A numeric flag's value, or undefined when the flag was not given. */
export function numberFlag(v: string, flag: string, r: NumberRule): number;
export function numberFlag(v: string | undefined, flag: string, r: NumberRule): number | undefined;
export function numberFlag(v: string | undefined, flag: string, r: NumberRule): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const bad = v.trim() === '' || !Number.isFinite(n) || (r.int && !Number.isInteger(n)) || (r.positive && n <= 0) || (r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max);
  if (bad) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected ${accepts(r)}, e.g. ${flag} ${r.example}.`);
  if (r.limit !== undefined && n > r.limit) throw new UsageError(`${flag} ${v.trim()} is above the largest value holy can wait for (${r.limit}), about 24 days in ms; write e.g. ${flag} ${r.example}.`);
  return n;
}

/**
 * --timeout MS: a positive number of milliseconds. Node turns a timer above 2^31−1 ms into 1 ms,
 * so a longer one is refused rather than timing out at once.
 */
export function timeoutFlag(v: string | undefined): number | undefined {
  return numberFlag(v, '--timeout', { positive: true, limit: MAX_TIMEOUT_MS, example: '30000' });
}

/** An exact decimal flag (money, rates, counts used in money): digits with an optional fraction, no sign or exponent. */
export function decimalFlag(v: string, flag: string, what: string, o: { positive?: boolean; integer?: boolean } = {}): Decimal {
  const s = v.trim();
  const ok = o.integer ? /^\d+$/.test(s) : /^\d+(\.\d+)?$/.test(s);
  if (!ok || (o.positive && new Decimal(s).isZero())) {
    throw new UsageError(`${flag} must be ${o.positive ? 'a positive' : 'a non-negative'} ${o.integer ? 'whole number' : 'number'} (${what}), got "${v}".`);
  }
  return new Decimal(s);
}
