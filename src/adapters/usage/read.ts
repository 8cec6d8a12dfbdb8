/** Reading usage files into an Aggregator: format detection, validation with file:line, dedupe, progress. */
import { Decimal } from '../../core/decimal.js';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { Aggregator } from '../../core/roi/aggregate.js';
import { IdSet } from '../../core/roi/idset.js';
import { TimeParser, type TimeKind } from '../../core/roi/time.js';
import { detectLayout, type Field, type FormatId } from './formats.js';
import { scanRecords, type CsvRecord } from './records.js';
import { openSource } from './source.js';
import { stripControls } from '../../core/untrusted.js';
import { openLedgerFile } from '../ledger/read.js';

/** What --by can group on. */
export type By = 'model' | 'tenant' | 'project' | 'api_key' | 'day' | 'month';
export const BY_VALUES: readonly By[] = ['model', 'tenant', 'project', 'api_key', 'day', 'month'];

interface ReadOpts {
  by: By;
  columns?: Partial<Record<Field, string>>;
  skipBadRows: boolean;
  /** After each chunk: bytes read of this file, rows so far (all files), file size if known. */
  onProgress?: (file: string, bytes: number, rows: number, size: number | undefined) => void;
}

interface FileSummary {
  file: string;
  format: FormatId;
  label: string;
  rows: number;
  duplicates: number;
  badRows: number;
  gzip: boolean;
  timeKind: TimeKind | null;
  /** A gateway ledger (.db): its id (copies of one ledger share it). */
  ledgerId?: string;
  /** Ledger rows the gateway refused before calling a provider (status rate_limited, refused, queue_timeout): not billed, left out. */
  unbilled?: number;
}

export interface ReadResult {
  agg: Aggregator;
  files: FileSummary[];
  duplicates: { count: number; examples: { id: string; at: string }[] };
  badRows: { count: number; examples: string[] };
  /** True when any file carried money only (OpenAI cost export). */
  money: boolean;
  /** Sentences for stderr about how inputs were combined (e.g. two copies of one ledger). */
  notes: string[];
}

/** Ledger statuses of requests that never reached a provider: nothing was billed for them. */
export const UNBILLED_STATUSES: readonly string[] = ['rate_limited', 'refused', 'queue_timeout'];
const UNBILLED = new Set(UNBILLED_STATUSES);

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
/** Timestamps holy accepts: 1970-01-01 to 9999-12-31 (a 17-digit "epoch" is a typo, not a date). */
const MAX_TIME_MS = 253402300799999;
const BATCH_TRUE = new Set(['true', '1', 'yes', 't', 'y']);

/**
 * Read every file into one Aggregator; request ids are deduplicated across files. Gateway ledgers
 * (.db) keep request ids unique per ledger, not across replicas, so each ledger id has its own id
 * set: replicas' rows are all counted, a copy of the same ledger counts each row once.
 */
export async function readUsage(ctx: Ctx, files: string[], o: ReadOpts): Promise<ReadResult> {
  const agg = new Aggregator();
  const ids = new IdSet();
  const ledgers: Ledgers = new Map();
  const res: ReadResult = { agg, files: [], duplicates: { count: 0, examples: [] }, badRows: { count: 0, examples: [] }, money: false, notes: [] };
  for (const file of files) res.files.push(await readOne(ctx, file, o, agg, ids, res, ledgers));
  return res;
}

/** One file being read: where rows go, its summary, its time parsers and what its rows agreed on so far. */
interface FileRead {
  name: string;
  o: ReadOpts;
  agg: Aggregator;
  ids: IdSet;
  res: ReadResult;
  sum?: FileSummary;
  t0p: TimeParser;
  t1p: TimeParser;
  currency?: { code: string; line: number };
  hasIds: boolean;
  /** Model and tenant names reach terminals and reports: control characters stripped once per distinct name. */
  names: Map<string, string>;
  /** A gateway ledger: its records stand for `requests` ledger rows each, and rows are counted so. */
  ledger?: boolean;
}

/** A name from the file (model, tenant, project) without escape sequences or control characters (a line break stays: renderers keep it in one cell). */
function safeName(st: FileRead, v: string): string {
  let c = st.names.get(v);
  if (c === undefined) {
    c = stripControls(v);
    if (st.names.size < 100_000) st.names.set(v, c);
  }
  return c;
}

/** A row with a non-empty field past the header: a field is shifted, and reading it by position would be wrong. */
function longRow(st: FileRead, f: CsvRecord, line: number, width: number): boolean {
  for (let i = width; i < f.length; i++) {
    if (f.empty(i)) continue;
    badRow(st, `${st.name}:${line}: has ${f.length} fields but the header has ${width}; a field is shifted (an unquoted comma?) — fix the row.`);
    return true;
  }
  return false;
}

