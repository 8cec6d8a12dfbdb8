/**
 * The verdict of a bench run: go / no-go / inconclusive, its reasons (worst first) and its gates,
 * computed once from the summary so every output (terminal, TSV, JSON, HTML) says the same. Pure.
 *
 * Each check lands in one severity: `block` (a gate missed, or evidence that the new side is
 * materially worse) makes the run no-go; otherwise `unsure` (too few pairs to rule out a material
 * difference) makes it inconclusive; otherwise it is go. `warn`, `good` and `info` explain.
 * "Evidence" always means a 95% interval that excludes the material margin, never a point estimate,
 * so a provider compared with itself (A/A) names no winner.
 */
import type { BenchSummary, Gate } from './summary.js';
import { shareDiff, type DiffInterval } from './proportion.js';
import { latencyChecks, qualityCheck, integrityChecks, costCheck, type Check } from './verdict-checks.js';
import type { SideCost } from './cost.js';
import type { EmbeddingsSummary } from './embeddings.js';
import { embeddingChecks } from './verdict-embeddings.js';

export type { Check, Severity } from './verdict-checks.js';

export type Decision = 'go' | 'no-go' | 'inconclusive';

/** An error-rate difference of this much (or more), shown by its CI, is material. */
export const ERROR_MARGIN = 0.01;
/** Without a CI that rules out the new side failing this much more, the run is inconclusive. */
export const ERROR_UNSURE_MARGIN = 0.05;

export interface VerdictInput {
  summary: BenchSummary;
  cost?: { old?: SideCost; new?: SideCost };
  /** Which sides are holy mock (a local simulator). */
  simulated?: { old: boolean; new: boolean };
  /** Old and new are the same endpoint (an A/A run). */
  sameEndpoint?: boolean;
  interrupted?: boolean;
  /** Distinct requests in the traffic (pairs beyond it repeat them). */
  items?: number;
  /** The replayed /v1/embeddings requests, when the traffic had any. */
  embeddings?: EmbeddingsSummary;
}

export interface Verdict {
  decision: Decision;
  /** Short sentences, worst first. */
  reasons: string[];
  /** Every gate asked for (--p99, --max-regression, --slo), passed or missed. */
  gates: Gate[];
  /** Every check behind the reasons, worst first. */
  checks: Check[];
  /** Either side was holy mock: the figures describe simulators, not providers. */
  simulated: boolean;
  /** When inconclusive: about how many pairs the observed spread needs to decide. */
  pairsNeeded?: number;
}

const RANK: Record<Check['severity'], number> = { block: 0, unsure: 1, warn: 2, good: 3, info: 4 };

