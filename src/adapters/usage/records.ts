/** CSV records with physical line numbers: plain lines split from raw bytes, anything quoted parsed by csv-parse. */
import { Interrupted, UsageError } from '../../errors.js';
import { LineSplitter, MAX_LINE_BYTES, tooLong, type CsvRecordFn } from './lines.js';

export type { CsvRecord } from './rows.js';
export { splitQuotedLine } from './lines.js';

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
 * balance and handed to csv-parse, so quoting rules come from the library. The decision is per
 * line, so the unquoted lines around a quoted one keep the byte path.
 */
export async function scanRecords(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, onRow: CsvRecordFn, opts: ScanOpts): Promise<number> {
  const lines = new LineSplitter(opts.file, onRow);
  // One growing work buffer holds the unfinished line plus the next chunk: no allocation per chunk.
  let work = Buffer.allocUnsafe(1 << 20);
  let carryLen = 0;
  let first = true;
  let bytes = 0;
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
    const used = lines.scan(work.subarray(0, len), false);
    // Move the partial last line to the front for the next chunk.
    carryLen = len - used;
    if (carryLen > MAX_LINE_BYTES) tooLong(opts.file, lines.lineNo + 1);
    if (carryLen > 0) work.copy(work, 0, used, len);
    opts.onChunk?.(bytes);
  }
  if (carryLen > 0) lines.scan(Buffer.from(work.subarray(0, carryLen)), true);
  if (lines.pending !== null) {
    throw new UsageError(`${opts.file}:${lines.pendingLine}: a quoted field opened on this line is never closed; add the missing closing double quote.`);
  }
  return lines.lineNo;
}