type RowFn = (f: CsvRecord, line: number) => void;
type Layout = ReturnType<typeof detectLayout>;

/** A bad row: a usage error, or with --skip-bad-rows counted and kept as an example. */
function badRow(st: FileRead, msg: string): void {
  if (!st.o.skipBadRows) throw new UsageError(msg, 'fix the row, or pass --skip-bad-rows to skip such rows (they are counted and reported).');
  st.sum!.badRows++;
  st.res.badRows.count++;
  if (st.res.badRows.examples.length < 5) st.res.badRows.examples.push(msg);
}

/** The header row: detect the layout, check --by against it, and return the reader for the rows that follow. */
function onHeader(st: FileRead, r: CsvRecord, gzip: boolean, headerLine: number): RowFn {
  const { name, o } = st;
  const header = Array.from({ length: r.length }, (_, i) => r.text(i));
  const L = detectLayout(name, header, o.columns);
  const ix = L.idx;
  // A column holy reads that is named twice: which one is meant cannot be known.
  const norm = (v: string) => v.trim().toLowerCase();
  for (const i of Object.values(ix)) {
    if (i < 0) continue;
    const twice = header.findIndex((v, j) => j !== i && norm(v) === norm(header[i]!));
    if (twice >= 0) throw new UsageError(`${name}:${headerLine}: the header names column "${header[i]!.trim()}" twice (columns ${Math.min(i, twice) + 1} and ${Math.max(i, twice) + 1}); rename or remove one so it is clear which to read.`);
  }
  st.sum = { file: name, format: L.format, label: L.label, rows: 0, duplicates: 0, badRows: 0, gzip, timeKind: null };
  if (o.by !== 'model') {
    const col = o.by === 'day' || o.by === 'month' ? 'time' : o.by;
    if (ix[col] < 0) {
      const avail = ['model', ...(['tenant', 'project', 'api_key'] as const).filter((k) => ix[k] >= 0), ...(ix.time >= 0 ? ['day', 'month'] : [])];
      throw new UsageError(`--by ${o.by}: ${name} (${L.label}) has no ${col === 'time' ? 'timestamp' : col} column; group it by ${avail.join(', ')} instead${L.format === 'custom' ? `, or add ${col}=… to --columns` : ''}.`);
    }
  }
  const cells = cellReaders(st, L, header);
  if (L.format === 'openai-cost') {
    st.res.money = true;
    return costRows(st, L, header, cells);
  }
  st.hasIds = ix.id >= 0;
  return usageRows(st, L, header, cells);
}

/** Reading one cell as a token count, a timestamp or the --by group, with file:line:column errors. */
interface Cells {
  need: number;
  h(i: number): string;
  count(f: CsvRecord, i: number, line: number): number;
  time(p: TimeParser, f: CsvRecord, i: number, line: number): number;
  dimOf(f: CsvRecord, t: number): string;
}

function cellReaders(st: FileRead, L: Layout, header: string[]): Cells {
  const { name, o, t0p } = st;
  const ix = L.idx;
  const h = (i: number) => `column "${header[i]!.trim()}"`;
  return {
    need: Math.max(...Object.values(ix)),
    h,
    count: (f, i, line) => {
      const v = f.count(i);
      if (v < 0) {
        const raw = f.text(i);
        if (raw.trim() === '' && i === ix.cached) return 0;
        if (/^\s*\d+\s*$/.test(raw)) badRow(st, `${name}:${line}: ${h(i)} is ${JSON.stringify(raw)}, out of range (at most ${Number.MAX_SAFE_INTEGER} tokens).`);
        else badRow(st, `${name}:${line}: ${h(i)} is ${JSON.stringify(raw)}, not a whole non-negative number of tokens.`);
      }
      return v;
    },
    time: (p, f, i, line) => {
      // An empty end time (a request still running when exported) just leaves the end unknown.
      if (i < 0 || (i === ix.end && f.empty(i))) return NaN;
      // Whole epoch numbers straight from the bytes; anything else through the string parser.
      const k = p.kind;
      const v = k === 'epoch-s' || k === 'epoch-ms' ? f.count(i) : -1;
      const t = v >= 0 ? (k === 'epoch-s' ? v * 1000 : v) : f.time(i, p);
      if (Number.isNaN(t)) badRow(st, `${name}:${line}: ${h(i)} is ${JSON.stringify(f.text(i))}, not a timestamp (epoch seconds, epoch ms or ISO 8601).`);
      else if (!(t >= 0 && t <= MAX_TIME_MS)) {
        badRow(st, `${name}:${line}: ${h(i)} is ${JSON.stringify(f.text(i))}, out of range for a timestamp (years 1970 to 9999).`);
        return NaN;
      }
      return t;
    },
    dimOf: (f, t) => {
      switch (o.by) {
        case 'model':
          return '';
        case 'day':
          return t0p.dayKey(t);
        case 'month':
          return t0p.dayKey(t).slice(0, 7);
        default:
          return safeName(st, f.intern(ix[o.by]).trim()) || '(none)';
      }
    },
  };
}