/** Signed percentage points, e.g. "+20.5 pp". */
export function pp(x: number): string {
  const v = x * 100;
  return `${v > 0.05 ? '+' : v < -0.05 ? '−' : '±'}${Math.abs(v).toFixed(1)} pp`;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The new − old error-rate difference with its 95% CI. */
export function errorDiff(s: BenchSummary): DiffInterval {
  return shareDiff(s.old.requests - s.old.ok, s.old.requests, s.new.requests - s.new.ok, s.new.requests);
}

/** The side that fails materially more often (CI excludes zero and the difference is ≥ 1 pp), if any. */
export function errorLoser(s: BenchSummary): 'old' | 'new' | undefined {
  const d = errorDiff(s);
  if (d.lo > 0 && d.estimate >= ERROR_MARGIN) return 'new';
  if (d.hi < 0 && -d.estimate >= ERROR_MARGIN) return 'old';
  return undefined;
}

function errorCheck(s: BenchSummary): Check {
  const d = errorDiff(s);
  const o = s.old;
  const n = s.new;
  const ci = `${pp(d.estimate)}, 95% CI ${pp(d.lo).replace(' pp', '')} to ${pp(d.hi)}; n=${o.requests} / ${n.requests}`;
  const rates = `${n.name} failed ${pct(n.errorRate)} of requests vs ${o.name} ${pct(o.errorRate)}`;
  const loser = errorLoser(s);
  if (loser === 'new') return { id: 'errors', severity: 'block', reason: `${rates} (${ci}): materially more, whatever its latency.` };
  if (loser === 'old') return { id: 'errors', severity: 'good', reason: `${rates} (${ci}): ${n.name} fails less.` };
  if (d.hi > ERROR_UNSURE_MARGIN) {
    const need = neededForShare(Math.min(o.requests, n.requests), d, ERROR_UNSURE_MARGIN);
    return { id: 'errors', severity: 'unsure', reason: `too few requests to rule out ${n.name} failing ${pp(ERROR_UNSURE_MARGIN).slice(1)} more: ${rates} (${ci})${need ? `; about ${need} pairs would settle it` : ''}.`, ...(need ? { pairsNeeded: need } : {}) };
  }
  return { id: 'errors', severity: 'info', reason: `error rates match: ${rates} (${ci}).` };
}

/** Pairs for the upper limit of `d` to come down to `margin`, at the spread seen now. */
function neededForShare(n: number, d: DiffInterval, margin: number): number | undefined {
  const room = margin - d.estimate;
  if (!(room > 0) || !(n > 0)) return undefined;
  return Math.max(n + 1, Math.ceil((n * ((d.hi - d.estimate) / room) ** 2) / 10) * 10);
}

/** The --slo gate: the new side's goodput must not be materially below the old side's. */
function sloGate(s: BenchSummary): Gate | undefined {
  const go = s.old.goodput;
  const gn = s.new.goodput;
  if (!go || !gn) return undefined;
  const d = shareDiff(go.requests, s.old.requests, gn.requests, s.new.requests);
  const ok = !(d.hi < 0 && -d.estimate >= ERROR_MARGIN);
  const slo = [gn.slo.ttftMs !== undefined ? `TTFT ≤ ${gn.slo.ttftMs} ms where streamed` : '', gn.slo.e2eMs !== undefined ? `E2E ≤ ${gn.slo.e2eMs} ms` : ''].filter(Boolean).join(', ');
  return { name: 'slo', ok, detail: `goodput (${slo}) ${s.new.name} ${pct(gn.share)} vs ${s.old.name} ${pct(go.share)} (${pp(d.estimate)}, 95% CI ${pp(d.lo)} to ${pp(d.hi)})` };
}

/** Compute the verdict. */
export function decide(i: VerdictInput): Verdict {
  const s = i.summary;
  const gates = [...s.gates];
  const slo = sloGate(s);
  if (slo) gates.push(slo);
  const checks: Check[] = [];
  for (const g of gates) checks.push({ id: `gate:${g.name}`, severity: g.ok ? 'info' : 'block', reason: `gate ${g.name} ${g.ok ? 'passed' : 'missed'}: ${g.detail}.` });
  // Embeddings-only traffic: no chat pair, so the chat checks have nothing to judge.
  if (s.pairs > 0 || !i.embeddings) {
    checks.push(errorCheck(s));
    // An explicit latency gate is the user's own tolerance: it then speaks for latency, and the
    // default 10% margin only warns.
    const latencyGate = s.gates.some((g) => g.name === 'p99' || g.name === 'max-regression');
    checks.push(...latencyChecks(s, errorLoser(s), latencyGate));
    checks.push(qualityCheck(s, i.items));
    checks.push(...integrityChecks(s));
    const cost = costCheck(s, i.cost);
    if (cost) checks.push(cost);
  }
  if (i.embeddings) checks.push(...embeddingChecks(i.embeddings));
  if (i.sameEndpoint) checks.push({ id: 'a-a', severity: 'info', reason: 'old and new are the same endpoint (an A/A run): any difference is noise.' });
  if (i.interrupted) checks.push({ id: 'interrupted', severity: 'warn', reason: `interrupted: the figures cover the ${s.pairs} pair(s) finished before Ctrl-C.` });
  // Stable sort: within a severity, the order above (gates, errors, latency, quality, integrity, cost, embeddings).
  checks.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const decision: Decision = checks.some((c) => c.severity === 'block') ? 'no-go' : checks.some((c) => c.severity === 'unsure') ? 'inconclusive' : 'go';
  const needs = checks.filter((c) => c.severity === 'unsure' && c.pairsNeeded !== undefined).map((c) => c.pairsNeeded!);
  return {
    decision,
    reasons: checks.map((c) => c.reason),
    gates,
    checks,
    simulated: !!(i.simulated?.old || i.simulated?.new),
    ...(decision === 'inconclusive' && needs.length ? { pairsNeeded: Math.max(...needs) } : {}),
  };
}

/** One line a person reads first: the decision in words, with SIMULATED when it is. */
export function headline(v: Verdict, oldName: string, newName: string): string {
  const what =
    v.decision === 'go'
      ? `GO: nothing measured stands against moving from ${oldName} to ${newName}`
      : v.decision === 'no-go'
        ? `NO-GO: do not move from ${oldName} to ${newName} yet`
        : `INCONCLUSIVE: not enough evidence to decide${v.pairsNeeded ? ` (about ${v.pairsNeeded} pairs needed)` : ''}`;
  return v.simulated ? `${what} [SIMULATED: holy mock, not a real provider]` : what;
}
