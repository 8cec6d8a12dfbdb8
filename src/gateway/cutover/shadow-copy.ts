/**
 * One shadow copy, start to finish (docs/cutover.md, "Shadow"): the body sent, the call, its
 * list-price cost in pico-dollars and the pair of results lines, cleaned and serialised as one string
 * (one write). Everything here runs on the gateway's event loop after the client has its answer, so
 * each step is kept to what it must do: the primary's request object is sent as is (a copy only when a
 * stream must ask for usage), the price is exact integer arithmetic on the table's decimals, and the
 * lines are checked for keys and control characters on their JSON text (the walk over every string of
 * the line runs only when that text holds something to clean).
 */
import type { CallResult } from '../../core/chat.js';
import { Decimal } from '../../core/decimal.js';
import { costUSD, lookupPrice, type PriceRow, type PriceTable } from '../../core/prices.js';
import type { Untrusted } from '../../core/untrusted.js';
import type { Served } from '../contract.js';
import { callLine, cleanLine, servedLine } from './recorder.js';

/** Spend is counted in the store as whole pico-dollars (1e-12 USD): exact for list prices with up to six decimals per 1M tokens. */
export const PICO = new Decimal('1e12');

/** How a shadow copy is sent (wire.ts by default; tests may replace it). */
export type ShadowSend = (provider: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<CallResult>;

/** What the gateway's thread hands over for one copy. */
export interface CopyJob {
  served: Served;
  provider: string;
  /** The pair's line number in the file (`source.line`); 0 = not recorded. */
  seq: number;
}

/** What comes back: counted and written by the gateway's thread. */
export interface CopyResult {
  /** Cut off by close(): neither counted as the shadow's failure nor written. */
  aborted: boolean;
  ok: boolean;
  /** List-price cost of the copy in pico-dollars (0 when unpriced or no usage). */
  pico: number;
  /** Both halves of the pair, two lines joined by "\n" (when recorded). */
  lines?: string;
}

export interface CopyEnv {
  send: ShadowSend;
  signal: AbortSignal;
  now: () => number;
  prices: PriceTable;
  redact: RegExp[];
  untrusted?: Untrusted;
}

/** The copy's body: the request as the primary got it, a stream asking for usage. The primary's object is reused when nothing changes. */
export function shadowBody(request: Record<string, unknown>): Record<string, unknown> {
  if (request.stream !== true) return request;
  const so = request.stream_options;
  if (so && typeof so === 'object' && (so as { include_usage?: unknown }).include_usage === true) return request;
  return { ...request, stream_options: { ...(so && typeof so === 'object' ? (so as object) : {}), include_usage: true } };
}

/** A price (USD per 1M tokens, a decimal string) in micro-dollars per 1M tokens = pico-dollars per token; undefined past six decimals. */
function picoPerToken(price: string): number | undefined {
  const m = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(price);
  return m ? Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0')) : undefined;
}
const perToken = new WeakMap<PriceRow, { input: number; cached: number; output: number } | null>();

/**
 * The list-price cost of a copy in whole pico-dollars, rounded up: what costUSD(row, t) × 1e12 is,
 * in integer arithmetic when the row's prices have at most six decimals (every built-in row) and the
 * products stay exact in a double; through Decimal otherwise.
 */
export function picoCost(row: PriceRow, t: { input: number; cached: number; output: number }): number {
  let p = perToken.get(row);
  if (p === undefined) {
    const input = picoPerToken(row.input);
    const cached = picoPerToken(row.cachedInput ?? row.input);
    const output = picoPerToken(row.output);
    p = input !== undefined && cached !== undefined && output !== undefined ? { input, cached, output } : null;
    perToken.set(row, p);
  }
  if (p && Number.isSafeInteger(t.input) && Number.isSafeInteger(t.cached) && Number.isSafeInteger(t.output)) {
    const n = (t.input - t.cached) * p.input + t.cached * p.cached + t.output * p.output;
    if (Number.isSafeInteger(n) && Math.abs(t.input * p.input) + Math.abs(t.cached * p.cached) + Math.abs(t.output * p.output) < Number.MAX_SAFE_INTEGER) return n;
  }
  return costUSD(row, t).times(PICO).ceil().toNumber();
}

export async function runCopy(j: CopyJob, env: CopyEnv): Promise<CopyResult> {
  const s = j.served;
  const body = shadowBody(s.request);
  const startedAt = env.now();
  const r = await env.send(j.provider, body, env.signal);
  if (env.signal.aborted) return { aborted: true, ok: false, pico: 0 };
  let pico = 0;
  if (r.usage) {
    const row = lookupPrice(env.prices, s.modelServed) ?? lookupPrice(env.prices, String(s.request.model ?? ''));
    if (row) {
      const cached = (r.usage as { prompt_tokens_details?: { cached_tokens?: number } }).prompt_tokens_details?.cached_tokens ?? 0;
      pico = picoCost(row, { input: r.usage.prompt_tokens ?? 0, cached, output: r.usage.completion_tokens ?? 0 });
    }
  }
  const out: CopyResult = { aborted: false, ok: r.ok, pico };
  if (j.seq > 0) {
    const src = { file: 'gateway-shadow', line: j.seq };
    const model = typeof s.request.model === 'string' ? s.request.model : s.modelServed;
    // Both halves of the pair as one string: bench joins them on the request id, and one write keeps them together.
    out.lines = cleanLine(servedLine(s, 'old', src), env.redact, env.untrusted) + '\n' + cleanLine(callLine(r, body, { id: s.requestId, provider: j.provider, startedAt, model, ...src }), env.redact, env.untrusted);
  }
  return out;
}
