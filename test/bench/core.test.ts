import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Samples, percentile, distribution, parsePercentiles } from '../../src/core/bench/samples.js';
import { bootstrapPercentileCI } from '../../src/core/bench/bootstrap.js';
import { poissonOffsets, ReplayClock } from '../../src/core/bench/schedule.js';
import { Breaker, MinuteLimiter } from '../../src/core/bench/limits.js';
import { classifyStatus, classifyTransport, retryAfterMs, retryable } from '../../src/core/bench/classify.js';
import { parseBenchOptions, parseSlo, parseModelMap } from '../../src/core/bench/options.js';
import { resolveMapping, scaleUses, providerPlan, outputEstimate } from '../../src/core/bench/plan.js';
import { ProviderStats, PairStats, type Outcome } from '../../src/core/bench/metrics.js';
import { summarise } from '../../src/core/bench/summary.js';
import { fromRecorded, tpot } from '../../src/commands/bench/provider.js';
import type { Ctx } from '../../src/context.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { UsageError } from '../../src/errors.js';
import { mulberry32 } from '../../src/core/rng.js';

describe('percentiles (nearest rank, exact)', () => {
  test('Samples.percentile (no sort) gives exactly percentile() of the sorted values', () => {
    const rand = mulberry32(3);
    for (const n of [1, 2, 3, 10, 101, 1000, 5000]) {
      const s = new Samples(4);
      for (let i = 0; i < n; i++) s.push(i % 7 === 0 ? 42 : Math.floor(rand() * 500) / 4); // with ties
      for (let round = 0; round < 2; round++) {
        const sorted = Float64Array.from(s.values()).sort();
        for (const p of [0.1, 1, 10, 25, 50, 90, 95, 99, 99.9, 100]) assert.equal(s.percentile(p), percentile(sorted, p), `n ${n} p ${p}`);
        s.push(rand() * 200); // the scratch copy is refreshed after a push
      }
    }
    assert.ok(Number.isNaN(new Samples().percentile(50)));
  });
  test('match a hand-computed reference', () => {
    // 1..10 shuffled: nearest rank p = ceil(p/100·n)-th smallest.
    const s = new Samples(2);
    for (const v of [7, 3, 10, 1, 9, 2, 8, 4, 6, 5]) s.push(v);
    const sorted = s.sorted();
    assert.equal(percentile(sorted, 50), 5); // ceil(5) = 5th
    assert.equal(percentile(sorted, 90), 9); // 9th
    assert.equal(percentile(sorted, 95), 10); // ceil(9.5) = 10th
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 10), 1);
    assert.equal(percentile(sorted, 11), 2); // ceil(1.1) = 2nd
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 100), 10);
  });
  test('on 1000 samples p99.9 is the 999th value and growth keeps every sample', () => {
    const s = new Samples(1);
    for (let i = 1000; i >= 1; i--) s.push(i / 10);
    assert.equal(s.length, 1000);
    const d = distribution(s, [50, 99, 99.9]);
    assert.equal(d.p['50'], 50);
    assert.equal(d.p['99'], 99);
    assert.equal(d.p['99.9'], 99.9);
    assert.equal(d.max, 100);
    assert.equal(d.min, 0.1);
    assert.ok(Math.abs(d.mean - 50.05) < 1e-9);
  });
  test('empty sets give NaN, non-finite samples are ignored', () => {
    const s = new Samples();
    s.push(NaN);
    s.push(Infinity);
    assert.equal(s.length, 0);
    assert.ok(Number.isNaN(percentile(s.sorted(), 50)));
  });
  test('--percentiles parsing accepts 50,99,99.9 and rejects bad values', () => {
    assert.deepEqual(parsePercentiles('99,50, 99.9'), [50, 99, 99.9]);
    assert.deepEqual(parsePercentiles('p50,p99'), [50, 99]);
    assert.throws(() => parsePercentiles('50,abc'), /abc/);
    assert.throws(() => parsePercentiles('0'), /between 0/);
    assert.throws(() => parsePercentiles('101'), /between 0/);
  });
});

