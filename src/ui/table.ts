/** Tables: boxed and coloured on a TTY, tab-separated with a header row when piped. */
import { createRequire } from 'node:module';
import type { Out } from './output.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export type Cell = string | number | null | undefined;

const require = createRequire(import.meta.url);

/** Strip ANSI escapes (TSV must be plain even if a cell was pre-coloured). */
function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Render rows as text (no trailing newline). Mode 'json' is the caller's job. */
export function formatTable(out: Pick<Out, 'mode' | 'color'> & { width?: number }, columns: Column[], rows: Cell[][]): string {
  if (out.mode !== 'table') {
    const esc = (s: string) => stripAnsi(s).replace(/[\t\n\r]/g, ' ');
    return [columns.map((c) => c.header), ...rows.map((r) => r.map(cellText))]
      .map((r) => r.map(esc).join('\t'))
      .join('\n');
  }
  // cli-table3 is CommonJS and only needed on a TTY: load it on demand.
  const Table = require('cli-table3') as typeof import('cli-table3');
  const colWidths = fitWidths(columns, rows, out.width ?? 80);
  const t = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.align ?? 'left'),
    // One rule under the header only: a rule between every row doubles the height for nothing.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: out.color ? ['bold'] : [], border: out.color ? ['grey'] : [], 'padding-left': 1, 'padding-right': 1 },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  for (const r of rows) t.push(r.map(cellText));
  return t.toString();
}

/** Column widths that fit `width`, shrinking the widest columns first; undefined when it already fits. */
function fitWidths(columns: Column[], rows: Cell[][], width: number): number[] | undefined {
  const natural = columns.map((c, i) => Math.max(stripAnsi(c.header).length, ...rows.map((r) => Math.max(...stripAnsi(cellText(r[i])).split('\n').map((l) => [...l].length)))) + 2);
  const borders = columns.length + 1;
  let excess = natural.reduce((a, b) => a + b, 0) + borders - width;
  if (excess <= 0) return undefined;
  const w = [...natural];
  while (excess > 0) {
    const widest = w.indexOf(Math.max(...w));
    if (w[widest]! <= 12) break; // never squeeze a column below a readable width
    w[widest]! -= 1;
    excess -= 1;
  }
  return w;
}

export function printTable(out: Out, columns: Column[], rows: Cell[][]): void {
  out.line(formatTable(out, columns, rows));
}
