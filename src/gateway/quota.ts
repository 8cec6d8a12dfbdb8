/** Per-tenant RPM/TPM quotas. STUB (admits everything): replaced by the quotas helper. */
import type { GatewayStore, Quotas } from './contract.js';

export function createQuotas(_store: GatewayStore): Quotas {
  return { admit: async () => ({ ok: true, headers: {} }), settle: async () => {} };
}