describe('bootstrap CI', () => {
  test('seeded: same seed same interval; the interval brackets the estimate', () => {
    const v = new Float64Array(500);
    for (let i = 0; i < v.length; i++) v[i] = ((i * 37) % 101) - 20;
    const a = bootstrapPercentileCI(v, 50, { seed: 7 })!;
    const b = bootstrapPercentileCI(v, 50, { seed: 7 })!;
    assert.deepEqual(a, b);
    assert.equal(a.resamples, 2000);
    assert.ok(a.lo <= a.estimate && a.estimate <= a.hi, JSON.stringify(a));
    assert.equal(a.estimate, percentile(Float64Array.from(v).sort(), 50));
  });
  test('constant deltas give a zero-width interval; fewer than 2 samples give none', () => {
    const c = bootstrapPercentileCI(new Float64Array(50).fill(3), 99)!;
    assert.deepEqual([c.lo, c.estimate, c.hi], [3, 3, 3]);
    assert.equal(bootstrapPercentileCI(new Float64Array([1]), 50), undefined);
  });
  test('a shifted sample gives an interval excluding 0', () => {
    const v = Float64Array.from({ length: 400 }, (_, i) => 10 + (i % 7));
    const ci = bootstrapPercentileCI(v, 50, { seed: 3 })!;
    assert.ok(ci.lo > 0);
  });
});

describe('schedules', () => {
  test('seeded Poisson arrivals have the requested mean rate and are reproducible', () => {
    const rate = 20;
    const g = poissonOffsets(rate, 42);
    let last = 0;
    const n = 20000;
    let sqsum = 0;
    for (let i = 0; i < n; i++) {
      const t = g.next().value;
      const gap = t - last;
      assert.ok(gap >= 0);
      sqsum += gap * gap;
      last = t;
    }
    const observed = n / (last / 1000);
    assert.ok(Math.abs(observed - rate) / rate < 0.03, `observed ${observed}/s`);
    // Exponential gaps: variance = mean², so E[gap²] = 2·mean².
    const mean = last / n;
    assert.ok(Math.abs(sqsum / n / (2 * mean * mean) - 1) < 0.08);
    const again = poissonOffsets(rate, 42);
    const other = poissonOffsets(rate, 43);
    const first = poissonOffsets(rate, 42).next().value;
    assert.equal(again.next().value, first);
    assert.notEqual(other.next().value, first);
  });
  test('replay offsets are relative to the first timestamp and scaled by speed', () => {
    const r = new ReplayClock(2);
    assert.equal(r.offset(10_000), 0);
    assert.equal(r.offset(11_000), 500);
    assert.equal(r.offset(9_000), 0);
  });
});

describe('limits', () => {
  test('rpm: the third request in a minute of rpm 2 waits for the window', () => {
    const l = new MinuteLimiter(2);
    assert.equal(l.reserve(0, 1), 0);
    assert.equal(l.reserve(10, 1), 10);
    assert.equal(l.reserve(20, 1), 60_000);
  });
  test('tpm: tokens over budget wait; an oversized request goes alone', () => {
    const l = new MinuteLimiter(undefined, 100);
    assert.equal(l.reserve(0, 60), 0);
    assert.equal(l.reserve(1, 60), 60_000);
    const big = new MinuteLimiter(undefined, 10);
    assert.equal(big.reserve(5, 50), 5);
    assert.equal(new MinuteLimiter().reserve(123, 1e9), 123);
  });
  test('no minute ever holds more than --rpm requests or --tpm tokens, however calls interleave', () => {
    // Two queued behind a full window must not free the slots a later, earlier-starting call needs.
    const l = new MinuteLimiter(2);
    assert.deepEqual([l.reserve(0, 1), l.reserve(0, 1), l.reserve(0, 1), l.reserve(1, 1)], [0, 0, 60_000, 60_000]);
    const rand = mulberry32(7);
    for (const [rpm, tpm] of [[3, undefined], [undefined, 100], [4, 150]] as const) {
      const lim = new MinuteLimiter(rpm, tpm);
      const booked: Array<{ at: number; tokens: number }> = [];
      let now = 0;
      for (let k = 0; k < 400; k++) {
        now += Math.floor(rand() * 20_000);
        const tokens = 1 + Math.floor(rand() * 40);
        const at = lim.reserve(now, tokens);
        assert.ok(at >= now);
        booked.push({ at, tokens });
      }
      for (const b of booked) {
        const win = booked.filter((x) => x.at > b.at - 60_000 && x.at <= b.at);
        if (rpm) assert.ok(win.length <= rpm, `rpm ${rpm}: ${win.length} in the minute to ${b.at}`);
        if (tpm) assert.ok(win.reduce((sum, x) => sum + x.tokens, 0) <= tpm, `tpm ${tpm}: over budget in the minute to ${b.at}`);
      }
    }
  });
  test('breaker opens after N consecutive failures only', () => {
    const b = new Breaker(3);
    b.record(false, 1);
    b.record(false, 2);
    b.record(true, 3);
    b.record(false, 4);
    b.record(false, 5);
    assert.equal(b.open, false);
    b.record(false, 6);
    assert.equal(b.open, true);
    assert.equal(b.openedAfter, 6);
    const off = new Breaker(undefined);
    for (let i = 0; i < 100; i++) off.record(false, i);
    assert.equal(off.open, false);
  });
});

