/** Printing a VerifyReport: a table (TTY) or TSV (piped) with cause/fix, or one JSON document. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import type { VerifyCheck, VerifyReport } from './verify.js';

/** ✓ ✗ ! - coloured only when colour is on. */
function statusMark(out: Pick<Out, 'c'>, s: VerifyCheck['status']): string {
  if (s === 'pass') return out.c.green('✓');
  if (s === 'fail') return out.c.red('✗');
  if (s === 'warn') return out.c.yellow('!');
  return out.c.dim('-');
}

const ms = (c: VerifyCheck) => (c.ms === undefined || c.status === 'skip' ? '' : `${Math.round(c.ms)} ms`);

export function renderVerify(report: VerifyReport, out: Out): void {
  if (out.mode === 'json') {
    out.json(report);
    return;
  }
  if (out.mode === 'tsv') {
    // Piped: one self-contained row per check, cause and fix as columns so `cut`/`awk` see everything.
    printTable(
      out,
      ['provider', 'check', 'status', 'ms', 'detail', 'cause', 'fix'].map((header) => ({ header })),
      report.checks.map((c) => [c.provider, c.check, c.status, c.ms === undefined || c.status === 'skip' ? '' : Math.round(c.ms), c.detail, c.cause ?? '', c.fix ?? '']),
    );
    return;
  }
  printTable(
    out,
    [{ header: 'provider' }, { header: 'check' }, { header: 'status' }, { header: 'time', align: 'right' }, { header: 'detail' }],
    report.checks.map((c) => [c.provider, c.check, statusMark(out, c.status), ms(c), c.detail]),
  );
  for (const c of report.checks) {
    if (!c.cause || (c.status !== 'fail' && c.status !== 'warn')) continue;
    out.line(`${statusMark(out, c.status)} ${c.provider} ${c.check}`);
    out.line(`  cause: ${c.cause}`);
    if (c.fix) out.line(`  fix:   ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  out.line(failed ? out.c.red(`${failed} check${failed > 1 ? 's' : ''} failed`) + (warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : '') : out.c.green('all checks passed') + (warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''));
}
