/** `holy roi`: read → price → report → render. */
import type { Ctx } from '../../context.js';
import type { Invocation } from '../kit.js';
import type { Out } from '../../ui/output.js';
import { startProgress, type Progress } from '../../ui/progress.js';
import { loadPriceTable } from '../../adapters/prices.js';
import { readUsage, UNBILLED_STATUSES, type ReadResult } from '../../adapters/usage/read.js';
import { distinctInputs } from '../../adapters/usage/distinct.js';
import { priceGroups, type PricedData } from '../../core/roi/price.js';
import { periodOf, spanNote } from '../../core/roi/period.js';
import { buildReport, quickReport, type RoiReport } from '../../core/roi/report.js';
import { quickSpendUSD } from '../../core/roi/roi.js';
import { TIME_KIND_LABEL } from '../../core/roi/time.js';
import { groupDigits } from '../../core/roi/money.js';
import { parseRoiOptions, type RoiFlags, type RoiOptions } from './options.js';
import { render } from './render.js';

/** What roi found, besides the report: for stderr notes and --json. */
export interface RoiResult {
  report: RoiReport;
  read: ReadResult | null;
  priced: PricedData | null;
  prices: string;
  relayPrices: string | null;
}

export default async function roi(inv: Invocation<RoiFlags>): Promise<void> {
  const files = (inv.args[0] as string[] | undefined) ?? [];
  const opts = parseRoiOptions(files, inv.opts, !!inv.g.json);
  const result = await run(opts, inv.ctx, inv.out);
  render(result, opts, inv.out);
}

/** Everything except printing the result; notes go to stderr through `out`. */
export async function run(o: RoiOptions, ctx: Ctx, out: Out): Promise<RoiResult> {
  const reportOpts = { rates: o.rates, currency: o.currency, by: o.by, top: o.top, migration: o.migration, fxRange: o.fxRange, markupRange: o.markupRange };
  if (o.quick) {
    return { report: quickReport(quickSpendUSD(o.quick.spend, o.quick.currency, o.rates), reportOpts), read: null, priced: null, prices: 'none (quick mode)', relayPrices: null };
  }
  const table = await loadPriceTable(ctx, o.prices);
  const relayTable = o.relayPrices ? await loadPriceTable(ctx, o.relayPrices, { rows: new Map(), origin: o.relayPrices }) : undefined;
  const inputs = await distinctInputs(ctx, o.files);
  for (const note of inputs.notes) out.warn(note);
  const read = await readWithProgress(ctx, out, { ...o, files: inputs.files });
  for (const f of read.files) {
    out.info(`read ${f.file}${f.gzip ? ' (gzip)' : ''} as ${f.label}, ${groupDigits(String(f.rows))} rows${f.timeKind ? ` (timestamps: ${TIME_KIND_LABEL[f.timeKind]})` : ''}`);
    if (f.unbilled) {
      out.info(`${f.file}: left out ${groupDigits(String(f.unbilled))} request${f.unbilled === 1 ? '' : 's'} the gateway refused before calling a provider (status ${UNBILLED_STATUSES.join(', ')}): nothing was billed for them.`);
    }
  }
  for (const note of read.notes) out.warn(note);
  if (read.duplicates.count) {
    const ex = read.duplicates.examples.map((d) => `${d.id} at ${d.at}`).join(', ');
    out.warn(`${groupDigits(String(read.duplicates.count))} duplicate row${read.duplicates.count === 1 ? '' : 's'} (request_id already seen) left out, each request counted once; e.g. ${ex}.`);
  }
  if (read.badRows.count) out.warn(`skipped ${groupDigits(String(read.badRows.count))} bad row${read.badRows.count === 1 ? '' : 's'} (--skip-bad-rows), e.g.:\n  ${read.badRows.examples.join('\n  ')}`);
  const priced = priceGroups(read.agg.groups, table, {
    relayTable,
    unknownPrice: o.unknownPrice,
    skipUnknown: o.skipUnknown,
  });
  for (const u of priced.skipped) {
    out.warn(`left out ${u.model} (no price; --skip-unknown): ${groupDigits(u.counts.requests)} requests, ${groupDigits(u.counts.input)} input, ${groupDigits(u.counts.cached)} cached, ${groupDigits(u.counts.output)} output tokens.`);
  }
  if (priced.relayMissing.length) out.warn(`--relay-prices ${o.relayPrices} has no price for ${priced.relayMissing.join(', ')}; the official list price is used for the relay there.`);
  if (relayTable && read.money) out.warn(`cost-export rows carry amounts, not tokens, so --relay-prices cannot re-price them; their list amount is used for the relay too.`);
  const period = periodOf(read.agg.tMin, read.agg.tMax, o.days);
  out.info(
    `period: ${period.source === 'data' ? `${period.start} → ${period.end}, ${period.days.toDecimalPlaces(3).toString()} day${period.days.equals(1) ? '' : 's'} (span of the data)` : `${o.days} days (--days)`}; monthly = total × 30.4375 / days${period.source === 'data' ? '; pass --days N if the files cover a different period' : ''}.`,
  );
  const note = spanNote(period);
  if (note) out.warn(note);
  const report = buildReport(priced.groups, period, reportOpts);
  return { report, read, priced, prices: table.origin, relayPrices: o.relayPrices ?? null };
}

async function readWithProgress(ctx: Ctx, out: Out, o: RoiOptions): Promise<ReadResult> {
  const started = ctx.clock();
  // Started only once an input proves big: small files finish before a spinner could be read.
  let progress: Promise<Progress> | undefined;
  let total = 0;
  let prevFile = '';
  let prevBytes = 0;
  try {
    return await readUsage(ctx, o.files, {
      by: o.by,
      columns: o.columns,
      skipBadRows: o.skipBadRows,
      onProgress: (file, bytes, rows, size) => {
        if (file !== prevFile) prevBytes = 0;
        total += bytes - prevBytes;
        prevFile = file;
        prevBytes = bytes;
        if (total < 32 << 20) return;
        const secs = Math.max((ctx.clock() - started) / 1000, 0.001);
        const mb = (n: number) => (n / 1048576).toFixed(0);
        const text = `reading ${file}: ${mb(bytes)} MB${size ? ` of ${mb(size)} MB` : ''}, ${groupDigits(String(rows))} rows (${groupDigits(String(Math.round(rows / secs)))} rows/s)`;
        progress ??= startProgress(ctx, out, text);
        void progress.then((p) => p.update(text));
      },
    });
  } finally {
    if (progress) (await progress).done();
  }
}
