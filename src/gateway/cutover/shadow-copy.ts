/**
 * One shadow copy, start to finish (docs/cutover.md, "Shadow"): the body sent, the call, its
 * list-price cost in pico-dollars and the pair of results lines, cleaned and serialised as one string
 * (one write). Everything here runs on the gateway's event loop after the client has its answer, so
 * each step is kept to what it must do: the primary's request object is sent as is (a copy only when a
 * stream must ask for usage), and the lines are checked for keys and control characters on their JSON
 * text (the walk over every string of the line runs only when that text holds something to clean).
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

/** One copy to make. */
export interface CopyJob {
  served: Served;
  provider: string;
  /** The pair's line number in the file (`source.line`); 0 = not recorded. */
  seq: number;
}

/** What one copy gave: counted and written by the Shadow. */
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

/** The price row for a copy: the model that served the primary, else the model the client asked for. */
export function copyPrice(prices: PriceTable, s: Served): PriceRow | undefined {
  return lookupPrice(prices, s.modelServed) ?? lookupPrice(prices, String(s.request.model ?? ''));
}

/** The list-price cost of a copy in whole pico-dollars, rounded up: costUSD(row, t) × 1e12 (prices' Decimals are parsed once per row). */
export function picoCost(row: PriceRow, t: { input: number; cached: number; output: number }): number {
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
    const row = copyPrice(env.prices, s);
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