describe('error classes', () => {
  test('status, quota, transport and Retry-After', () => {
    assert.equal(classifyStatus(500, {}), 'http_500');
    assert.equal(classifyStatus(404, undefined), 'http_404');
    assert.equal(classifyStatus(429, { error: { code: 'rate_limit_exceeded' } }), 'rate_limited');
    assert.equal(classifyStatus(429, { error: { code: 'insufficient_quota' } }), 'insufficient_quota');
    assert.equal(classifyTransport({ code: 'ECONNREFUSED' }, false), 'connect_error');
    assert.equal(classifyTransport({ code: 'UND_ERR_SOCKET' }, false), 'reset');
    assert.equal(classifyTransport(new Error('x'), true), 'timeout');
    assert.equal(retryAfterMs('2', 0), 2000);
    assert.equal(retryAfterMs(new Date(5000).toUTCString(), 1000), 4000);
    assert.equal(retryAfterMs('soon', 0), undefined);
    assert.ok(retryable('http_503') && retryable('rate_limited') && !retryable('insufficient_quota') && !retryable('http_400'));
  });
  test('a recorded 429 is classed as a live one would be (quota known by type or code)', () => {
    const ctx = { clock: () => 0, now: () => 0 } as unknown as Ctx;
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const cls = (b: unknown) => fromRecorded(ctx, body, { status: 429, body: b }, 0).outcome.errorClass;
    const quotaByType = { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: null } };
    assert.equal(cls(quotaByType), classifyStatus(429, quotaByType));
    assert.equal(cls(quotaByType), 'insufficient_quota');
    assert.equal(cls({ error: { code: 'insufficient_quota' } }), 'insufficient_quota');
    assert.equal(cls({ error: { code: 'rate_limit_exceeded' } }), 'rate_limited');
    assert.equal(fromRecorded(ctx, body, { status: 429, error: { code: 'insufficient_quota', message: 'quota' } }, 0).outcome.errorClass, 'insufficient_quota');
    assert.equal(cls(undefined), 'rate_limited');
  });
});

describe('options', () => {
  const bad = (flags: Record<string, unknown>, re: RegExp) => assert.throws(() => parseBenchOptions(['t.jsonl'], flags), (e: unknown) => e instanceof UsageError && re.test((e as Error).message));
  test('defaults: closed loop c=4, p50/90/95/99, max cost $1', () => {
    const o = parseBenchOptions(['t.jsonl'], {});
    assert.deepEqual(o.load, { kind: 'closed', concurrency: 4 });
    assert.deepEqual(o.percentiles, [50, 90, 95, 99]);
    assert.equal(o.maxCostUSD, 1);
    assert.equal(o.qualityThreshold, 0.8);
    assert.equal(o.p99First, false);
  });
  test('--p99 alone reorders, --p99 MS is a gate', () => {
    assert.equal(parseBenchOptions(['t'], { p99: true }).p99GateMs, undefined);
    assert.equal(parseBenchOptions(['t'], { p99: true }).p99First, true);
    assert.equal(parseBenchOptions(['t'], { p99: '1500' }).p99GateMs, 1500);
  });
  test('bad inputs name the flag and the fix', () => {
    bad({ concurrency: '0' }, /--concurrency "0".*e\.g\./);
    bad({ concurrency: '2.5' }, /whole number/);
    bad({ rate: 'fast' }, /--rate/);
    bad({ rate: '5', replayTiming: true }, /pick one/);
    bad({ rate: '5', concurrency: '3' }, /closed loop/);
    bad({ speed: '2' }, /--replay-timing/);
    bad({ stream: 'maybe' }, /on, off or as-recorded/);
    bad({ qualityThreshold: '2' }, /between 0 and 1/);
    bad({ judge: 'gpt-4.1' }, /PROVIDER:MODEL/);
    assert.deepEqual(parseBenchOptions(['t'], { judge: 'official:ft:gpt-4o:acme:1' }).judge, { provider: 'official', model: 'ft:gpt-4o:acme:1' });
    assert.deepEqual(parseBenchOptions(['t'], { judge: 'j=http://127.0.0.1:8080/v1:gpt-4.1' }).judge, { provider: 'j=http://127.0.0.1:8080/v1', model: 'gpt-4.1' });
    assert.deepEqual(parseBenchOptions(['t'], { judge: 'j=http://127.0.0.1:8080:gpt-4.1' }).judge, { provider: 'j=http://127.0.0.1:8080', model: 'gpt-4.1' });
    bad({ new: 'recorded' }, /--old recorded/);
    bad({ p99: 'soon' }, /--p99/);
    bad({ p99: 'traffic.jsonl' }, /put the files before --p99/);
    assert.throws(() => parseBenchOptions([], {}), /traffic file/);
  });
  test('--slo and --model-map', () => {
    assert.deepEqual(parseSlo('ttft=500,e2e=3000'), { ttftMs: 500, e2eMs: 3000 });
    assert.deepEqual(parseSlo('e2e=2.5'), { e2eMs: 2.5 });
    assert.throws(() => parseSlo('p99=3'), /ttft=MS/);
    assert.deepEqual([...parseModelMap(['gpt-4=gpt-4.1'])], [['gpt-4', 'gpt-4.1']]);
    assert.throws(() => parseModelMap(['gpt-4']), /OLD=NEW/);
  });
});

