/** CSV records with physical line numbers: plain lines split from raw bytes, anything quoted parsed by csv-parse. */
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { Interrupted, UsageError } from '../../errors.js';
import { parseCount } from '../../core/roi/aggregate.js';
import type { IdSet } from '../../core/roi/idset.js';

const require = createRequire(import.meta.url);
type ParseSync = (input: string, o: { relax_column_count: boolean; relax_quotes: boolean }) => string[][];
let parseSync: ParseSync | undefined;
/** csv-parse is loaded on the first quoted record only: most large files have none, and it costs ~25 ms to load. */
function parse(text: string, o: { relax_column_count: boolean; relax_quotes: boolean }): string[][] {
  parseSync ??= (require('csv-parse/sync') as { parse: ParseSync }).parse;
  return parseSync(text, o);
}

/** One record's fields, read lazily so a plain row never becomes strings it does not need. */
export interface Row {
  readonly length: number;
  /** The field as text (UTF-8). */
  text(i: number): string;
  /** The same, from a small cache: for columns with few distinct values (model, tenant). */
  intern(i: number): string;
  /** The field as a whole non-negative number (see parseCount), or -1. */
  count(i: number): number;
  /** Add the field to an id set; false when it was already there. */
  addId(ids: IdSet, i: number): boolean;
  /** The field is empty. */
  empty(i: number): boolean;
}

/** Called once per record; `line` is the physical line the record starts on (1-based). */
export type RowFn = (row: Row, line: number) => void;

export interface ScanOpts {
  /** Name used in error messages. */
  file: string;
  signal?: AbortSignal;
  /** Bytes consumed so far, after each chunk (for progress). */
  onChunk?: (bytes: number) => void;
}

/** A row of a line without quotes, as field offsets into the chunk (reused for every line). */
class ByteRow implements Row {
  buf: Buffer = Buffer.alloc(0);
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  length = 0;
  ascii = true;

  text(i: number): string {
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', this.starts[i]!, this.ends[i]!);
  }

