/** Per-provider circuit breakers. STUB (always closed): replaced by the breaker helper. */
import type { Breakers, GatewayStore } from './contract.js';

export interface BreakerOptions { failures: number; coolDownMs: number; now?: () => number }
export function createBreakers(_store: GatewayStore, _o: BreakerOptions): Breakers {
  return { allow: async () => true, success: async () => {}, failure: async () => {}, state: async () => 'closed' };
}
