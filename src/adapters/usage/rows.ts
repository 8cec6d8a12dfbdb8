/** Rows of a usage CSV: field access straight from the bytes (plain lines) or from csv-parse's strings (quoted ones). */
import { createRequire } from 'node:module';
import { parseCount } from '../../core/roi/aggregate.js';
import type { IdSet } from '../../core/roi/idset.js';

const require = createRequire(import.meta.url);
type ParseSync = (input: string, o: { relax_column_count: boolean; relax_quotes: boolean }) => string[][];
let parseSync: ParseSync | undefined;
/** csv-parse is loaded on the first quoted record only: most large files have none, and it costs ~25 ms to load. */
export function parseQuoted(text: string): string[][] {
  parseSync ??= (require('csv-parse/sync') as { parse: ParseSync }).parse;
  return parseSync(text, { relax_column_count: true, relax_quotes: true });
}

/** One record's fields, read lazily so a plain row never becomes strings it does not need. */
export interface CsvRecord {
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

/** A row of a line without quotes, as field offsets into the chunk (reused for every line). */
export class ByteRow implements CsvRecord {
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
export class StrRow implements CsvRecord {
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
