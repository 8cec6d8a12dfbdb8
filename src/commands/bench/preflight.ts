/** Checks before anything is sent: a baseline exists for --old recorded; both sides list their models (and say if they are holy mock). */
import { UsageError } from '../../errors.js';
import type { Out } from '../../ui/output.js';
import type { Ctx } from '../../context.js';
import { DEFAULT_MAX_BYTES, listForBench } from '../../adapters/provider/index.js';
import type { Untrusted } from '../../core/untrusted.js';
import type { BenchOptions } from '../../core/bench/options.js';
import type { Profile } from '../../core/profiles.js';
import type { Scan } from './scan.js';
import type { Side } from './provider.js';

/** --old recorded with no recorded response at all has no baseline: refuse (exit 2); a partial one is warned about. */
export function checkRecorded(sc: Scan, o: BenchOptions, out: Out): void {
  const items = sc.prompt.length;
  // No chat requests (e.g. embeddings only): nothing here for a recorded chat baseline to judge.
  if (!o.oldRecorded || items === 0) return;
  const files = sc.stats.files.map((f) => `${f.file} (${f.format})`).join(', ');
  if (sc.recorded === 0) {
    throw new UsageError(
      `--old recorded: none of the ${items} request(s) in ${files} has a recorded response, so there is no baseline to compare with; add the Batch output file beside its input, use HAR or holy results files, or name a provider with --old.`,
    );
  }
  if (sc.recorded < items) out.warn(`--old recorded: ${items - sc.recorded} of ${items} request(s) have no recorded response; on the old side they count as not_recorded errors.`);
  if (!o.newRecorded) return;
  const n = sc.recordedNew ?? 0;
  if (n === 0) {
    throw new UsageError(
      `--new recorded: none of the ${items} request(s) in ${files} has a recorded new response (a holy results line with "role": "new" and the same id), so there is nothing to compare; use a gateway shadow recording or a bench --out file, or name a provider with --new.`,
    );
  }
  if (n < items) out.warn(`--new recorded: ${items - n} of ${items} request(s) have no recorded new response; on the new side they count as not_recorded errors.`);
}

export interface SideList {
  /** The new side's model ids (undefined when they could not be listed). */
  served: Set<string> | undefined;
  simulated: { old: boolean; new: boolean };
}

/**
 * GET /models on each live side, at once: the new side's list decides the built-in mapping, a
 * failure is warned about up front (the run still goes on), and holy mock is recognised by the
 * x-holy-mock header it puts on every answer.
 */
export async function listSides(ctx: Ctx, out: Out, sides: Array<{ role: 'old' | 'new'; profile: Profile; live: NonNullable<Side['live']> }>, u: Untrusted): Promise<SideList> {
  const res = await Promise.all(
    sides.map(async (s) => ({ s, r: await listForBench(ctx, s.live.http, { baseURL: s.live.baseURL, apiKey: s.live.key, headers: s.profile.headers, timeoutMs: Math.min(10_000, s.live.timeoutMs), maxBytes: s.profile.maxResponseBytes ?? DEFAULT_MAX_BYTES.models }, u) })),
  );
  const list: SideList = { served: undefined, simulated: { old: false, new: false } };
  for (const { s, r } of res) {
    if (r.simulated) list.simulated[s.role] = true;
    if (s.role === 'new') list.served = r.ids;
    if (!r.ids) {
      const then = s.role === 'new' ? 'only --model-map rewrites models, and ' : '';
      out.warn(`could not list ${s.profile.name}'s models (GET /models: ${r.problem ?? 'failed'}); ${then}its requests may fail too (holy verify shows why).`);
    }
  }
  return list;
}
