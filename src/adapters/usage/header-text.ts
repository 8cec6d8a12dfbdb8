/**
 * How a usage file's first line is quoted back in an error: short, printable, and with a plain
 * guess when it is not CSV at all (a JSON export, a binary file) — echoing a 30 MB first line or an
 * executable's bytes into the terminal helps nobody.
 */

/** At most this many columns, and this many characters, are quoted back. */
const MAX_COLUMNS = 20;
const MAX_CHARS = 300;

/** What the first line looks like, when it is plainly not a CSV header. */
export function notCsvGuess(header: string[]): string | null {
  const text = header.join(',');
  // NUL, other C0 controls than tab, or the replacement character of undecodable bytes.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return 'this looks like a binary file, not CSV';
  const first = (header[0] ?? '').trimStart();
  if (first.startsWith('{') || first.startsWith('[')) return 'this looks like JSON (or JSON Lines), not CSV';
  if (/^\s*<(\?xml|!doctype|html)/i.test(first)) return 'this looks like XML/HTML, not CSV';
  return null;
}

/** "a, b, c, … (3,000 columns in all)", printable, capped in columns and characters. */
export function columnsFound(header: string[]): string {
  const cells = header.slice(0, MAX_COLUMNS).map((h) => h.trim().replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?'));
  let text = cells.join(', ');
  let cut = header.length > MAX_COLUMNS;
  if (text.length > MAX_CHARS) {
    text = text.slice(0, MAX_CHARS);
    cut = true;
  }
  return cut ? `${text}, … (${header.length.toLocaleString('en-US')} column${header.length === 1 ? '' : 's'} in all)` : text;
}
