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
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Render rows as text (no trailing newline). Mode 'json' is the caller's job. */
export function formatTable(out: Pick<Out, 'mode' | 'color'>, columns: Column[], rows: Cell[][]): string {
  if (out.mode !== 'table') {
    const esc = (s: string) => stripAnsi(s).replace(/[\t\n\r]/g, ' ');
    return [columns.map((c) => c.header), ...rows.map((r) => r.map(cellText))]
      .map((r) => r.map(esc).join('\t'))
      .join('\n');
  }
  // cli-table3 is CommonJS and only needed on a TTY: load it on demand.
  const Table = require('cli-table3') as typeof import('cli-table3');
  const t = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: out.color ? { head: ['bold'], border: ['grey'] } : { head: [], border: [] },
  });
  for (const r of rows) t.push(r.map(cellText));
  return t.toString();
}

export function printTable(out: Out, columns: Column[], rows: Cell[][]): void {
  out.line(formatTable(out, columns, rows));
}
