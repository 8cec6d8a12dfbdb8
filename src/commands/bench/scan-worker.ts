/**
 * The pre-flight scan in a worker thread: read every item once and count its prompt tokens. The
 * tokenizer's tables (tens of MB) live and die with this worker, so they are not carried through a
 * 100k-request run (peak RSS target < 250 MB).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PassThrough } from 'node:stream';
import type { Ctx } from '../../context.js';
import { HolyError } from '../../errors.js';
import { readTraffic } from '../../adapters/traffic/read.js';
import { countRequestTokens } from '../../core/tokens.js';
import { outputEstimate } from '../../core/bench/plan.js';
import type { ScanRequest, ScanReply } from './scan.js';

const req = workerData as ScanRequest;
// The readers only use cwd; the rest is inert (nothing here may print).
const ctx: Ctx = {
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stdin: new PassThrough(),
  env: {},
  cwd: req.cwd,
  now: () => Date.now(),
  clock: () => performance.now(),
  signal: new AbortController().signal,
  platform: 'linux',
};

async function main(): Promise<ScanReply> {
  const { items, stats } = readTraffic(ctx, req.files, { strict: req.strict, keepRecorded: !!req.keepRecorded, keepRecordedNew: !!req.keepRecordedNew });
  const models: string[] = [];
  const index = new Map<string, number>();
  let cap = 1024;
  let modelIdx = new Uint32Array(cap);
  let prompt = new Float64Array(cap);
  let output = new Float64Array(cap);
  let n = 0;
  let streamed = 0;
  let recorded = 0;
  let recordedNew = 0;
  const recordedBy: { old?: string; new?: string } = {};
  for await (const it of items) {
    if (it.body.stream === true) streamed++;
    if (req.needTimestamps && it.recordedAt === undefined) {
      return { error: { usage: true, message: `${it.file}:${it.line}: no recorded timestamp, which --replay-timing needs; use HAR or holy results files, or drop --replay-timing.` } };
    }
    if (n === cap) {
      cap *= 2;
      const grow = <T extends Uint32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
      modelIdx = grow(modelIdx, new Uint32Array(cap));
      prompt = grow(prompt, new Float64Array(cap));
      output = grow(output, new Float64Array(cap));
    }
    let mi = index.get(it.body.model);
    if (mi === undefined) {
      mi = models.length;
      models.push(it.body.model);
      index.set(it.body.model, mi);
    }
    if (it.recorded) recorded++;
    if (it.recordedNew) recordedNew++;
    recordedBy.old ??= it.recordedBy?.old;
    recordedBy.new ??= it.recordedBy?.new;
    modelIdx[n] = mi;
    prompt[n] = countRequestTokens(it.body);
    output[n] = outputEstimate(it.body);
    n++;
  }
  return { stats, models, modelIdx: modelIdx.slice(0, n), prompt: prompt.slice(0, n), output: output.slice(0, n), streamed, recorded, ...(req.keepRecordedNew ? { recordedNew, recordedBy } : {}) };
}

main().then(
  (r) => parentPort!.postMessage(r),
  (e: unknown) => parentPort!.postMessage({ error: { usage: e instanceof HolyError && e.exitCode === 2, message: (e as Error).message ?? String(e) } } satisfies ScanReply),
);
