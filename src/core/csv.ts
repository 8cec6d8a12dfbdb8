/**
 * CSV output, the one way holy writes it (bench --csv, roi --csv): RFC 4180 quoting, numbers to
 * 3 decimals, and text cells a spreadsheet would run as a formula neutralised. Hand-written rather
 * than `csv-stringify`: the whole job is this quoting rule, and holy writes one line at a time into
 * its own streamed file; the test reads the output back with csv-parse, so the two libraries'
 * dialects are checked against each other.
 */

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Neutralise a cell a spreadsheet would run as a formula (the OWASP rule: a cell starting with
 * = + - @, tab or CR gets a leading apostrophe). A plain number such as -12.5 is left as it is.
 */
export function neutralise(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !NUMBER.test(s) ? `'${s}` : s;
}

/** One text cell: neutralised, then quoted when it holds a comma, quote or newline. */
export function csvCell(s: string): string {
  const v = neutralise(s);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV field: empty for null/undefined, numbers to 3 decimals, text through csvCell. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : '';
  return csvCell(String(v));
}

/** One CSV record (no line ending). */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}
