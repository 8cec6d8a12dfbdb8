/** `holy bench` flags as given on the command line → validated options. Pure: every problem names its flag. */
import { numberFlag, timeoutFlag, type NumberRule } from '../flags.js';
import { UsageError } from '../../errors.js';
import { parsePercentiles, PercentileError } from './samples.js';
import type { LoadMode } from './schedule.js';
import type { SLO } from './metrics.js';

/** Raw commander values (strings unless boolean). */
export interface BenchFlags {
  old?: string;
  new?: string;
  concurrency?: string;
  rate?: string;
  seed?: string;
  replayTiming?: boolean;
  speed?: string;
  requests?: string;
  duration?: string;
  warmup?: string;
  stream?: string;
  modelMap?: string[];
  timeout?: string;
  retries?: string;
  rpm?: string;
  tpm?: string;
  abortAfter?: string;
  maxCost?: string;
  yes?: boolean;
  dryRun?: boolean;
  prices?: string;
  slo?: string;
  percentiles?: string;
  p99?: string | boolean;
  maxRegression?: string;
  qualityThreshold?: string;
  showWorst?: string;
  judge?: string;
  out?: string;
  csv?: string;
  html?: string;
  strict?: boolean;
  force?: boolean;
}

export interface BenchOptions {
  files: string[];
  old?: string;
  new?: string;
  /** --old recorded: the recorded responses are the baseline; no old calls. */
  oldRecorded: boolean;
  /** --new recorded (with --old recorded): holy results pairs (bench --out, the gateway's shadow) compared without sending anything. */
  newRecorded: boolean;
  load: LoadMode;
  seed: number;
  requests?: number;
  durationMs?: number;
  warmup: number;
  stream: 'on' | 'off' | 'as-recorded';
  modelMap: Map<string, string>;
  timeoutMs?: number;
  retries: number;
  rpm?: number;
  tpm?: number;
  abortAfter?: number;
  maxCostUSD: number;
  yes: boolean;
  dryRun: boolean;
  prices?: string;
  slo: SLO;
  percentiles: number[];
  /** --percentiles was given: show the full table, not the compact one. */
  percentilesGiven: boolean;
  p99First: boolean;
  p99GateMs?: number;
  maxRegressionPct?: number;
  qualityThreshold: number;
  showWorst: number;
  judge?: { provider: string; model: string };
  out?: string;
  csv?: string;
  html?: string;
  strict: boolean;
  force: boolean;
}

/** Parse "ttft=500,e2e=3000" (ms). */
export function parseSlo(spec: string | undefined): SLO {
  if (spec === undefined) return {};
  const slo: SLO = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(ttft|e2e)\s*=\s*(\d+(?:\.\d+)?)\s*(ms)?$/i.exec(part);
    if (!m) throw new UsageError(`--slo ${JSON.stringify(spec)}: ${JSON.stringify(part)} is not ttft=MS or e2e=MS; write e.g. --slo ttft=500,e2e=3000.`);
    slo[m[1]!.toLowerCase() === 'ttft' ? 'ttftMs' : 'e2eMs'] = Number(m[2]);
  }
  if (slo.ttftMs === undefined && slo.e2eMs === undefined) throw new UsageError('--slo needs ttft=MS and/or e2e=MS, e.g. --slo ttft=500,e2e=3000.');
  return slo;
}

/** Parse repeatable "--model-map old=new". */
export function parseModelMap(specs: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of specs ?? []) {
    const mm = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(s);
    if (!mm) throw new UsageError(`--model-map ${JSON.stringify(s)}: expected OLD=NEW, e.g. --model-map gpt-4-turbo=gpt-4.1.`);
    m.set(mm[1]!, mm[2]!);
  }
  return m;
}