describe('plan and cost', () => {
  test('scaleUses cycles through the traffic', () => {
    const u = scaleUses({ models: ['a', 'b'], modelIdx: [0, 1], prompt: [10, 1], output: [5, 1] }, 5);
    assert.deepEqual(u.find((x) => x.model === 'a'), { model: 'a', requests: 3, promptTokens: 30, outputTokens: 15 });
    assert.deepEqual(u.find((x) => x.model === 'b'), { model: 'b', requests: 2, promptTokens: 2, outputTokens: 2 });
  });
  test('cost uses exact prices; unknown models are listed, not guessed', () => {
    const p = providerPlan('x', [{ model: 'gpt-4.1', requests: 1, promptTokens: 1_000_000, outputTokens: 500_000 }, { model: 'mystery', requests: 1, promptTokens: 5, outputTokens: 5 }], builtinPriceTable(), (m) => m);
    assert.equal(p.costUSD, '6'); // 1M × $2 + 0.5M × $8
    assert.deepEqual(p.unpriced, ['mystery']);
    assert.equal(outputEstimate({ max_tokens: 50 }), 50);
    assert.equal(outputEstimate({ max_completion_tokens: 70 }), 70);
    assert.equal(outputEstimate({}), 256);
  });
  test('mapping: flag first; built-in only for models the new side does not serve', () => {
    const served = new Set(['gpt-4.1', 'gpt-4o-mini']);
    assert.deepEqual(resolveMapping(['gpt-4-turbo', 'gpt-4o-mini', 'gpt-3.5-turbo'], new Map([['gpt-3.5-turbo', 'gpt-4.1']]), served), [
      { from: 'gpt-4-turbo', to: 'gpt-4.1', why: 'built-in' },
      { from: 'gpt-3.5-turbo', to: 'gpt-4.1', why: 'flag' },
    ]);
    assert.deepEqual(resolveMapping(['gpt-4-turbo'], new Map(), undefined), []);
  });
});

