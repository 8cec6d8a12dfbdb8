import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, headline, type Verdict } from '../../src/core/bench/verdict.js';
import { EmbeddingPairs, EmbeddingSide, comparePair, summariseEmbeddings, type EmbeddingOutcome, type EmbeddingsSummary } from '../../src/core/bench/embeddings.js';
import { embeddingChecks, EMBEDDING_MAX_BELOW, MIN_EMBEDDING_PAIRS } from '../../src/core/bench/verdict-embeddings.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { scenario } from './verdict-fixture.js';

interface EmbScenario {
  /** Requests sent. */
  n: number;
  /** The first k requests fail on that side. */
  oldErrors?: number;
  newErrors?: number;
  /** Pairs (from the end of the run) whose new vector points elsewhere (cosine 0). */
  otherVectors?: number;
  /** Pairs (from the end) where the new side returns 3 dimensions instead of 2. */
  otherDims?: number;
  /** Prompt tokens the new side reports per request (old: 10). */
  newTokens?: number;
}

/** A summary built through the real accumulators, as bench builds it. */
function emb(s: EmbScenario): EmbeddingsSummary {
  const old = new EmbeddingSide('official', false);
  const neu = new EmbeddingSide('holysheep', false);
  const pairs = new EmbeddingPairs();
  for (let i = 0; i < s.n; i++) {
    const fromEnd = s.n - i;
    const a: EmbeddingOutcome = i < (s.oldErrors ?? 0) ? { ok: false, errorClass: 'http_500', e2eMs: 50 } : { ok: true, e2eMs: 50, vectors: [[1, 0]], promptTokens: 10 };
    const vec = fromEnd <= (s.otherDims ?? 0) ? [1, 0, 0] : fromEnd <= (s.otherVectors ?? 0) ? [0, 1] : [1, 0];
    const b: EmbeddingOutcome = i < (s.newErrors ?? 0) ? { ok: false, errorClass: 'http_500', e2eMs: 50 } : { ok: true, e2eMs: 50, vectors: [vec], promptTokens: s.newTokens ?? 10 };
    old.add(a, 'text-embedding-3-small', 10);
    neu.add(b, 'text-embedding-3-small', 10);
    if (a.ok && b.ok) pairs.add(comparePair(a, b));
  }
  return summariseEmbeddings(old, neu, pairs, [50, 99], builtinPriceTable(), (m) => m);
}

/** An embeddings-only run: no chat pair. */
const only = (s: EmbScenario) => decide({ summary: scenario({ n: 0 }), embeddings: emb(s) });
const check = (v: Verdict, id: string) => v.checks.find((c) => c.id === id);