/** Rows of an OpenAI cost export: money per line item, USD only, one currency per file. */
function costRows(st: FileRead, L: Layout, header: string[], c: Cells): RowFn {
  const { name, agg, t0p, t1p } = st;
  const ix = L.idx;
  return (f, line) => {
    if (f.length <= c.need) return badRow(st, `${name}:${line}: has ${f.length} fields but the header has ${header.length}; fix the row.`);
    if (f.length > header.length && longRow(st, f, line, header.length)) return;
    const amount = f.text(ix.amount).trim();
    if (!NUMBER.test(amount)) return badRow(st, `${name}:${line}: ${c.h(ix.amount)} is ${JSON.stringify(f.text(ix.amount))}, not a number.`);
    const code = f.text(ix.currency).trim().toLowerCase();
    if (!st.currency) st.currency = { code, line };
    else if (code !== st.currency.code) {
      throw new UsageError(`${name}:${line}: amount_currency is "${code}" but line ${st.currency.line} was "${st.currency.code}"; a cost export must be in one currency — split the file by currency.`);
    }
    if (code !== 'usd') throw new UsageError(`${name}:${line}: amount_currency is "${code}"; holy reads cost exports in USD only — export the costs in USD.`);
    const t0 = c.time(t0p, f, ix.time, line);
    const t1 = c.time(t1p, f, ix.end, line);
    if (Number.isNaN(t0) || (ix.end >= 0 && Number.isNaN(t1) && !f.empty(ix.end))) return;
    const item = ix.line_item >= 0 ? f.text(ix.line_item).trim() : '';
    const model = safeName(st, item.split(',')[0]!.trim()) || '(unattributed)';
    agg.addMoney(model, c.dimOf(f, t0), new Decimal(amount), t0, t1);
    st.sum!.rows++;
  };
}

/** Rows of token usage: counts, times, request-id dedupe across files, batch flag. */
function usageRows(st: FileRead, L: Layout, header: string[], c: Cells): RowFn {
  const { name, agg, ids, res, t0p, t1p } = st;
  const sum = st.sum!;
  const { count, time, dimOf, need } = c;
  const { model: iModel, input: iIn, cached: iCached, output: iOut, requests: iReq, batch: iBatch, id: iId, time: iTime, end: iEnd, status: iStatus } = L.idx;
  return (f, line) => {
    if (f.length <= need) return badRow(st, `${name}:${line}: has ${f.length} fields but the header has ${header.length}; fix the row.`);
    if (f.length > header.length && longRow(st, f, line, header.length)) return;
    // A gateway ledger's refused requests (never sent to a provider): counted apart, not billed.
    if (iStatus >= 0 && UNBILLED.has(f.intern(iStatus))) {
      sum.unbilled = (sum.unbilled ?? 0) + (iReq >= 0 ? Math.max(0, f.count(iReq)) : 1);
      return;
    }
    const model = f.intern(iModel);
    if (model === '') return badRow(st, `${name}:${line}: ${c.h(iModel)} is empty; every row needs a model.`);
    const input = count(f, iIn, line);
    const output = count(f, iOut, line);
    const cached = iCached >= 0 ? count(f, iCached, line) : 0;
    const requests = iReq >= 0 ? count(f, iReq, line) : 1;
    if (input < 0 || output < 0 || cached < 0 || requests < 0) return;
    if (cached > input) return badRow(st, `${name}:${line}: cached tokens (${cached}) exceed input tokens (${input}); input must include cached tokens.`);
    const t0 = time(t0p, f, iTime, line);
    if (iTime >= 0 && Number.isNaN(t0)) return;
    const t1 = iEnd >= 0 ? time(t1p, f, iEnd, line) : NaN;
    if (iEnd >= 0 && Number.isNaN(t1) && !f.empty(iEnd)) return;
    if (iId >= 0) {
      if (!f.empty(iId) && !f.addId(ids, iId)) {
        const id = f.text(iId);
        sum.duplicates++;
        res.duplicates.count++;
        if (res.duplicates.examples.length < 5) res.duplicates.examples.push({ id, at: `${name}:${line}` });
        return;
      }
    }
    const batch = iBatch >= 0 && BATCH_TRUE.has(f.text(iBatch).trim().toLowerCase());
    agg.add(safeName(st, model.trim()), batch, dimOf(f, t0), requests, input, cached, output, t0, t1);
    sum.rows += st.ledger ? requests : 1;
  };
}

