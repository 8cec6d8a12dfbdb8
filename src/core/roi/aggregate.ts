/** Summing usage rows into groups with exact integer token counts (no pricing here). */
import { Decimal } from '../decimal.js';

/** One group of rows: a model id, batch or not, and the --by value. Counts are exact integers. */
export interface Group {
  model: string;
  batch: boolean;
  /** The --by value (tenant, project, api key, day, month) or '' when grouping by model only. */
  dim: string;
  requests: number;
  input: number;
  cached: number;
  output: number;
  /** Spill-over when a count passes 2^52, so sums stay exact past Number's integer range. */
  spill: { requests: bigint; input: bigint; cached: bigint; output: bigint } | null;
  /** Money-only rows (OpenAI cost export): USD list amount summed exactly. */
  usd: Decimal | null;
}

/** Exact token totals of a group (or of several). */
export interface Counts {
  requests: bigint;
  input: bigint;
  cached: bigint;
  output: bigint;
}

const SPILL = 2 ** 52;

export function zeroCounts(): Counts {
  return { requests: 0n, input: 0n, cached: 0n, output: 0n };
}

/** A group's counts as BigInt, spill included. */
export function countsOf(g: Group): Counts {
  const s = g.spill;
  return {
    requests: BigInt(g.requests) + (s?.requests ?? 0n),
    input: BigInt(g.input) + (s?.input ?? 0n),
    cached: BigInt(g.cached) + (s?.cached ?? 0n),
    output: BigInt(g.output) + (s?.output ?? 0n),
  };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return { requests: a.requests + b.requests, input: a.input + b.input, cached: a.cached + b.cached, output: a.output + b.output };
}

/** Accumulates rows; the caller validates values first (non-negative integers < 2^53). */
export class Aggregator {
  /** model → dim → group, for plain and batch rows: fresh strings are hashed once, no key concatenation per row. */
  private readonly plain = new Map<string, Map<string, Group>>();
  private readonly batched = new Map<string, Map<string, Group>>();
  /** Earliest start and latest end seen (epoch ms); ±Infinity when no row had a time. */
  tMin = Infinity;
  tMax = -Infinity;
  rows = 0;

  /** Every group, in first-seen order per model. */
  get groups(): Group[] {
    const all: Group[] = [];
    for (const m of [this.plain, this.batched]) for (const byDim of m.values()) all.push(...byDim.values());
    return all;
  }

  private group(model: string, batch: boolean, dim: string): Group {
    const top = batch ? this.batched : this.plain;
    let byDim = top.get(model);
    if (byDim === undefined) top.set(model, (byDim = new Map()));
    let g = byDim.get(dim);
    if (g === undefined) {
      g = { model, batch, dim, requests: 0, input: 0, cached: 0, output: 0, spill: null, usd: null };
      byDim.set(dim, g);
    }
    return g;
  }

  /** Add one row of token counts; t0/t1 are its start/end in epoch ms (NaN when unknown). */
  add(model: string, batch: boolean, dim: string, requests: number, input: number, cached: number, output: number, t0: number, t1: number): void {
    const g = this.group(model, batch, dim);
    // A group holds at most 2^52 and a row at most 2^53 − 1: their sum could pass 2^53 and round,
    // so a row above 2^52 (rare) first moves the group into the spill and is added to zero.
    if (requests > SPILL || input > SPILL || cached > SPILL || output > SPILL) spill(g);
    g.requests += requests;
    g.input += input;
    g.cached += cached;
    g.output += output;
    if (g.input > SPILL || g.output > SPILL || g.cached > SPILL || g.requests > SPILL) spill(g);
    this.rows++;
    this.time(t0, t1);
  }

  /** Add a money-only row (USD list amount). */
  addMoney(model: string, dim: string, usd: Decimal, t0: number, t1: number): void {
    const g = this.group(model, false, dim);
    g.usd = g.usd ? g.usd.plus(usd) : usd;
    this.rows++;
    this.time(t0, t1);
  }

  private time(t0: number, t1: number): void {
    if (t0 < this.tMin) this.tMin = t0;
    if (t0 > this.tMax) this.tMax = t0;
    if (t1 > this.tMax) this.tMax = t1;
  }
}

function spill(g: Group): void {
  g.spill ??= { requests: 0n, input: 0n, cached: 0n, output: 0n };
  g.spill.requests += BigInt(g.requests);
  g.spill.input += BigInt(g.input);
  g.spill.cached += BigInt(g.cached);
  g.spill.output += BigInt(g.output);
  g.requests = g.input = g.cached = g.output = 0;
}

/**
 * A token count cell as a whole non-negative number, or -1. Strict on purpose: Number() would
 * accept "1e3", "0x10" and " 12"; "12.0" (spreadsheets) is accepted, "12.5" is not.
 */
export function parseCount(s: string): number {
  const n = s.length;
  if (n === 0 || n > 20) return -1;
  let v = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  if (i === 0) return -1;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return -1;
    for (i++; i < n; i++) if (s.charCodeAt(i) !== 48) return -1;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}
