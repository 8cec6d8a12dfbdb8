import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderStats, type Outcome } from '../../src/core/bench/metrics.js';
import { keepLeastSimilar } from '../../src/core/quality/compare.js';
import { renderHtml } from '../../src/adapters/report/html.js';
import { bootstrapDiffCI } from '../../src/core/bench/bootstrap.js';
import { hostOf, simulatedText } from '../../src/core/bench/header.js';

const ok = (o: Partial<Outcome>): Outcome => ({ ok: true, itl: [], stream: false, sentModel: 'm', retries: 0, retryWaitMs: 0, startMs: 0, endMs: 1, ...o });

describe('smaller defects', () => {
  test('a TTFT SLO applies only where there is a TTFT: a non-streamed answer is held to the E2E SLO alone', () => {
    const s = new ProviderStats('p', 'new');
    const slo = { ttftMs: 100, e2eMs: 1000 };
    s.add(ok({ e2eMs: 500 }), slo); // non-streamed, fast: meets the SLO (it used to fail the TTFT part)
    s.add(ok({ e2eMs: 1500 }), slo); // non-streamed, slow: misses the E2E part
    s.add(ok({ stream: true, ttftMs: 50, e2eMs: 500 }), slo); // streamed, meets both
    s.add(ok({ stream: true, ttftMs: 200, e2eMs: 500 }), slo); // streamed, misses TTFT
    assert.equal(s.good, 2);
    assert.equal(s.sloTtftApplied, 2);
  });
  test('least similar pairs: one per traffic item (its lowest), even when -n cycles the traffic', () => {
    const kept: Array<{ id: string; similarity: number }> = [];
    const offer = (id: string, similarity: number) => keepLeastSimilar(kept, 3, similarity, () => ({ id, similarity }), id);
    for (let round = 0; round < 5; round++) {
      offer('a', 0.1 + round * 0.01);
      offer('b', 0.5);
      offer('c', 0.9);
      offer('d', 0.95);
    }
    offer('b', 0.05); // a lower score for an item already kept replaces it
    assert.deepEqual(kept, [{ id: 'b', similarity: 0.05 }, { id: 'a', similarity: 0.1 }, { id: 'c', similarity: 0.9 }]);
  });
  test('chart legends give the true sample count, not the points plotted', () => {
    const html = renderHtml({
      title: 't', generatedAt: 'x', old: 'o', new: 'n', summaryRows: [], errors: [], leastSimilar: [], notes: [],
      samples: { itl: { old: [1, 2, 3], new: [1, 2], unit: 'ms', n: { old: 2360, new: 2214 } } },
    });
    assert.match(html, /old: o \(n=2360\)/);
    assert.match(html, /new: n \(n=2214\)/);
    assert.doesNotMatch(html, /\(n=3\)/);
  });
  test('new p99 − old p99: zero-centred for two halves of one sample, clear for a shifted one', () => {
    const a = new Float64Array(2000).map((_, i) => (i * 7919) % 1000);
    const b = a.map((v) => v + 100);
    const same = bootstrapDiffCI(a.filter((_, i) => i % 2 === 0), a.filter((_, i) => i % 2 === 1), 99)!;
    assert.ok(same.lo <= 0 && same.hi >= 0, `${same.lo} ${same.hi}`);
    const shifted = bootstrapDiffCI(a, b, 99)!;
    assert.equal(shifted.estimate, 100);
    assert.ok(shifted.lo > 50, String(shifted.lo));
  });
  test('run header: hosts from base URLs; SIMULATED names the simulated sides', () => {
    assert.equal(hostOf('http://127.0.0.1:8080/v1'), '127.0.0.1:8080');
    assert.equal(hostOf('https://api.openai.com/v1 '), 'api.openai.com');
    assert.equal(hostOf('not a url'), null);
    const side = (name: string, simulated: boolean) => ({ name, host: 'h', simulated });
    assert.equal(simulatedText({ old: side('a', false), new: side('b', false) }), undefined);
    assert.match(simulatedText({ old: side('a', false), new: side('b', true) })!, /^SIMULATED: b is holy mock/);
  });
});