describe('metrics', () => {
  const base = (o: Partial<Outcome>): Outcome => ({ ok: true, itl: [], stream: true, sentModel: 'm', retries: 0, retryWaitMs: 0, startMs: 0, endMs: 100, ...o });
  test('TPOT = (E2E − TTFT)/(tokens − 1); undefined below 2 tokens', () => {
    assert.equal(tpot(1200, 200, 11), 100);
    assert.equal(tpot(1200, 200, 1), undefined);
    assert.equal(tpot(1200, undefined, 11), undefined);
  });
  test('errors counted by class and kept in totals; ITL pooled; substitution and over-counting flagged; gates', () => {
    const o = new ProviderStats('old', 'old');
    const n = new ProviderStats('new', 'new');
    const pairs = new PairStats();
    for (let i = 0; i < 10; i++) {
      const a = base({ e2eMs: 100, ttftMs: 10, itl: [1, 2], promptTokens: 100, promptTokensLocal: 100, outputTokens: 5, outputTokensSource: 'server', usageSeen: true });
      const b = i === 9 ? base({ ok: false, errorClass: 'http_500' }) : base({ e2eMs: 150, ttftMs: 20, itl: [3], promptTokens: 120, promptTokensLocal: 100, outputTokens: 5, outputTokensSource: 'server', responseModel: 'other-model', usageSeen: false });
      o.add(a, { e2eMs: 120 });
      n.add(b, { e2eMs: 120 });
      pairs.add(a, b);
    }
    assert.equal(n.total, 10);
    assert.deepEqual(n.errors, { http_500: 1 });
    assert.equal(o.itl.length, 20);
    assert.equal(pairs.dE2e.length, 9);
    const s = summarise({ old: o, new: n, pairs, percentiles: [50, 99], slo: { e2eMs: 120 }, warmup: 0, seed: 1, gates: { p99Ms: 140, maxRegressionPct: 60 } });
    assert.equal(s.new.errorRate, 0.1);
    assert.equal(s.old.goodput!.share, 1);
    assert.equal(s.new.goodput!.share, 0);
    assert.equal(s.delta.e2eMs.median!.estimate, 50);
    assert.ok(s.flags.some((f) => /20\.0% more prompt tokens/.test(f)), s.flags.join('\n'));
    assert.ok(s.flags.some((f) => /substitution/.test(f)));
    assert.ok(s.flags.some((f) => /include_usage/.test(f)));
    assert.deepEqual(s.gates.map((g) => [g.name, g.ok]), [['p99', false], ['max-regression', true]]);
  });
});

describe('bootstrap agrees with brute-force resampling', () => {
  test('median and p99 intervals within a few ranks of the naive method', () => {
    const v = Float64Array.from({ length: 300 }, (_, i) => Math.round(1000 * Math.sin(i * 12.9898) ** 2));
    const sorted = Float64Array.from(v).sort();
    const rank = (x: number) => sorted.indexOf(x);
    for (const p of [50, 99]) {
      // Naive: 2000 resamples with replacement, the statistic of each.
      let s = 12345;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const stats = new Float64Array(2000);
      for (let r = 0; r < 2000; r++) {
        const x = Float64Array.from({ length: v.length }, () => v[Math.floor(rnd() * v.length)]!).sort();
        stats[r] = percentile(x, p);
      }
      stats.sort();
      const lo = percentile(stats, 2.5);
      const hi = percentile(stats, 97.5);
      const ci = bootstrapPercentileCI(v, p, { seed: 9 })!;
      assert.ok(Math.abs(rank(ci.lo) - rank(lo)) <= 6, `p${p} lo ${ci.lo} vs ${lo}`);
      assert.ok(Math.abs(rank(ci.hi) - rank(hi)) <= 6, `p${p} hi ${ci.hi} vs ${hi}`);
    }
  });
  // Its speed (well under a second for 100k deltas) is a target for `npm run bench:timing`, not a test.
  test('100k deltas: 2000 resamples', () => {
    const v = Float64Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 1000);
    const ci = bootstrapPercentileCI(v, 99)!;
    assert.equal(ci.resamples, 2000);
    assert.ok(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
  });
});

describe('request bodies', () => {
  test('prepareBody: model mapped, --stream on adds include_usage (merged), off removes streaming, as-recorded keeps it', async () => {
    const { prepareBody } = await import('../../src/commands/bench/engine.js');
    const rec = { model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { foo: 1 } };
    const on = prepareBody(rec, 'gpt-4.1', 'on');
    assert.equal(on.model, 'gpt-4.1');
    assert.deepEqual(on.stream_options, { foo: 1, include_usage: true });
    const off = prepareBody(rec, 'gpt-4', 'off');
    assert.equal('stream' in off, false);
    assert.equal('stream_options' in off, false);
    assert.equal(prepareBody({ model: 'm', messages: [] }, 'm', 'as-recorded').stream, undefined);
    assert.equal(prepareBody(rec, 'm', 'as-recorded').stream, true);
    assert.equal(rec.model, 'gpt-4', 'the recorded body is not mutated');
    assert.deepEqual(rec.stream_options, { foo: 1 });
  });
});
