/** Ledger rows for tests (gateway and roi): a plausible request, overridable field by field. */
import type { LedgerRow } from '../../src/core/gateway/types.js';

/** 2026-10-01T00:00:00Z in ms. */
export const OCT1 = 1790812800000;

export function ledgerRow(i: number, o: Partial<LedgerRow> = {}): LedgerRow {
  return {
    ts: OCT1 + i * 1000,
    requestId: `req-${i}`,
    tenant: i % 2 ? 'acme' : 'globex',
    endpoint: 'chat',
    modelAsked: 'gpt-4o',
    modelServed: 'gpt-4o',
    provider: 'holysheep',
    stream: i % 3 === 0,
    inputTokens: 1000,
    cachedTokens: 200,
    outputTokens: 100,
    estimated: false,
    costUSD: '0.00325',
    costCNY: '0.023725',
    status: 'ok',
    httpStatus: 200,
    latencyMs: 12.5,
    ttftMs: 3.25,
    fallback: false,
    arm: 'primary',
    ...o,
  };
}

/** Poll (on the event loop, no wall-clock limit of its own) until `f` is true. */
export async function until(f: () => boolean): Promise<void> {
  while (!f()) await new Promise((r) => setTimeout(r, 5));
}
