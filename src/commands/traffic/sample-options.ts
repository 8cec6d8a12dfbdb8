/** `holy traffic sample` flags → checked options. Pure. */
import { UsageError } from '../../errors.js';
import type { StratumKey } from '../../core/traffic/sample.js';

export interface SampleFlags {
  n?: string;
  by?: string;
  minPerStratum?: string;
  seed?: string;
  out?: string;
  prices?: string;
  strict?: boolean;
}

export interface SampleOptions {
  files: string[];
  n: number;
  by: StratumKey[];
  minPerStratum: number;
  seed: number;
  out: string;
  prices?: string;
  strict: boolean;
}

const KEYS: readonly StratumKey[] = ['model', 'stream', 'length'];

function int(v: string, flag: string, min: number, example: string): number {
  const t = v.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || !Number.isSafeInteger(Number(t))) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a whole number of at least ${min}, e.g. ${flag} ${example}.`);
  return Number(t);
}

export function parseSampleOptions(files: string[], f: SampleFlags): SampleOptions {
  if (!f.out || !f.out.trim()) throw new UsageError('--out is required: name the sample file to write, e.g. --out sample.jsonl.');
  const by: StratumKey[] = [];
  for (const raw of (f.by ?? 'model,stream,length').split(',')) {
    const k = raw.trim();
    if (k === '') continue;
    if (!KEYS.includes(k as StratumKey)) throw new UsageError(`--by ${JSON.stringify(f.by)}: "${k}" is not a stratum key; use any of ${KEYS.join(', ')}, e.g. --by model,length.`);
    if (!by.includes(k as StratumKey)) by.push(k as StratumKey);
  }
  return {
    files,
    n: int(f.n ?? '', '--n', 1, '500'),
    by,
    minPerStratum: int(f.minPerStratum ?? '5', '--min-per-stratum', 0, '5'),
    seed: int(f.seed ?? '1', '--seed', 0, '7'),
    out: f.out,
    ...(f.prices ? { prices: f.prices } : {}),
    strict: !!f.strict,
  };
}
