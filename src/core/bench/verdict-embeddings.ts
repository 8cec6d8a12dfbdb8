/**
 * The verdict's checks on replayed /v1/embeddings requests, each one severity and one sentence with
 * its n: errors (the same interval rule as chat), dimensions, cosine similarity of old vs new
 * vectors, usage.prompt_tokens agreement, and whether enough pairs were compared. Pure.
 */
import type { EmbeddingsSummary } from './embeddings.js';
import { pairsNeeded, shareDiff, wilson } from './proportion.js';
import { TOKEN_OVERCOUNT, type Check } from './verdict-checks.js';

// The error margins are verdict.ts's ERROR_MARGIN / ERROR_UNSURE_MARGIN (not imported: verdict.ts imports this file).
/** An error-rate difference of this much (or more), shown by its CI, is material (as for chat). */
const ERROR_MARGIN = 0.01;
/** Without a CI that rules out failing this much more, the embeddings errors are unsettled. */
const ERROR_UNSURE_MARGIN = 0.05;
/** More than this share of pairs below the same-vector cosine (shown by its Wilson CI) is a no-go. */
export const EMBEDDING_MAX_BELOW = 0.05;
/** Fewer compared pairs than this say nothing about the vectors. */
export const MIN_EMBEDDING_PAIRS = 10;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pp = (x: number) => {
  const v = x * 100;
  return `${v > 0.05 ? '+' : v < -0.05 ? '−' : '±'}${Math.abs(v).toFixed(1)} pp`;
};

function errorCheck(e: EmbeddingsSummary): Check {
  const o = e.old;
  const n = e.new;
  const d = shareDiff(o.requests - o.ok, o.requests, n.requests - n.ok, n.requests);
  const ci = `${pp(d.estimate)}, 95% CI ${pp(d.lo).replace(' pp', '')} to ${pp(d.hi)}; n=${o.requests} / ${n.requests}`;
  const rates = `embeddings: ${n.name} failed ${pct(n.errorRate)} of requests vs ${o.name} ${pct(o.errorRate)} (${ci})`;
  const id = 'embeddings:errors';
  if (d.lo > 0 && d.estimate >= ERROR_MARGIN) return { id, severity: 'block', reason: `${rates}: materially more.` };
  if (d.hi < 0 && -d.estimate >= ERROR_MARGIN) return { id, severity: 'good', reason: `${rates}: ${n.name} fails less.` };
  if (d.hi > ERROR_UNSURE_MARGIN) {
    const room = ERROR_UNSURE_MARGIN - d.estimate;
    const need = room > 0 ? pairsNeeded(Math.min(o.requests, n.requests), d.hi - d.estimate, room) : undefined;
    return { id, severity: 'unsure', reason: `${rates}: too few to rule out ${n.name} failing 5 pp more${need ? `; about ${need} requests would settle it` : ''}.`, ...(need ? { pairsNeeded: need } : {}) };
  }
  return { id, severity: 'info', reason: `${rates}: error rates match.` };
}

function cosineCheck(e: EmbeddingsSummary): Check | undefined {
  const c = e.cosine;
  if (c.n === 0) return undefined;
  const w = wilson(c.below, c.n);
  const mean = c.mean === null ? '—' : c.mean.toFixed(4);
  const what = `${c.below} of ${c.n} embedding pairs (${pct(w.estimate)}, 95% CI ${pct(w.lo)} to ${pct(w.hi)}) have cosine similarity below ${c.threshold}, mean ${mean} (limit ${pct(EMBEDDING_MAX_BELOW)}; n=${c.n} pairs)`;
  const id = 'embeddings:cosine';
  if (w.lo > EMBEDDING_MAX_BELOW) return { id, severity: 'block', reason: `${e.new.name} returns other vectors than ${e.old.name}: ${what}; it serves another model.` };
  if (c.n < MIN_EMBEDDING_PAIRS) return undefined; // the pairs check below says so
  if (w.hi <= EMBEDDING_MAX_BELOW) return { id, severity: 'good', reason: `embedding vectors match: ${what}.` };
  const need = w.estimate < EMBEDDING_MAX_BELOW ? pairsNeeded(c.n, w.hi - w.estimate, EMBEDDING_MAX_BELOW - w.estimate) : pairsNeeded(c.n, w.estimate - w.lo, w.estimate - EMBEDDING_MAX_BELOW);
  return { id, severity: 'unsure', reason: `embedding vectors not settled: ${what}${need ? `; about ${need} pairs would settle it` : ''}.`, ...(need ? { pairsNeeded: need } : {}) };
}

function tokenCheck(e: EmbeddingsSummary): Check | undefined {
  const t = e.promptTokens;
  if (!t.compared || t.agree === t.compared) return undefined;
  const o = e.old;
  const n = e.new;
  const totals = `${o.name} ${o.promptTokens} vs ${n.name} ${n.promptTokens} tokens over its successes`;
  // Totals compare like with like only when both sides succeeded on exactly the compared pairs.
  const same = e.compared === o.ok && e.compared === n.ok && o.promptTokens > 0;
  const id = 'embeddings:prompt-tokens';
  if (same && n.promptTokens > o.promptTokens * (1 + TOKEN_OVERCOUNT)) return { id, severity: 'block', reason: `${n.name} reports ${pct(n.promptTokens / o.promptTokens - 1)} more embeddings prompt tokens than ${o.name} for the same ${t.compared} requests (${totals}): it would bill more.` };
  return { id, severity: 'warn', reason: `usage.prompt_tokens differs in ${t.compared - t.agree} of ${t.compared} embedding pairs (${totals}): check how ${n.name} counts before trusting its bill.` };
}

/** The embeddings checks, in the order errors, dimensions, cosine, tokens, pairs (the verdict sorts by severity). */
export function embeddingChecks(e: EmbeddingsSummary): Check[] {
  const out: Check[] = [errorCheck(e)];
  if (e.dims.differ > 0) out.push({ id: 'embeddings:dimensions', severity: 'block', reason: `${e.new.name} returned vectors of another dimension count than ${e.old.name} in ${e.dims.differ} of ${e.compared} embedding pairs (${e.dims.examples.join(', ')}): a different model, or a "dimensions" parameter not honoured.` });
  const cos = cosineCheck(e);
  if (cos) out.push(cos);
  const tok = tokenCheck(e);
  if (tok) out.push(tok);
  if (e.compared < MIN_EMBEDDING_PAIRS) {
    out.push({ id: 'embeddings:pairs', severity: 'unsure', reason: `embeddings: only ${e.compared} pair(s) where both sides answered (of ${e.pairs} requests), too few to compare the vectors; send at least ${MIN_EMBEDDING_PAIRS}.`, pairsNeeded: MIN_EMBEDDING_PAIRS });
  }
  return out;
}
