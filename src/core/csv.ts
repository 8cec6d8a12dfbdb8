/** Writing CSV cells that are safe to open in a spreadsheet. */

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Neutralise a cell a spreadsheet would run as a formula (the OWASP rule: a cell starting with
 * = + - @, tab or CR gets a leading apostrophe). A plain number such as -12.5 is left as it is.
 */
export function neutralise(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !NUMBER.test(s) ? `'${s}` : s;
}

/** One RFC 4180 cell: neutralised, then quoted when it holds a comma, quote or newline. */
export function csvCell(s: string): string {
  const v = neutralise(s);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
