/** Weighted fair scheduling per provider. STUB (no limit): replaced by the scheduler helper. */
import type { Scheduler } from './contract.js';

export function createScheduler(_o: { maxInFlight: number; queueTimeoutMs: number; clock?: () => number }): Scheduler {
  return { acquire: async () => () => {}, queued: () => 0, inFlight: () => 0 };
}
