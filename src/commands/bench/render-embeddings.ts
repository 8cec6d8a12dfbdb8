/** bench's embeddings section: its own table (TTY) or TSV block, then its flags. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import { embeddingRows } from '../../core/bench/embedding-rows.js';
import type { EmbeddingsSummary } from '../../core/bench/embeddings.js';

export function renderEmbeddings(e: EmbeddingsSummary, out: Out, percentiles: number[], afterChat: boolean): void {
  if (out.mode === 'json') return;
  const head = `embeddings: ${e.pairs} request(s), each sent once to both sides; ${e.compared} pair(s) compared`;
  if (out.mode === 'table') {
    out.line();
    out.line(head);
  } else out.info(head);
  const rows = embeddingRows(e, percentiles).map((x) => [x.metric, x.old, x.new, x.delta]);
  // Piped, a blank line separates this TSV block from the chat table above it.
  if (out.mode === 'tsv' && afterChat) out.line();
  printTable(out, [{ header: 'embeddings' }, { header: `old: ${e.old.name}`, align: 'right' }, { header: `new: ${e.new.name}`, align: 'right' }, { header: 'Δ new − old', align: 'right' }], rows);
  for (const f of e.flags) (out.mode === 'table' ? out.line : out.warn)(f);
}
