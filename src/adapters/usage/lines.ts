/** The line splitter behind scanRecords: quote-free lines split from the bytes, quoted records handed to csv-parse. */
import { isAscii } from 'node:buffer';
import { UsageError } from '../../errors.js';
import { ByteRow, StrRow, parseQuoted, type CsvRecord } from './rows.js';

/** Called once per record; `line` is the physical line the record starts on (1-based). */
export type CsvRecordFn = (row: CsvRecord, line: number) => void;

/** The longest line (or quoted record) accepted: a usage row is a few hundred bytes; a 1 GB "line" is not a CSV. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Splits the lines of successive buffers into records; keeps the line count and any quoted record still open. */
export class LineSplitter {
  private readonly row = new ByteRow();
  lineNo = 0;
  pending: string | null = null;
  pendingLine = 0;
  private pendingQuotes = 0;

  constructor(
    private readonly file: string,
    private readonly onRow: CsvRecordFn,
  ) {}

  private quoted(text: string, line: number): void {
    let rows: string[][];
    try {
      rows = parseQuoted(text);
    } catch (e) {
      throw new UsageError(`${this.file}:${line}: cannot parse this CSV record (${(e as Error).message}); fix the quoting on that line.`);
    }
    for (const r of rows) this.onRow(new StrRow(r), line);
  }

  /** A line with a quote (or inside a quoted field that spans lines): text, then csv-parse. */
  private slow(line: string): void {
    if (this.pending !== null) {
      this.pending += '\n' + line;
      if (this.pending.length > MAX_LINE_BYTES) tooLong(this.file, this.pendingLine);
      this.pendingQuotes += countQuotes(line);
      if ((this.pendingQuotes & 1) === 0) {
        const text = this.pending;
        this.pending = null;
        this.quoted(text, this.pendingLine);
      }
      return;
    }
    if (line.length === 0) return;
    const q = countQuotes(line);
    if (q === 0) this.onRow(new StrRow(line.split(',')), this.lineNo);
    else if ((q & 1) === 0) {
      const f = splitQuotedLine(line);
      if (f) this.onRow(new StrRow(f), this.lineNo);
      else this.quoted(line, this.lineNo);
    }
    else {
      this.pending = line;
      this.pendingLine = this.lineNo;
      this.pendingQuotes = q;
    }
  }

  /** Split one quote-free line [ls, end) of b on commas straight from the bytes and hand it on. */
  private plainLine(b: Buffer, ls: number, end: number): void {
    const row = this.row;
    let starts = row.starts;
    let ends = row.ends;
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
    this.onRow(row, this.lineNo);
  }

  /** Hand on every complete line of b; returns where the unfinished last line starts. */
  scan(b: Buffer, final: boolean): number {
    let ls = 0;
    if (final && b.length > 0 && b[b.length - 1] !== 10) {
      // The last line has no newline: give it one so the loop below sees it.
      b = Buffer.concat([b, Buffer.from('\n')]);
    }
    this.row.buf = b;
    this.row.ascii = isAscii(b);
    // Where the next double quote is (memchr, natively): lines before it take the byte path, so
    // one quoted tenant in a 1 MB chunk sends only its own line to csv-parse, not the chunk.
    let quote = b.indexOf(34, ls);
    for (let nl = b.indexOf(10, ls); nl >= 0; nl = b.indexOf(10, ls)) {
      this.lineNo++;
      const end = nl > ls && b[nl - 1] === 13 ? nl - 1 : nl;
      if (quote >= 0 && quote < ls) quote = b.indexOf(34, ls);
      if (this.pending === null && (quote < 0 || quote > nl)) {
        if (end > ls) this.plainLine(b, ls, end);
      } else this.slow(b.toString('utf8', ls, end));
      ls = nl + 1;
    }
    return ls;
  }
}

/** Refuse a line too long to be a usage row, before it is held in memory whole. */
export function tooLong(file: string, line: number): never {
  throw new UsageError(`${file}:${line}: the line is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MB, far beyond any usage row; check that this is a CSV usage export (a line break may be missing).`);
}

/**
 * One well-formed RFC 4180 line — every field either free of quotes, or wholly quoted with inner
 * quotes doubled — split without csv-parse (a call per line costs ~40× the split: one quoted tenant
 * per row made roi 15× slower than mawk). Anything else returns undefined and goes to csv-parse,
 * whose result on well-formed lines is the same.
 */
export function splitQuotedLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return undefined;
        v += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i === n) return out;
      if (line.charCodeAt(i) !== 44) return undefined;
      i++;
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? n : c;
      const v = line.slice(i, end);
      if (v.includes('"')) return undefined;
      out.push(v);
      if (c < 0) return out;
      i = c + 1;
    }
    if (i === n) {
      out.push('');
      return out;
    }
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}
