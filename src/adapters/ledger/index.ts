/** The gateway's billing ledger (SQLite). STUB (drops rows): replaced by the ledger helper. */
import type { Ledger } from '../../core/gateway/types.js';

export async function openLedger(_path: string, _o: { onLoss?: (n: number, why: string) => void } = {}): Promise<Ledger> {
  return { add: () => {}, written: () => 0, lost: () => 0, close: async () => {} };
}
