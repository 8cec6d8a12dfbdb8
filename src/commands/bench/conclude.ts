/** After the replay: the cost per 1,000 requests, the verdict and the run header, from the summary. */
import type { BenchOptions } from '../../core/bench/options.js';
import type { BenchSummary } from '../../core/bench/summary.js';
import type { EmbeddingsSummary } from '../../core/bench/embeddings.js';
import type { PriceTable } from '../../core/prices.js';
import type { Profile } from '../../core/profiles.js';
import { sideCost, type SideCost } from '../../core/bench/cost.js';
import { decide, type Verdict } from '../../core/bench/verdict.js';
import { hostOf, loadText, type RunHeader } from '../../core/bench/header.js';
import type { TrafficStats } from '../../adapters/traffic/types.js';
import { VERSION } from '../../version.js';

export interface Conclusion {
  verdict: Verdict;
  run: RunHeader;
  cost: { old?: SideCost; new?: SideCost };
}

export interface ConcludeInput {
  o: Pick<BenchOptions, 'load' | 'seed' | 'warmup' | 'stream'>;
  summary: BenchSummary;
  table: PriceTable;
  oldP?: Profile;
  /** undefined with --new recorded. */
  newP?: Profile;
  /** Sides whose GET /models came from holy mock. */
  listedSimulated: { old: boolean; new: boolean };
  files: TrafficStats['files'];
  items: number;
  interrupted: boolean;
  embeddings?: EmbeddingsSummary;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
}

const base = (url: string) => url.trim().replace(/\/+$/, '');

export function conclude(i: ConcludeInput): Conclusion {
  const s = i.summary;
  const cost: Conclusion['cost'] = {};
  const co = sideCost(s.old, i.table);
  const cn = sideCost(s.new, i.table);
  if (co) cost.old = co;
  if (cn) cost.new = cn;
  // holy mock says so in its GET /models header; a recording made against it, in its fingerprint.
  const simulated = { old: i.listedSimulated.old || s.old.simulatedResponses > 0, new: i.listedSimulated.new || s.new.simulatedResponses > 0 };
  const sameEndpoint = !!i.oldP && !!i.newP && base(i.oldP.baseURL) === base(i.newP.baseURL);
  const verdict = decide({ summary: s, cost, simulated, sameEndpoint, interrupted: i.interrupted, items: i.items, ...(i.embeddings ? { embeddings: i.embeddings } : {}) });
  const run: RunHeader = {
    old: { name: s.old.name, host: i.oldP ? hostOf(i.oldP.baseURL) : null, simulated: simulated.old },
    new: { name: s.new.name, host: i.newP ? hostOf(i.newP.baseURL) : null, simulated: simulated.new },
    load: i.o.load, loadText: loadText(i.o.load), seed: i.o.seed, warmup: i.o.warmup, stream: i.o.stream,
    traffic: i.files.map((f) => ({ file: f.file, format: f.format, items: f.items })), pairs: s.pairs,
    startedAt: new Date(i.startedAt).toISOString(), endedAt: new Date(i.endedAt).toISOString(), holyVersion: VERSION, simulated: verdict.simulated,
  };
  return { verdict, run, cost };
}
