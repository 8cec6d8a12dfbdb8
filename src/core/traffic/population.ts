/** The population a traffic file stands for, from the meta lines its reader collected. Pure. */
import { populationNote, type MetaRecord, type SampleHeader } from './meta.js';

/** One sentence per sampled file (several sampled files are several populations), or undefined. */
export function populationOf(meta: readonly MetaRecord[] | undefined): string | undefined {
  const samples = (meta ?? []).filter((m): m is SampleHeader => m.kind === 'traffic-sample');
  return samples.length ? samples.map(populationNote).join(' ') : undefined;
}
