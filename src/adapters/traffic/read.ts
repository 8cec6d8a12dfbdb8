/** readTraffic: stream TrafficItems from recorded traffic files of any supported format. */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { checkFile, head, lines } from './files.js';
import { batchInput, batchOutput, checkBody, detectFormat, parseLine } from './records.js';
import { cleanRecorded, harItems, problem, records, resultItems, use, type Reader, type Source } from './reader.js';
import type { RecordedResponse, TrafficFormat, TrafficItem, TrafficStats } from './types.js';
import { oneLine, Untrusted } from '../../core/untrusted.js';

/** Tell a file's format from its first recognisable record (HAR from its opening `{"log":`). */
async function sniff(path: string, gzip: boolean, shown: string): Promise<TrafficFormat> {
  if (/\.har(\.gz)?$/i.test(shown) || /^\uFEFF?\s*\{\s*"log"\s*:/.test(head(path, gzip))) return 'har';
  let first: string | undefined;
  let seen = 0;
  for await (const { line, text } of lines(path, gzip, shown)) {
    const p = parseLine(text);
    const f = 'obj' in p ? detectFormat(p.obj) : undefined;
    if (f) return f;
    first ??= `line ${line}: ${'problem' in p ? p.problem : 'no "messages", "custom_id", "request" or "log" field'}`;
    if (++seen >= 50) break;
  }
  if (first === undefined) throw new UsageError(`Traffic file ${shown} is empty; pass a file with at least one request.`);
  throw new UsageError(
    `Cannot tell the format of ${shown} (${first}); pass OpenAI Batch input/output JSONL, chat-completion request JSONL, holy results JSONL or a HAR file.`,
  );
}

/** Stream items from every file (formats auto-detected per file, mixable); problems collected in stats; with strict, the first problem throws a UsageError "file:line: reason". Batch output files are joined to batch input items on custom_id. Memory: streams line by line (a 100k-line file must not be held as one string). */
export function readTraffic(ctx: Ctx, files: string[], opts: { strict: boolean; keepRecorded?: boolean; keepRecordedNew?: boolean; untrusted?: Untrusted }): { items: AsyncIterable<TrafficItem>; stats: TrafficStats } {
  // Batch output responses wait in memory until their input line streams past; a reader that
  // never uses them (the scan, a run without --old recorded) keeps only the ids for the join.
  const rd: Reader = { stats: { files: [], skippedEndpoints: {}, problems: [], meta: [] }, strict: opts.strict, keepRecorded: opts.keepRecorded ?? true, ...(opts.keepRecordedNew ? { keepRecordedNew: true } : {}), u: opts.untrusted ?? new Untrusted() };
  if (files.length === 0) throw new UsageError('No traffic files given; pass one or more JSONL or HAR files.');
  // Missing files, directories and empty files fail before anything is read or sent.
  const checked = files.map((shown) => {
    const path = resolve(ctx.cwd, shown);
    return { shown, path, ...checkFile(path, shown) };
  });
  return { items: items(rd, checked), stats: rd.stats };
}

type Outputs = Map<string, { recorded: RecordedResponse | undefined; src: Source; line: number }>;

async function* items(rd: Reader, checked: Omit<Source, 'format' | 'stat'>[]): AsyncGenerator<TrafficItem> {
  const sources: Source[] = [];
  for (const c of checked) {
    const format = await sniff(c.path, c.gzip, c.shown);
    const stat = { file: c.shown, format, items: 0, skipped: 0 };
    rd.stats.files.push(stat);
    sources.push({ ...c, format, stat });
  }
  const outputs = await batchOutputs(rd, sources);
  const batchIds = new Map<string, number>();
  for (const src of sources) {
    if (src.format === 'batch-output') continue;
    if (src.format === 'har') yield* harItems(rd, src);
    else if (src.format === 'holy-results') yield* resultItems(rd, src);
    else yield* jsonlItems(rd, src, outputs, batchIds);
  }
  for (const [id, o] of outputs) problem(rd, o.src, o.line, `custom_id "${id}" has no matching line in the Batch input file(s)`);
}

/** Batch outputs are read first so input lines can be joined as they stream past. */
async function batchOutputs(rd: Reader, sources: Source[]): Promise<Outputs> {
  const outputs: Outputs = new Map();
  const hasInput = sources.some((s) => s.format === 'batch-input');
  for (const src of sources.filter((s) => s.format === 'batch-output')) {
    let warned = false;
    for await (const { line, obj } of records(rd, src)) {
      const r = use(rd, src, line, batchOutput(obj));
      if (!r) continue;
      if (!hasInput) {
        if (!warned) problem(rd, src, line, 'a Batch output file is only a baseline: pass its Batch input file too, so responses can be joined on custom_id');
        else src.stat.skipped++;
        warned = true;
      } else if (outputs.has(r.id)) problem(rd, src, line, `duplicate custom_id "${r.id}" (first on line ${outputs.get(r.id)!.line})`);
      else outputs.set(r.id, { recorded: rd.keepRecorded ? cleanRecorded(rd.u, r.recorded) : undefined, src, line });
    }
  }
  return outputs;
}

/** A chat-completion JSONL or Batch input source; Batch input lines are joined to their outputs. */
async function* jsonlItems(rd: Reader, src: Source, outputs: Outputs, batchIds: Map<string, number>): AsyncGenerator<TrafficItem> {
  for await (const { line, obj } of records(rd, src)) {
    if (src.format === 'chat-jsonl') {
      // A plain chat-completion JSONL line is the request body itself.
      const r = use(rd, src, line, checkBody(obj));
      if (!r) continue;
      src.stat.items++;
      yield { id: `${src.shown}:${line}`, file: src.shown, line, format: src.format, body: r };
      continue;
    }
    const r = use(rd, src, line, batchInput(obj));
    if (!r) continue;
    const dup = batchIds.get(r.id);
    if (dup !== undefined) {
      problem(rd, src, line, `duplicate custom_id "${r.id}" (first on line ${dup})`);
      continue;
    }
    batchIds.set(r.id, line);
    const out = outputs.get(r.id);
    const item: TrafficItem = { id: oneLine(r.id), file: src.shown, line, format: src.format, body: r.body };
    if (out) {
      if (out.recorded) item.recorded = out.recorded;
      out.src.stat.items++;
      outputs.delete(r.id);
    }
    src.stat.items++;
    yield item;
  }
}
