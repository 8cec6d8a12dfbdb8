/** readTraffic: stream TrafficItems from recorded traffic files of any supported format. */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { checkFile, head, lines, wholeText } from './files.js';
import { harEntries, harEntry } from './har.js';
import { batchInput, batchOutput, checkBody, detectFormat, holyResult, parseLine, type LineResult } from './records.js';
import type { RecordedResponse, TrafficFormat, TrafficItem, TrafficStats } from './types.js';
import { metaOf } from '../../core/traffic/meta.js';

/** At most this many problems are kept in stats.problems (files[].skipped still counts them all). */
const MAX_PROBLEMS = 1000;

const FORMAT_NAME: Record<TrafficFormat, string> = {
  'batch-input': 'an OpenAI Batch input file',
  'batch-output': 'an OpenAI Batch output file',
  'chat-jsonl': 'a chat-completion JSONL file',
  'holy-results': 'a holy results file',
  har: 'a HAR file',
};

interface Source {
  shown: string;
  path: string;
  gzip: boolean;
  format: TrafficFormat;
  stat: TrafficStats['files'][number];
}

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
export function readTraffic(ctx: Ctx, files: string[], opts: { strict: boolean; keepRecorded?: boolean }): { items: AsyncIterable<TrafficItem>; stats: TrafficStats } {
  // Batch output responses wait in memory until their input line streams past; a reader that
  // never uses them (the scan, a run without --old recorded) keeps only the ids for the join.
  const keepRecorded = opts.keepRecorded ?? true;
  if (files.length === 0) throw new UsageError('No traffic files given; pass one or more JSONL or HAR files.');
  const stats: TrafficStats = { files: [], skippedEndpoints: {}, problems: [], meta: [] };
  // Missing files, directories and empty files fail before anything is read or sent.
  const checked = files.map((shown) => {
    const path = resolve(ctx.cwd, shown);
    return { shown, path, ...checkFile(path, shown) };
  });

  function problem(src: Source, line: number, reason: string): void {
    src.stat.skipped++;
    if (opts.strict) throw new UsageError(`${src.shown}:${line}: ${reason}.`, 'Fix or remove that line, or run without --strict to skip bad lines.');
    if (stats.problems.length < MAX_PROBLEMS) stats.problems.push({ file: src.shown, line, reason });
  }
  function skip(src: Source, endpoint: string): void {
    src.stat.skipped++;
    stats.skippedEndpoints[endpoint] = (stats.skippedEndpoints[endpoint] ?? 0) + 1;
  }
  /** Parsed objects of a JSONL source that belong to its format; other lines become problems. */
  async function* records(src: Source): AsyncGenerator<{ line: number; obj: Record<string, unknown> }> {
    for await (const { line, text } of lines(src.path, src.gzip, src.shown)) {
      const p = parseLine(text);
      if ('problem' in p) {
        problem(src, line, p.problem);
        continue;
      }
      const m = metaOf(p.obj);
      if (m) {
        if (stats.meta.length < 100) stats.meta.push(m);
        continue;
      }
      const f = detectFormat(p.obj);
      if (f && f !== src.format) problem(src, line, `looks like a line of ${FORMAT_NAME[f]}, but the file is ${FORMAT_NAME[src.format]} (one format per file)`);
      else yield { line, obj: p.obj };
    }
  }
  function use<T>(src: Source, line: number, r: LineResult<T>): T | undefined {
    if ('skip' in r) skip(src, r.skip);
    else if ('problem' in r) problem(src, line, r.problem);
    else return r.ok;
    return undefined;
  }

  async function* items(): AsyncGenerator<TrafficItem> {
    const sources: Source[] = [];
    for (const c of checked) {
      const format = await sniff(c.path, c.gzip, c.shown);
      const stat = { file: c.shown, format, items: 0, skipped: 0 };
      stats.files.push(stat);
      sources.push({ ...c, format, stat });
    }
    // Batch outputs are read first so input lines can be joined as they stream past.
    const outputs = new Map<string, { recorded: RecordedResponse | undefined; src: Source; line: number }>();
    const hasInput = sources.some((s) => s.format === 'batch-input');
    for (const src of sources.filter((s) => s.format === 'batch-output')) {
      let warned = false;
      for await (const { line, obj } of records(src)) {
        const r = use(src, line, batchOutput(obj));
        if (!r) continue;
        if (!hasInput) {
          if (!warned) problem(src, line, 'a Batch output file is only a baseline: pass its Batch input file too, so responses can be joined on custom_id');
          else src.stat.skipped++;
          warned = true;
        } else if (outputs.has(r.id)) problem(src, line, `duplicate custom_id "${r.id}" (first on line ${outputs.get(r.id)!.line})`);
        else outputs.set(r.id, { recorded: keepRecorded ? r.recorded : undefined, src, line });
      }
    }
    const batchIds = new Map<string, number>();
    for (const src of sources) {
      if (src.format === 'batch-output') continue;
      if (src.format === 'har') {
        yield* har(src);
        continue;
      }
      if (src.format === 'holy-results') {
        yield* results(src);
        continue;
      }
      for await (const { line, obj } of records(src)) {
        if (src.format === 'chat-jsonl') {
          // A plain chat-completion JSONL line is the request body itself.
          const r = use(src, line, checkBody(obj));
          if (!r) continue;
          src.stat.items++;
          yield { id: `${src.shown}:${line}`, file: src.shown, line, format: src.format, body: r };
          continue;
        }
        const r = use(src, line, batchInput(obj));
        if (!r) continue;
        const dup = batchIds.get(r.id);
        if (dup !== undefined) {
          problem(src, line, `duplicate custom_id "${r.id}" (first on line ${dup})`);
          continue;
        }
        batchIds.set(r.id, line);
        const out = outputs.get(r.id);
        const item: TrafficItem = { id: r.id, file: src.shown, line, format: src.format, body: r.body };
        if (out) {
          if (out.recorded) item.recorded = out.recorded;
          out.src.stat.items++;
          outputs.delete(r.id);
        }
        src.stat.items++;
        yield item;
      }
    }
    for (const [id, o] of outputs) problem(o.src, o.line, `custom_id "${id}" has no matching line in the Batch input file(s)`);
  }

  async function* har(src: Source): AsyncGenerator<TrafficItem> {
    let doc: unknown;
    try {
      doc = JSON.parse(await wholeText(src.path, src.gzip));
    } catch (e) {
      throw new UsageError(`${src.shown} is not valid JSON, so it cannot be read as a HAR file (${(e as Error).message.slice(0, 80)}); export it again from the browser or proxy.`);
    }
    const h = harEntries(doc);
    if ('problem' in h) throw new UsageError(`${src.shown} ${h.problem}; export a HAR 1.2 file from the browser's network panel or your proxy.`);
    // HAR has no useful line numbers: `line` is the 1-based entry number in log.entries.
    for (let i = 0; i < h.entries.length; i++) {
      const r = use(src, i + 1, harEntry(h.entries[i]));
      if (!r) continue;
      src.stat.items++;
      yield { id: `${src.shown}#${i + 1}`, file: src.shown, line: i + 1, format: 'har', body: r.body, ...(r.recorded ? { recorded: r.recorded } : {}), ...(r.at !== undefined ? { recordedAt: r.at } : {}) };
    }
  }

  // holy's own results have one line per request per provider: the old line's response is the
  // baseline; a request seen only on the new side is replayed without one.
  async function* results(src: Source): AsyncGenerator<TrafficItem> {
    const done = new Set<string>();
    const newOnly = new Map<string, TrafficItem>();
    for await (const { line, obj } of records(src)) {
      const r = use(src, line, holyResult(obj));
      if (!r) continue;
      const id = r.id ?? `${src.shown}:${line}`;
      if (done.has(id)) continue;
      const item: TrafficItem = { id, file: src.shown, line, format: 'holy-results', body: r.body, ...(r.at !== undefined ? { recordedAt: r.at } : {}) };
      if (r.side === 'new') {
        if (!newOnly.has(id)) newOnly.set(id, item);
        continue;
      }
      newOnly.delete(id);
      done.add(id);
      src.stat.items++;
      yield r.recorded ? { ...item, recorded: r.recorded } : item;
    }
    for (const item of newOnly.values()) {
      src.stat.items++;
      yield item;
    }
  }

  return { items: items(), stats };
}