type Ledgers = Map<string, { file: string; paths: string[] }>;

/** One file: stream its records, the first as the header, into the shared Aggregator and id set. */
async function readOne(ctx: Ctx, file: string, o: ReadOpts, agg: Aggregator, ids: IdSet, res: ReadResult, ledgers: Ledgers): Promise<FileSummary> {
  const src = await openSource(ctx, file);
  const name = src.name;
  const st: FileRead = { name, o, agg, ids, res, t0p: new TimeParser(), t1p: new TimeParser(), hasIds: false, names: new Map() };
  // --columns maps CSV headers; a ledger's columns are known.
  if (src.sqlite !== undefined) return readLedger(ctx, { ...st, o: { ...o, columns: undefined }, ledger: true }, src.sqlite, ledgers);
  let onRow: RowFn | undefined;
  let reserved = false;
  try {
    await scanRecords(
      src.stream,
      (f, line) => {
        if (onRow) onRow(f, line);
        else onRow = onHeader(st, f, src.gzip, line);
      },
      {
        file: name,
        signal: ctx.signal,
        onChunk: (b) => {
          // Size the id set for the whole file from the first chunk's rows per byte (see IdSet).
          // gzip: scale by the compressed bytes zlib has consumed so far.
          const disk = src.gzip ? (src.diskBytes?.() ?? 0) : b;
          const sum = st.sum;
          if (!reserved && st.hasIds && sum && src.size && disk > 0) {
            reserved = true;
            const seen = sum.rows + sum.duplicates + sum.badRows;
            if (seen > 0 && disk < src.size) ids.reserve(ids.size + Math.ceil(((src.size - disk) / disk) * seen * 1.02) + seen);
          }
          o.onProgress?.(name, b, agg.rows, src.gzip ? undefined : src.size);
        },
      },
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new UsageError(`${name} looks gzip-compressed but cannot be decompressed (${(e as Error).message}); check the file.`);
    throw e;
  } finally {
    src.close();
  }
  return finish(st);
}

function finish(st: FileRead): FileSummary {
  const { name, sum } = st;
  if (!sum) throw new UsageError(`${name} is empty; expected a header row and usage rows (the formats are listed by holy roi --help and in the README).`);
  if (sum.ledgerId !== undefined && sum.rows === 0 && sum.badRows === 0 && sum.duplicates === 0) {
    throw new UsageError(`${name} is a holy gateway ledger with no billed requests yet${sum.unbilled ? ` (${sum.unbilled} refused before reaching a provider)` : ''}; read it once the gateway has served traffic.`);
  }
  if (sum.rows === 0 && sum.badRows === 0 && sum.duplicates === 0) throw new UsageError(`${name} has a header but no rows; export a period with usage.`);
  sum.timeKind = st.t0p.kind ?? null;
  return sum;
}

/**
 * A gateway ledger (.db): its records — sums per model, status, tenant and day made by SQLite,
 * plus any row it could not sum on its own — go through the same onHeader →
 * usageRows path as a CSV's rows. Request ids are unique within a ledger (the schema says so) and not
 * across replicas, so only earlier copies of the same ledger (same ledger id) are checked for them.
 */
async function readLedger(ctx: Ctx, st: FileRead, path: string, ledgers: Ledgers): Promise<FileSummary> {
  const lf = openLedgerFile(st.name, path);
  try {
    const seen = ledgers.get(lf.ledgerId);
    if (seen) {
      st.res.notes.push(`${st.name} is the same ledger as ${seen.file} (ledger id ${lf.ledgerId.slice(0, 12)}…): a copy or another snapshot of it; each request in them is counted once (by request id).`);
    }
    let onRow: RowFn | undefined;
    const scan = await lf.scan(
      (f, line) => {
        if (onRow) onRow(f, line);
        else {
          onRow = onHeader(st, f, false, line);
          st.sum!.ledgerId = lf.ledgerId;
          st.sum!.unbilled = 0;
        }
      },
      { previous: seen?.paths ?? [], signal: ctx.signal },
    );
    if (seen) seen.paths.push(path);
    else ledgers.set(lf.ledgerId, { file: st.name, paths: [path] });
    const sum = st.sum!;
    sum.duplicates += scan.duplicates;
    st.res.duplicates.count += scan.duplicates;
    for (const ex of scan.examples) if (st.res.duplicates.examples.length < 5) st.res.duplicates.examples.push({ id: ex.id, at: `${st.name}:${ex.row}` });
    st.o.onProgress?.(st.name, 0, st.agg.rows, undefined);
  } finally {
    lf.close();
  }
  return finish(st);
}