describe('verdict: embeddings checks, each reason on its own (table-driven)', () => {
  const cases: Array<{ name: string; s: EmbScenario; decision: Verdict['decision']; id: string; severity: string; text: RegExp }> = [
    { name: 'new fails 20% vs 0% → no-go', s: { n: 300, newErrors: 60 }, decision: 'no-go', id: 'embeddings:errors', severity: 'block', text: /failed 20\.0% of requests vs official 0\.0%.*n=300 \/ 300\): materially more/ },
    { name: 'old fails more → a reason for new', s: { n: 300, oldErrors: 60 }, decision: 'go', id: 'embeddings:errors', severity: 'good', text: /holysheep fails less/ },
    { name: 'too few requests to rule out more errors → inconclusive', s: { n: 20 }, decision: 'inconclusive', id: 'embeddings:errors', severity: 'unsure', text: /too few to rule out holysheep failing 5 pp more; about \d+ requests/ },
    { name: 'one pair with other dimensions → no-go', s: { n: 300, otherDims: 1 }, decision: 'no-go', id: 'embeddings:dimensions', severity: 'block', text: /another dimension count than official in 1 of 300 embedding pairs \(2 vs 3\): a different model/ },
    { name: 'a third of vectors elsewhere → no-go: another model', s: { n: 300, otherVectors: 100 }, decision: 'no-go', id: 'embeddings:cosine', severity: 'block', text: /100 of 300 embedding pairs .* below 0\.99, mean 0\.6667 .*n=300 pairs\); it serves another model/ },
    { name: 'a few low pairs, CI straddling the limit → inconclusive', s: { n: 100, otherVectors: 8 }, decision: 'inconclusive', id: 'embeddings:cosine', severity: 'unsure', text: /not settled: 8 of 100 .*about \d+ pairs would settle it/ },
    { name: 'new reports 20% more prompt tokens → no-go: bills more', s: { n: 300, newTokens: 12 }, decision: 'no-go', id: 'embeddings:prompt-tokens', severity: 'block', text: /20\.0% more embeddings prompt tokens than official for the same 300 requests .*would bill more/ },
    { name: 'new reports fewer prompt tokens → a caution', s: { n: 300, newTokens: 9 }, decision: 'go', id: 'embeddings:prompt-tokens', severity: 'warn', text: /usage\.prompt_tokens differs in 300 of 300 embedding pairs \(official 3000 vs holysheep 2700/ },
    { name: 'too few pairs compared → inconclusive', s: { n: 5 }, decision: 'inconclusive', id: 'embeddings:pairs', severity: 'unsure', text: new RegExp(`only 5 pair\\(s\\) .*send at least ${MIN_EMBEDDING_PAIRS}`) },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = only(c.s);
      assert.equal(v.decision, c.decision, v.reasons.join('\n'));
      const k = check(v, c.id);
      assert.ok(k, `no ${c.id} check: ${v.checks.map((x) => x.id).join(', ')}`);
      assert.equal(k.severity, c.severity, k.reason);
      assert.match(k.reason, c.text);
      // Each case triggers its own reason only: no other check is against the move.
      const others = v.checks.filter((x) => x.id !== c.id && x.severity === 'block');
      assert.deepEqual(others.map((x) => x.id), []);
    });
  }

  test('A/A embeddings run (300 identical pairs): go, every check names no problem, no chat checks', () => {
    const v = only({ n: 300 });
    assert.equal(v.decision, 'go', v.reasons.join('\n'));
    assert.deepEqual(v.checks.filter((c) => c.severity !== 'info' && c.severity !== 'good'), []);
    assert.deepEqual(v.checks.map((c) => c.id).sort(), ['embeddings:cosine', 'embeddings:errors']);
    assert.match(check(v, 'embeddings:cosine')!.reason, /^embedding vectors match: 0 of 300 .*limit 5\.0%/);
    assert.match(headline(v, 'official', 'holysheep'), /^GO:/);
  });

  test('the cosine limit is a Wilson CI above the documented share, not a point estimate', () => {
    assert.equal(EMBEDDING_MAX_BELOW, 0.05);
    // 1 of 10 below (10%) is above 5%, but its interval reaches under 5%: not yet a no-go.
    assert.equal(check(only({ n: 10, otherVectors: 1 }), 'embeddings:cosine')!.severity, 'unsure');
    // 6 of 6 below (a substituted model on a handful of pairs) is evidence even under the pairs minimum.
    const v = only({ n: 6, otherVectors: 6 });
    assert.equal(v.decision, 'no-go');
    assert.equal(check(v, 'embeddings:cosine')!.severity, 'block');
  });

  test('with chat pairs too, the chat checks stay and the embeddings checks join them', () => {
    const v = decide({ summary: scenario({ n: 400, noise: 30 }), embeddings: emb({ n: 300, otherVectors: 100 }) });
    assert.equal(v.decision, 'no-go');
    assert.ok(check(v, 'errors') && check(v, 'latency:e2e-p50') && check(v, 'quality'));
    assert.equal(v.checks[0]!.id, 'embeddings:cosine');
    // Without embeddings, the same chat run is a go (the embeddings reason alone decided).
    assert.equal(decide({ summary: scenario({ n: 400, noise: 30 }) }).decision, 'go');
  });

  test('embeddingChecks is pure: the same summary gives the same checks', () => {
    const e = emb({ n: 50, otherVectors: 3, newTokens: 11 });
    assert.deepEqual(embeddingChecks(e), embeddingChecks(e));
  });
});
