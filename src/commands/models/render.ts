/** Printing model lists, diffs and checks: table on a TTY, TSV when piped, one JSON document with --json. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import { suggestionText } from '../../core/models-diff.js';
import { priceText } from '../../core/price-text.js';
import type { ModelsDiff, ModelsList } from './run.js';
import type { ModelCheck } from './check.js';

type Failure = { name: string; ok: boolean; error?: { cause: string; fix: string } };

/** Listing failures go to stderr (even with -q): the result on stdout stays parseable. */
function failures(out: Out, ps: Failure[]): void {
  for (const p of ps) {
    if (p.ok || !p.error) continue;
    out.fail(`${p.name}: could not list models: ${p.error.cause}`, p.error.fix);
  }
}

const day = (isoTime: string | null, out: Out) => (isoTime ? (out.mode === 'table' ? isoTime.slice(0, 10) : isoTime) : '');

export function renderList(l: ModelsList, out: Out): void {
  if (out.mode === 'json') return out.json(l);
  printTable(
    out,
    [{ header: 'provider' }, { header: 'model' }, { header: 'owner' }, { header: 'created' }, { header: 'input $/1M', align: 'right' }, { header: 'cached $/1M', align: 'right' }, { header: 'output $/1M', align: 'right' }],
    l.models.map((m) => [m.provider, m.id, m.owner, day(m.created, out), m.price ? priceText(m.price.input) : '', m.price?.cachedInput ? priceText(m.price.cachedInput) : '', m.price ? priceText(m.price.output) : '']),
  );
  if (out.mode === 'table') out.info(`prices: USD per 1M tokens from ${l.prices.origin === 'built-in' ? 'the built-in table' : l.prices.origin}; --json shows each row's source and date.`);
  failures(out, l.providers);
}

export function renderDiff(d: ModelsDiff, out: Out): void {
  if (out.mode === 'json') return out.json(d);
  failures(out, [d.old, d.new]);
  if (!d.old.ok || !d.new.ok) return;
  printTable(
    out,
    [{ header: 'model' }, { header: 'status' }, { header: d.old.name }, { header: d.new.name }, { header: 'suggested' }],
    d.rows.map((r) => [r.model, r.status, r.old.join(' '), r.new.join(' '), suggestionText(r.suggestion)]),
  );
  if (out.mode === 'table') out.line(`${d.counts.both} in both, ${d.counts.onlyOld} only in ${d.old.name}, ${d.counts.onlyNew} only in ${d.new.name}`);
}

export function renderCheck(c: ModelCheck, out: Out): void {
  if (out.mode === 'json') return out.json(c);
  failures(out, [c.listing]);
  if (!c.listing.ok) return;
  if (out.mode === 'tsv') {
    printTable(
      out,
      ['name', 'provider', 'served', 'id', 'suggested'].map((header) => ({ header })),
      [[c.name, c.provider, c.served ? 'yes' : 'no', c.id ?? '', c.served ? '' : c.fix ?? '']],
    );
    return;
  }
  if (c.served) {
    out.line(`${out.c.green('✓')} ${c.name} is served by ${c.provider}${c.id !== c.name ? ` as ${c.id}` : ''}`);
    if (c.price) out.line(`  price: input $${priceText(c.price.input)}, cached ${c.price.cachedInput === null ? '-' : `$${priceText(c.price.cachedInput)}`}, output $${priceText(c.price.output)} per 1M tokens (${c.price.source}, ${c.price.date})`);
  } else {
    out.line(`${out.c.red('✗')} ${c.name} is not served by ${c.provider}`);
    if (c.fix) out.line(`  fix: ${c.fix}`);
  }
}
