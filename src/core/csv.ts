/**
 * CSV output, the one way holy writes it (bench --csv, roi --csv): RFC 4180 quoting, numbers to
 * 3 decimals. Hand-written rather than `csv-stringify`: the whole job is this quoting rule, and
 * holy writes one line at a time into its own streamed file; the test reads the output back with
 * csv-parse, so the two libraries' dialects are checked against each other.
 */

/** One CSV field: empty for null/undefined, numbers to 3 decimals, quoted when it holds a comma, quote or newline. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record (no line ending). */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}