  private readonly cache: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);

  // Why: a fresh string per row for the model column is most of the garbage on a big file.
  intern(i: number): string {
    if (!this.ascii) return this.text(i);
    const b = this.buf;
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    const len = e - s;
    let h = len;
    for (let j = s; j < e; j++) h = Math.imul(h ^ b[j]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & 1023;
    const c = this.cache[slot];
    if (c !== undefined && c.length === len) {
      let k = 0;
      while (k < len && c.charCodeAt(k) === b[s + k]) k++;
      if (k === len) return c;
    }
    const str = this.text(i);
    this.cache[slot] = str;
    return str;
  }

  count(i: number): number {
    const b = this.buf;
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    if (e === s || e - s > 20) return -1;
    let v = 0;
    let j = s;
    for (; j < e; j++) {
      const c = b[j]! - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (j === e) return v <= Number.MAX_SAFE_INTEGER ? v : -1;
    // Rare shapes ("12.0", junk): the string rules decide.
    return parseCount(this.text(i));
  }

  addId(ids: IdSet, i: number): boolean {
    return ids.addBytes(this.buf, this.starts[i]!, this.ends[i]!);
  }

  empty(i: number): boolean {
    return this.starts[i] === this.ends[i];
  }

  grow(): void {
    const s = new Int32Array(this.starts.length * 2);
    const e = new Int32Array(this.ends.length * 2);
    s.set(this.starts);
    e.set(this.ends);
    this.starts = s;
    this.ends = e;
  }
}

/** A row parsed by csv-parse (it had quotes). */
class StrRow implements Row {
  constructor(readonly f: string[]) {}
  get length(): number {
    return this.f.length;
  }
  text(i: number): string {
    return this.f[i]!;
  }
  intern(i: number): string {
    return this.f[i]!;
  }
  count(i: number): number {
    return parseCount(this.f[i]!);
  }
  addId(ids: IdSet, i: number): boolean {
    return ids.add(this.f[i]!);
  }
  empty(i: number): boolean {
    return this.f[i] === '';
  }
}

/**
 * Why a hand-written fast path: csv-parse, even tuned (readable API, arrays, 1 MB reads), parses
 * well under roi's ≥ 1M rows/s target here (bench/roi.ts measures both and prints the figures).
 * A line without a double quote is split on commas straight from the bytes; a record containing
 * one (quoted commas, doubled quotes, newlines inside a field) is collected until its quotes
 * balance and handed to csv-parse, so quoting rules come from the library.
 */
export async function scanRecords(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, onRow: RowFn, opts: ScanOpts): Promise<number> {
  const row = new ByteRow();
  // One growing work buffer holds the unfinished line plus the next chunk: no allocation per chunk.
  let work = Buffer.allocUnsafe(1 << 20);
  let carryLen = 0;
  let lineNo = 0;
  let first = true;
  let bytes = 0;
  let pending: string | null = null;
  let pendingLine = 0;
  let pendingQuotes = 0;

  const quoted = (text: string, line: number) => {
    let rows: string[][];
    try {
      rows = parse(text, { relax_column_count: true, relax_quotes: true });
    } catch (e) {
      throw new UsageError(`${opts.file}:${line}: cannot parse this CSV record (${(e as Error).message}); fix the quoting on that line.`);
    }
    for (const r of rows) onRow(new StrRow(r), line);
  };

  // A line with a quote (or inside a quoted field that spans lines): text, then csv-parse.
  const slow = (line: string) => {
    if (pending !== null) {
      pending += '\n' + line;
      pendingQuotes += countQuotes(line);
      if ((pendingQuotes & 1) === 0) {
        const text = pending;
        pending = null;
        quoted(text, pendingLine);
      }
      return;
    }
    if (line.length === 0) return;
    const q = countQuotes(line);
    if (q === 0) onRow(new StrRow(line.split(',')), lineNo);
    else if ((q & 1) === 0) quoted(line, lineNo);
    else {
      pending = line;
      pendingLine = lineNo;
      pendingQuotes = q;
    }
  };

  const scan = (b: Buffer, final: boolean): number => {
    let len = b.length;
    let ls = 0;
    if (final && len > ls && b[len - 1] !== 10) {
      // The last line has no newline: give it one so the loops below see it.
      b = Buffer.concat([b, Buffer.from('\n')]);
      len++;
    }
    row.buf = b;
    // Whole-chunk checks run natively and let the hot loop look only for commas and newlines.
    const plain = pending === null && b.indexOf(34, ls) < 0;
    const ascii = isAscii(b);
    row.ascii = ascii;
    let starts = row.starts;
    let ends = row.ends;
    if (plain) {
      // memchr finds each line end natively; the JS loop then only looks for commas.
      for (let nl = b.indexOf(10, ls); nl >= 0; nl = b.indexOf(10, ls)) {
        lineNo++;
        const end = nl > ls && b[nl - 1] === 13 ? nl - 1 : nl;
        if (end > ls) {
          let nf = 0;
          starts[0] = ls;
          for (let i = ls; i < end; i++) {
            if (b[i] === 44) {
              ends[nf] = i;
              if (++nf >= starts.length) {
                row.grow();
                starts = row.starts;
                ends = row.ends;
              }
              starts[nf] = i + 1;
            }
          }
          ends[nf] = end;
          row.length = nf + 1;
          onRow(row, lineNo);
        }
        ls = nl + 1;
      }
      return ls;
    }
    for (let i = ls; i < len; i++) {
      if (b[i] !== 10) continue;
      lineNo++;
      const end = i > ls && b[i - 1] === 13 ? i - 1 : i;
      slow(b.toString('utf8', ls, end));
      ls = i + 1;
    }
    return ls;
  };

  for await (const raw of chunks) {
    if (opts.signal?.aborted) throw new Interrupted();
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    if (first && chunk.length > 0) {
      // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first column's name.
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    if (carryLen + chunk.length > work.length) {
      const bigger = Buffer.allocUnsafe(Math.max(work.length * 2, carryLen + chunk.length));
      work.copy(bigger, 0, 0, carryLen);
      work = bigger;
    }
    chunk.copy(work, carryLen);
    const len = carryLen + chunk.length;
    const used = scan(work.subarray(0, len), false);
    // Move the partial last line to the front for the next chunk.
    carryLen = len - used;
    if (carryLen > 0) work.copy(work, 0, used, len);
    opts.onChunk?.(bytes);
  }
  if (carryLen > 0) scan(Buffer.from(work.subarray(0, carryLen)), true);
  if (pending !== null) {
    throw new UsageError(`${opts.file}:${pendingLine}: a quoted field opened on this line is never closed; add the missing closing double quote.`);
  }
  return lineNo;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}