/** Validate everything before any file is read or request sent. */
export function parseBenchOptions(files: string[], f: BenchFlags): BenchOptions {
  if (files.length === 0) throw new UsageError('give at least one traffic file, e.g. holy bench fixtures/traffic/batch-input.jsonl.');
  const rate = numberFlag(f.rate, '--rate', { positive: true, example: '5' });
  const conc = numberFlag(f.concurrency, '--concurrency', { int: true, positive: true, example: '8' });
  const seed = numberFlag(f.seed, '--seed', { int: true, min: 0, example: '42' }) ?? 1;
  const speed = numberFlag(f.speed, '--speed', { positive: true, example: '2' }) ?? 1;
  if (rate !== undefined && f.replayTiming) throw new UsageError('--rate and --replay-timing both set the send times; pick one.');
  if (conc !== undefined && (rate !== undefined || f.replayTiming)) throw new UsageError('--concurrency is for the closed loop; drop it with --rate or --replay-timing (the open loop sends on schedule, however many are in flight).');
  if (f.speed !== undefined && !f.replayTiming) throw new UsageError('--speed only applies with --replay-timing.');
  const load: LoadMode = f.replayTiming ? { kind: 'replay', speed } : rate !== undefined ? { kind: 'open', rate, seed } : { kind: 'closed', concurrency: conc ?? 4 };
  const stream = (f.stream ?? 'as-recorded').toLowerCase();
  if (stream !== 'on' && stream !== 'off' && stream !== 'as-recorded') throw new UsageError(`--stream ${JSON.stringify(f.stream)}: use on, off or as-recorded.`);
  let percentiles: number[];
  try {
    percentiles = f.percentiles ? parsePercentiles(f.percentiles) : [50, 90, 95, 99];
  } catch (e) {
    if (e instanceof PercentileError) throw new UsageError(e.message);
    throw e;
  }
  // `--p99 [ms]` swallows a following word: `holy bench --p99 traffic.jsonl` would read the file name as MS.
  if (typeof f.p99 === 'string' && !/^\s*\d+(\.\d+)?\s*$/.test(f.p99)) {
    throw new UsageError(`--p99 ${JSON.stringify(f.p99)}: expected milliseconds (e.g. --p99 2000) or nothing; if it is a traffic file, put the files before --p99.`);
  }
  const p99GateMs = typeof f.p99 === 'string' ? numberFlag(f.p99, '--p99', { positive: true, example: '2000' }) : undefined;
  const threshold = numberFlag(f.qualityThreshold, '--quality-threshold', { min: 0, example: '0.8' }) ?? 0.8;
  if (threshold > 1) throw new UsageError(`--quality-threshold ${f.qualityThreshold} must be between 0 and 1, e.g. 0.8.`);
  let judge: BenchOptions['judge'];
  if (f.judge !== undefined) {
    // NAME:MODEL, or an ad-hoc NAME=URL:MODEL (the URL's own colons belong to it).
    const m = /^([A-Za-z0-9_.-]+=https?:\/\/[^/\s]+(?:\/[^:\s]*)?):(.+)$/.exec(f.judge) ?? /^([^:=]+):(.+)$/.exec(f.judge);
    if (!m) throw new UsageError(`--judge ${JSON.stringify(f.judge)}: expected PROVIDER:MODEL, e.g. --judge official:gpt-4.1.`);
    judge = { provider: m[1]!, model: m[2]! };
  }
  const oldRecorded = f.old === 'recorded';
  const newRecorded = f.new === 'recorded';
  if (newRecorded && !oldRecorded) throw new UsageError('--new recorded needs --old recorded too: it compares the two sides of recorded pairs (holy results lines with role old and new, e.g. a gateway shadow recording); name a provider with --new to replay against it instead.');
  const opt = (k: string, v: string | undefined, o: NumberRule) => numberFlag(v, k, o);
  return {
    files,
    old: oldRecorded ? undefined : f.old,
    new: newRecorded ? undefined : f.new,
    oldRecorded,
    newRecorded,
    load,
    seed,
    requests: opt('--requests', f.requests, { int: true, positive: true, example: '200' }),
    durationMs: f.duration !== undefined ? opt('--duration', f.duration, { positive: true, example: '60' })! * 1000 : undefined,
    warmup: opt('--warmup', f.warmup, { int: true, min: 0, example: '5' }) ?? 0,
    stream,
    modelMap: parseModelMap(f.modelMap),
    timeoutMs: timeoutFlag(f.timeout),
    retries: opt('--retries', f.retries, { int: true, min: 0, example: '2' }) ?? 0,
    rpm: opt('--rpm', f.rpm, { positive: true, example: '500' }),
    tpm: opt('--tpm', f.tpm, { positive: true, example: '200000' }),
    abortAfter: opt('--abort-after', f.abortAfter, { int: true, positive: true, example: '20' }),
    maxCostUSD: opt('--max-cost', f.maxCost, { min: 0, example: '5' }) ?? 1,
    yes: !!f.yes,
    dryRun: !!f.dryRun,
    prices: f.prices,
    slo: parseSlo(f.slo),
    percentiles,
    percentilesGiven: f.percentiles !== undefined,
    p99First: f.p99 !== undefined && f.p99 !== false,
    p99GateMs,
    maxRegressionPct: opt('--max-regression', f.maxRegression, { min: 0, example: '10' }),
    qualityThreshold: threshold,
    showWorst: opt('--show-worst', f.showWorst, { int: true, min: 0, example: '5' }) ?? 5,
    judge,
    out: f.out,
    csv: f.csv,
    html: f.html,
    strict: !!f.strict,
    force: !!f.force,
  };
}
