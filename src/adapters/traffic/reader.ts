/** The steps readTraffic runs per source: problem/skip bookkeeping, JSONL records, HAR and holy-results sources. */
import { UsageError } from '../../errors.js';
import { lines, wholeText } from './files.js';
import { harEntries, harEntry } from './har.js';
import { detectFormat, holyResult, parseLine, type LineResult } from './records.js';
import type { RecordedResponse, TrafficFormat, TrafficItem, TrafficStats } from './types.js';
import { depthOf, MAX_DEPTH, oneLine, type Untrusted } from '../../core/untrusted.js';
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

/** One readTraffic call's shared state: its stats and options. */
export interface Reader {
  stats: TrafficStats;
  strict: boolean;
  keepRecorded: boolean;
  /** Pair each old line with the new line of the same id (bench --new recorded). */
  keepRecordedNew?: boolean;
  u: Untrusted;
}

export interface Source {
  shown: string;
  path: string;
  gzip: boolean;
  format: TrafficFormat;
  stat: TrafficStats['files'][number];
}

/** Recorded responses came from a server once: controls stripped and depth capped like live ones (keys: the caller's). */
export function cleanRecorded(u: Untrusted, r: RecordedResponse | undefined): RecordedResponse | undefined {
  return r === undefined ? undefined : u.value(r);
}

export function problem(rd: Reader, src: Source, line: number, why: string): void {
  src.stat.skipped++;
  const reason = oneLine(why);
  if (rd.strict) throw new UsageError(`${src.shown}:${line}: ${reason}.`, 'Fix or remove that line, or run without --strict to skip bad lines.');
  if (rd.stats.problems.length < MAX_PROBLEMS) rd.stats.problems.push({ file: src.shown, line, reason });
}

function skip(rd: Reader, src: Source, endpoint: string): void {
  src.stat.skipped++;
  rd.stats.skippedEndpoints[endpoint] = (rd.stats.skippedEndpoints[endpoint] ?? 0) + 1;
}

/** Parsed objects of a JSONL source that belong to its format; other lines become problems. */
export async function* records(rd: Reader, src: Source): AsyncGenerator<{ line: number; obj: Record<string, unknown> }> {
  for await (const { line, text } of lines(src.path, src.gzip, src.shown)) {
    const p = parseLine(text);
    if ('problem' in p) {
      problem(rd, src, line, p.problem);
      continue;
    }
    const m = metaOf(p.obj);
    if (m) {
      if (rd.stats.meta.length < 100) rd.stats.meta.push(m);
      continue;
    }
    const f = detectFormat(p.obj);
    if (f && f !== src.format) problem(rd, src, line, `looks like a line of ${FORMAT_NAME[f]}, but the file is ${FORMAT_NAME[src.format]} (one format per file)`);
    else yield { line, obj: p.obj };
  }
}

export function use<T>(rd: Reader, src: Source, line: number, r: LineResult<T>): T | undefined {
  if ('skip' in r) skip(rd, src, r.skip);
  else if ('problem' in r) problem(rd, src, line, r.problem);
  else return r.ok;
  return undefined;
}

export async function* harItems(rd: Reader, src: Source): AsyncGenerator<TrafficItem> {
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
    const r = use(rd, src, i + 1, harEntry(h.entries[i]));
    if (!r) continue;
    // JSONL lines are depth-checked on their text; a HAR body is parsed out of the whole file.
    const depth = depthOf(r.body);
    if (depth > MAX_DEPTH) {
      problem(rd, src, i + 1, `the request body is nested more than ${MAX_DEPTH} levels deep`);
      continue;
    }
    src.stat.items++;
    yield { id: `${src.shown}#${i + 1}`, file: src.shown, line: i + 1, format: 'har', body: r.body, ...(r.recorded ? { recorded: cleanRecorded(rd.u, r.recorded)! } : {}), ...(r.at !== undefined ? { recordedAt: r.at } : {}) };
  }
}

// holy's own results have one line per request per provider: the old line's response is the
// baseline; a request seen only on the new side is replayed without one.
export async function* resultItems(rd: Reader, src: Source): AsyncGenerator<TrafficItem> {
  if (rd.keepRecordedNew) {
    yield* resultPairs(rd, src);
    return;
  }
  const done = new Set<string>();
  const newOnly = new Map<string, TrafficItem>();
  for await (const { line, obj } of records(rd, src)) {
    const r = use(rd, src, line, holyResult(obj));
    if (!r) continue;
    const id = r.id ?? `${src.shown}:${line}`;
    if (done.has(id)) continue;
    const item: TrafficItem = { id: oneLine(id), file: src.shown, line, format: 'holy-results', body: r.body, ...(r.at !== undefined ? { recordedAt: r.at } : {}) };
    if (r.side === 'new') {
      if (!newOnly.has(id)) newOnly.set(id, item);
      continue;
    }
    newOnly.delete(id);
    done.add(id);
    src.stat.items++;
    yield r.recorded ? { ...item, recorded: cleanRecorded(rd.u, r.recorded)! } : item;
  }
  for (const item of newOnly.values()) {
    src.stat.items++;
    yield item;
  }
}

/** Requests waiting for their other line at most (bench --out and the gateway's shadow write a pair's two lines together). */
const PAIR_WINDOW = 1000;

/**
 * `--old recorded --new recorded`: each request's old and new lines joined on the id, in the order the
 * old lines came. A request still missing its other line after PAIR_WINDOW later requests (or at the
 * end) is yielded with what it has; bench counts the missing side as not_recorded.
 */
async function* resultPairs(rd: Reader, src: Source): AsyncGenerator<TrafficItem> {
  const pending = new Map<string, { item: TrafficItem; old: boolean; new: boolean }>();
  const done = new Set<string>();
  const ready = function* (all: boolean): Generator<TrafficItem> {
    for (const [id, p] of pending) {
      if (!all && !(p.old && p.new) && pending.size <= PAIR_WINDOW) return;
      pending.delete(id);
      done.add(id);
      src.stat.items++;
      yield p.item;
    }
  };
  for await (const { line, obj } of records(rd, src)) {
    const r = use(rd, src, line, holyResult(obj));
    if (!r) continue;
    const id = r.id ?? `${src.shown}:${line}`;
    if (done.has(id)) continue;
    const side = r.side === 'new' ? 'new' : 'old';
    let p = pending.get(id);
    if (!p) {
      p = { item: { id: oneLine(id), file: src.shown, line, format: 'holy-results', body: r.body, recordedBy: {} }, old: false, new: false };
      pending.set(id, p);
    }
    if (p[side]) continue;
    p[side] = true;
    const provider = typeof obj.provider === 'string' ? oneLine(obj.provider).slice(0, 100) : undefined;
    if (provider) p.item.recordedBy![side] = provider;
    if (side === 'old') {
      // The old line's request and time are the replayed ones (as without --new recorded).
      Object.assign(p.item, { line, body: r.body, ...(r.at !== undefined ? { recordedAt: r.at } : {}) });
      if (r.recorded) p.item.recorded = cleanRecorded(rd.u, r.recorded)!;
    } else if (r.recorded) p.item.recordedNew = cleanRecorded(rd.u, r.recorded)!;
    yield* ready(false);
  }
  yield* ready(true);
}
