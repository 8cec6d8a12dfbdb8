/** CSV records with physical line numbers: plain lines split from raw bytes, anything quoted parsed by csv-parse. */
import { isAscii } from 'node:buffer';
import { Interrupted, UsageError } from '../../errors.js';
import { ByteRow, StrRow, parseQuoted, type CsvRecord } from './rows.js';

export type { CsvRecord } from './rows.js';

/** Called once per record; `line` is the physical line the record starts on (1-based). */
type CsvRecordFn = (row: CsvRecord, line: number) => void;

interface ScanOpts {
  /** Name used in error messages. */
  file: string;
  signal?: AbortSignal;
  /** Bytes consumed so far, after each chunk (for progress). */
  onChunk?: (bytes: number) => void;
}

/**
 * Why a hand-written fast path: csv-parse, even tuned (readable API, arrays, 1 MB reads), parses
 * well under roi's ≥ 1M rows/s target here (bench/roi.ts measures both and prints the figures).
 * A line without a double quote is split on commas straight from the bytes; a record containing
 * one (quoted commas, doubled quotes, newlines inside a field) is collected until its quotes
 * balance and handed to csv-parse, so quoting rules come from the library.
 */
export async function scanRecords(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, onRow: CsvRecordFn, opts: ScanOpts): Promise<number> {
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
      rows = parseQuoted(text);
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
