/** What the engine is fed (pairs cycling through the traffic) and the progress line it shows. */
import type { Ctx } from '../../context.js';
import type { Out } from '../../ui/output.js';
import { readTraffic } from '../../adapters/traffic/read.js';
import type { BenchOptions } from '../../core/bench/options.js';
import type { Job } from './engine.js';
import type { Side } from './provider.js';
import type { Untrusted } from '../../core/untrusted.js';

/** The pairs to send, cycling through the traffic; `budget` stops a --duration run at --max-cost. */
export async function* jobs(ctx: Ctx, o: BenchOptions, total: number, budget?: { cost: Float64Array; max: number; out: Out }, untrusted?: Untrusted): AsyncGenerator<Job> {
  let index = 0;
  let spent = 0;
  while (index < total) {
    let itemIdx = 0;
    for await (const item of readTraffic(ctx, o.files, { strict: o.strict, keepRecorded: o.oldRecorded, keepRecordedNew: o.newRecorded, ...(untrusted ? { untrusted } : {}) }).items) {
      if (index >= total) return;
      if (budget) {
        spent += budget.cost[itemIdx] ?? 0;
        if (spent > budget.max) {
          budget.out.warn(`stopping early: the estimated spend would pass --max-cost $${budget.max} (pass --yes to let --duration run on).`);
          return;
        }
      }
      yield { index: index++, item, itemIdx: itemIdx++ };
    }
    if (itemIdx === 0) return;
  }
}

/** done/total, errors per side, live E2E p50/p99 and ETA (stderr). */
export function progressLine(oldSide: Side, newSide: Side, measured: number, elapsedMs: number, durationMs?: number): string {
  const done = newSide.stats.total;
  const errs = (s: Side) => s.stats.total - s.stats.ok;
  const q = (s: Side, p: number) => (s.stats.e2e.length ? s.stats.e2e.approxPercentile(p).toFixed(0) : '—');
  const eta = Number.isFinite(measured) && done ? ((measured - done) * elapsedMs) / done : durationMs !== undefined ? durationMs - elapsedMs : NaN;
  return `${done}/${Number.isFinite(measured) ? measured : '?'} pairs · errors ${oldSide.name} ${errs(oldSide)}, ${newSide.name} ${errs(newSide)} · E2E p50/p99 ${newSide.name} ${q(newSide, 50)}/${q(newSide, 99)} ms, ${oldSide.name} ${q(oldSide, 50)}/${q(oldSide, 99)} ms` + (Number.isFinite(eta) ? ` · ETA ${Math.max(0, Math.ceil(eta / 1000))} s` : '');
}
