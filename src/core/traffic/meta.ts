/**
 * The first (and last) lines holy writes into a traffic file it produced (`traffic pull`, `traffic sample`):
 * `{"_holy": {...}}`. They say where the requests came from (filters, sampling), so a resumed pull can
 * check it continues the same query and bench's report can say what population its figures stand for.
 * The traffic readers recognise and skip them; nothing else reads them.
 */

export const META_KEY = '_holy';

/** What `traffic pull` asked for; a resume must ask for the same. */
export interface PullQuery {
  provider: string;
  baseURL: string;
  model: string | null;
  metadata: Record<string, string>;
  since: string | null;
  until: string | null;
  limit: number | null;
}

export interface PullHeader {
  kind: 'traffic-pull';
  version: 1;
  query: PullQuery;
  order: 'desc';
  startedAt: string;
  /** How each request field was rebuilt (see docs/traffic.md). */
  rebuilt: Record<string, string>;
}

export interface PullEnd {
  kind: 'traffic-pull-end';
  pulled: number;
  skipped: Record<string, number>;
  finishedAt: string;
}

export interface SampleStratum {
  key: string;
  population: number;
  sample: number;
}

export interface SampleHeader {
  kind: 'traffic-sample';
  version: 1;
  from: string[];
  by: string[];
  seed: number;
  minPerStratum: number;
  population: number;
  sample: number;
  strata: SampleStratum[];
  lengthBuckets: string[];
  costUSD: { sample: string; population: string; unpriced: string[] };
}

export type MetaRecord = PullHeader | PullEnd | SampleHeader;

/** The meta record of a parsed line, or undefined when the line is ordinary traffic. */
export function metaOf(o: Record<string, unknown>): MetaRecord | undefined {
  const m = o[META_KEY];
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const k = (m as { kind?: unknown }).kind;
  return k === 'traffic-pull' || k === 'traffic-pull-end' || k === 'traffic-sample' ? (m as MetaRecord) : undefined;
}

/** One meta line (no newline). */
export function metaLine(m: MetaRecord): string {
  return JSON.stringify({ [META_KEY]: m });
}

/** One sentence on the population a sampled file stands for, for bench's summary and report. */
export function populationNote(h: SampleHeader): string {
  const strata = h.strata.filter((s) => s.sample > 0).length;
  return `these requests are a stratified sample of ${h.sample} out of ${h.population} (by ${h.by.join(', ')}; ${strata} strata, at least ${h.minPerStratum} each where available; seed ${h.seed}) from ${h.from.join(', ')}: figures are per request of the sample, not weighted back to the population.`;
}
