/** readTraffic: stream TrafficItems from recorded traffic files of any supported format. */
import type { Ctx } from '../../context.js';
import type { TrafficItem, TrafficStats } from './types.js';

/** Stream items from every file (formats auto-detected per file, mixable); problems collected in stats; with strict, the first problem throws a UsageError "file:line: reason". Batch output files are joined to batch input items on custom_id. Memory: streams line by line (a 100k-line file must not be held as one string). */
export function readTraffic(ctx: Ctx, files: string[], opts: { strict: boolean }): { items: AsyncIterable<TrafficItem>; stats: TrafficStats } {
  void ctx; void files; void opts;
  const stats: TrafficStats = { files: [], skippedEndpoints: {}, problems: [] };
  async function* items(): AsyncGenerator<TrafficItem> {}
  return { items: items(), stats };
}
