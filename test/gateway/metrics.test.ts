import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { register as globalRegistry } from 'prom-client';
import { createMetrics, DURATION_BUCKETS } from '../../src/gateway/metrics.js';
import { createBreakers } from '../../src/gateway/breaker.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import type { Scheduler } from '../../src/gateway/contract.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every line is a HELP, a TYPE or a
 * sample; every sample belongs to a family with a TYPE declared before it; label values are quoted
 * with \\, \" and \n escapes; values are Go floats (NaN, +Inf, -Inf too, in any case). Throws on anything else.
 */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'the exposition ends with a newline');
  for (const [i, line] of lines.slice(0, -1).entries()) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      help.set(m[1]!, m[2]!);
      continue;
    }
    if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      assert.ok(!types.has(m[1]!), `line ${i + 1}: TYPE ${m[1]} declared twice`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    assert.ok(m, `line ${i + 1} is not a sample: ${JSON.stringify(line)}`);
    const [, name, rawLabels, rawValue] = m;
    const labels: Record<string, string> = {};
    if (rawLabels) {
      const re = new RegExp(`(${NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`, 'y');
      let pos = 0;
      while (pos < rawLabels.length) {
        re.lastIndex = pos;
        const lm = re.exec(rawLabels);
        assert.ok(lm, `line ${i + 1}: bad labels at ${JSON.stringify(rawLabels.slice(pos))}`);
        labels[lm[1]!] = lm[2]!.replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
      }
    }
    // Go's strconv.ParseFloat (Prometheus's reader) takes inf/nan in any case; prom-client writes NaN as "Nan".
    const special = /^([+-]?)(inf|infinity)$/i.exec(rawValue!);
    const value = special ? (special[1] === '-' ? -Infinity : Infinity) : /^nan$/i.test(rawValue!) ? NaN : Number(rawValue);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(rawValue!), `line ${i + 1}: bad value ${rawValue}`);
    const family = [...types.keys()].find((f) => name === f || ((types.get(f) === 'histogram' || types.get(f) === 'summary') && /^(_bucket|_sum|_count)$/.test(name!.slice(f.length)) && name!.startsWith(f)));
    assert.ok(family, `line ${i + 1}: sample ${name} has no TYPE before it`);
    samples.push({ name: name!, labels, value });
  }
  return { types, help, samples };
}

/** The one sample with this name and these labels (a subset match), or undefined. */
function sample(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(hits.length <= 1, `${name} ${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}

test('the exposition parses and carries every gateway metric with its type', async () => {
  const m = createMetrics({ tenants: ['acme', 'globex'] });
  assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  const e = parseExposition(await m.text());
  const want: Record<string, string> = {
    holy_gateway_requests_total: 'counter',
    holy_gateway_request_duration_seconds: 'histogram',
    holy_gateway_ttft_seconds: 'histogram',
    holy_gateway_tokens_total: 'counter',
    holy_gateway_fallbacks_total: 'counter',
    holy_gateway_breaker_state: 'gauge',
    holy_gateway_breaker_transitions_total: 'counter',
    holy_gateway_queue_depth: 'gauge',
    holy_gateway_in_flight: 'gauge',
    holy_gateway_ledger_rows_total: 'counter',
    holy_gateway_ledger_lost_rows_total: 'counter',
    holy_gateway_shadow_dropped_total: 'counter',
    holy_gateway_store_down_total: 'counter',
    holy_gateway_store_up: 'gauge',
    // prom-client's defaults, on the private registry
    process_cpu_user_seconds_total: 'counter',
    process_resident_memory_bytes: 'gauge',
    nodejs_eventloop_lag_seconds: 'gauge',
    nodejs_eventloop_lag_p99_seconds: 'gauge',
  };
  for (const [name, type] of Object.entries(want)) assert.equal(e.types.get(name), type, name);
  for (const name of Object.keys(want)) assert.ok(e.help.get(name), `${name} has a HELP line`);
});

test('requests, durations, TTFT, tokens and fallbacks show up with the right labels and values', async () => {
  const m = createMetrics({ tenants: ['acme', 'globex'] });
  m.request({ tenant: 'acme', provider: 'holysheep', status: 200, seconds: 0.8, ttftSeconds: 0.12, fallback: false });
  m.request({ tenant: 'acme', provider: 'holysheep', status: 200, seconds: 1.5, ttftSeconds: 0.3, fallback: false });
  m.request({ tenant: 'globex', provider: 'official', status: 200, seconds: 2.5, fallback: true, fallbackFrom: 'holysheep' });
  m.request({ tenant: 'globex', provider: 'holysheep', status: 429, code: 'rate_limit_exceeded', seconds: 0.001, fallback: false });
  m.request({ tenant: 'mallory', provider: 'holysheep', status: 401, code: 'invalid_api_key', seconds: 0.0005, fallback: false });
  m.tokens({ tenant: 'acme', provider: 'holysheep', input: 1200, output: 300 });
  m.tokens({ tenant: 'acme', provider: 'holysheep', input: 10, output: 5 });
  m.tokens({ tenant: 'globex', provider: 'official', input: 7, output: 0 });
  const e = parseExposition(await m.text());

  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'acme', provider: 'holysheep', status: '200', code: 'none' }), 2);
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'globex', provider: 'official', status: '200' }), 1);
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'globex', status: '429', code: 'rate_limit_exceeded' }), 1);
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'unknown', status: '401', code: 'invalid_api_key' }), 1, 'a tenant not configured is "unknown"');
  assert.ok(!e.samples.some((s) => s.labels.tenant === 'mallory'));

  assert.equal(sample(e, 'holy_gateway_request_duration_seconds_count', { provider: 'holysheep' }), 4);
  assert.equal(sample(e, 'holy_gateway_request_duration_seconds_bucket', { provider: 'holysheep', le: '1' }), 3);
  assert.equal(sample(e, 'holy_gateway_request_duration_seconds_bucket', { provider: 'holysheep', le: '2' }), 4);
  assert.equal(sample(e, 'holy_gateway_request_duration_seconds_sum', { provider: 'official' }), 2.5);
  const les = e.samples.filter((s) => s.name === 'holy_gateway_request_duration_seconds_bucket' && s.labels.provider === 'official').map((s) => s.labels.le);
  assert.deepEqual(les, [...DURATION_BUCKETS.map(String), '+Inf']);
  assert.equal(les[0], '0.05');
  assert.equal(les.at(-2), '120');

  assert.equal(sample(e, 'holy_gateway_ttft_seconds_count', { provider: 'holysheep' }), 2);
  assert.equal(sample(e, 'holy_gateway_ttft_seconds_bucket', { provider: 'holysheep', le: '0.15' }), 1);
  assert.equal(sample(e, 'holy_gateway_ttft_seconds_count', { provider: 'official' }), undefined, 'no TTFT given, none observed');

  assert.equal(sample(e, 'holy_gateway_tokens_total', { tenant: 'acme', provider: 'holysheep', kind: 'input' }), 1210);
  assert.equal(sample(e, 'holy_gateway_tokens_total', { tenant: 'acme', provider: 'holysheep', kind: 'output' }), 305);
  assert.equal(sample(e, 'holy_gateway_tokens_total', { tenant: 'globex', kind: 'input' }), 7);

  assert.equal(sample(e, 'holy_gateway_fallbacks_total', { from: 'holysheep', to: 'official' }), 1);
});

test('count() and gauge() map the short names, keep only declared labels, and never throw', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.count('ledger_rows', undefined, 40);
  m.count('ledger_lost_rows');
  m.count('ledger_lost_rows', {}, 2);
  m.count('shadow_dropped', { reason: 'budget' });
  m.count('shadow_dropped', { reason: 'budget' });
  m.count('shadow_dropped', { reason: 'max_in_flight', extra: 'ignored' });
  m.count('store_down');
  m.count('holy_gateway_store_down_total'); // the exported name works too
  m.count('fallbacks', { from: 'holysheep', to: 'official' });
  m.count('store_fallback', { op: 'limiter' });
  m.gauge('store_up', 0);
  m.gauge('queue_depth', 12, { provider: 'holysheep' });
  m.gauge('queued', 13, { provider: 'official' }); // an alias
  m.gauge('in_flight', 64, { provider: 'holysheep' });
  m.gauge('breaker_state', 2, { provider: 'holysheep' });
  m.gauge('store_replicas', 3);
  m.count('Bad Name!', { a: 'b' }); // malformed: counted as misuse, never thrown
  m.gauge('queue depth', 1);
  m.count('ledger_rows', undefined, -5); // counters never go down; ignored
  const e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_ledger_rows_total'), 40);
  assert.equal(sample(e, 'holy_gateway_ledger_lost_rows_total'), 3);
  assert.equal(sample(e, 'holy_gateway_shadow_dropped_total', { reason: 'budget' }), 2);
  assert.equal(sample(e, 'holy_gateway_shadow_dropped_total', { reason: 'max_in_flight' }), 1);
  assert.equal(sample(e, 'holy_gateway_store_down_total'), 2);
  assert.equal(sample(e, 'holy_gateway_fallbacks_total', { from: 'holysheep', to: 'official' }), 1);
  assert.equal(sample(e, 'holy_gateway_store_fallback_total', { op: 'limiter' }), 1);
  assert.equal(sample(e, 'holy_gateway_store_up'), 0);
  assert.equal(sample(e, 'holy_gateway_queue_depth', { provider: 'holysheep' }), 12);
  assert.equal(sample(e, 'holy_gateway_queue_depth', { provider: 'official' }), 13);
  assert.equal(sample(e, 'holy_gateway_in_flight', { provider: 'holysheep' }), 64);
  assert.equal(sample(e, 'holy_gateway_breaker_state', { provider: 'holysheep' }), 2);
  assert.equal(sample(e, 'holy_gateway_store_replicas'), 3);
  assert.equal(sample(e, 'holy_gateway_metric_misuse_total', { name: 'other' }), 2);
  assert.ok(!e.types.has('process_cpu_user_seconds_total'), 'defaultMetrics: false leaves them out');
});

test('gauge() on a counter reports its running total: only what is new is added, never less', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.count('ledger_lost_rows', {}, 3); // the ledger's onLoss reports 3 rows
  m.gauge('ledger_lost_rows_total', 3); // the /metrics handler reports ledger.lost() = 3: nothing new
  let e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_ledger_lost_rows_total'), 3);
  m.gauge('ledger_lost_rows_total', 5);
  m.gauge('ledger_written_rows', 100);
  m.gauge('ledger_written_rows', 90); // lower: ignored (a counter never goes down)
  e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_ledger_lost_rows_total'), 5);
  assert.equal(sample(e, 'holy_gateway_ledger_rows_total'), 100);
});

test('a well-formed name not in the table is registered on first use, with that call’s labels', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.count('widget_errors', { kind: 'bent', 'Bad Label': 'x' });
  m.count('widget_errors', { kind: 'bent' });
  m.count('widget_errors', { other: 'y' }); // an undeclared label: dropped, the declared one is "none"
  m.gauge('widget_level', 7, { side: 'left' });
  const e = parseExposition(await m.text());
  assert.equal(e.types.get('holy_gateway_widget_errors_total'), 'counter');
  assert.equal(sample(e, 'holy_gateway_widget_errors_total', { kind: 'bent' }), 2);
  assert.equal(sample(e, 'holy_gateway_widget_errors_total', { kind: 'none' }), 1);
  assert.equal(e.types.get('holy_gateway_widget_level'), 'gauge');
  assert.equal(sample(e, 'holy_gateway_widget_level', { side: 'left' }), 7);
});

test('no key, prompt or upstream message becomes a label; odd values become "other"', async () => {
  const m = createMetrics({ tenants: ['acme'], defaultMetrics: false });
  const key = ['sk', 'proj', 'A1b2C3d4E5f6G7h8J9k0'].join('-');
  m.request({ tenant: key, provider: 'holysheep', status: 500, code: 'upstream said: "Bearer ' + key + '"\n', seconds: 1, fallback: false });
  m.count('shadow_dropped', { reason: 'tell me a story about the sea' });
  const text = await m.text();
  assert.ok(!text.includes(key.slice(8)), 'the key is nowhere in /metrics');
  const e = parseExposition(text);
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'unknown', status: '500', code: 'other' }), 1);
  assert.equal(sample(e, 'holy_gateway_shadow_dropped_total', { reason: 'other' }), 1);
});

test('bad figures are dropped, never thrown: NaN seconds, negative TTFT, an empty tenant', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.request({ tenant: '', provider: 'p', status: 500, seconds: Number.NaN, ttftSeconds: -1, fallback: false });
  m.tokens({ tenant: '', provider: 'p', input: Number.NaN, output: Infinity });
  const e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'unknown', status: '500' }), 1);
  assert.equal(sample(e, 'holy_gateway_request_duration_seconds_count', { provider: 'p' }), undefined);
  assert.equal(sample(e, 'holy_gateway_tokens_total', { tenant: 'unknown', kind: 'input' }) ?? 0, 0);
});

test('without a tenant list, tenant labels are capped at 1,000 distinct values', async () => {
  const m = createMetrics({ defaultMetrics: false });
  for (let i = 0; i < 1_005; i++) m.request({ tenant: `t${i}`, provider: 'p', status: 200, seconds: 0.1, fallback: false });
  const e = parseExposition(await m.text());
  const tenants = new Set(e.samples.filter((s) => s.name === 'holy_gateway_requests_total').map((s) => s.labels.tenant));
  assert.equal(tenants.size, 1_001);
  assert.equal(sample(e, 'holy_gateway_requests_total', { tenant: 'unknown' }), 5);
  // a SIGHUP reload names the tenants: from then on, only those
  m.setTenants?.(['t1']);
  m.request({ tenant: 't2', provider: 'p', status: 200, seconds: 0.1, fallback: false });
  assert.equal(sample(parseExposition(await m.text()), 'holy_gateway_requests_total', { tenant: 'unknown' }), 6);
});

test('watch(): breaker state (from the shared store), queue depth, in-flight and store_up read at scrape time; breakerChanged counts transitions', async () => {
  let t = 0;
  const now = () => t;
  const store = embeddedStore(now);
  const m = createMetrics({ defaultMetrics: false });
  const breakers = createBreakers(store, { failures: 1, coolDownMs: 1_000, now, onChange: (p, from, to) => m.breakerChanged?.(p, from, to) });
  const queued: Record<string, number> = { holysheep: 3, official: 0 };
  const scheduler: Scheduler = { acquire: async () => () => {}, queued: (p) => queued[p] ?? 0, inFlight: (p) => (p === 'holysheep' ? 64 : 2) };
  m.watch?.({ providers: () => ['holysheep', 'official'], breakers, scheduler, store });

  let e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_breaker_state', { provider: 'holysheep' }), 0);
  assert.equal(sample(e, 'holy_gateway_queue_depth', { provider: 'holysheep' }), 3);
  assert.equal(sample(e, 'holy_gateway_in_flight', { provider: 'official' }), 2);
  assert.equal(sample(e, 'holy_gateway_store_up'), 1);

  await breakers.failure('holysheep');
  queued.holysheep = 9;
  e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_breaker_state', { provider: 'holysheep' }), 2);
  assert.equal(sample(e, 'holy_gateway_queue_depth', { provider: 'holysheep' }), 9);
  // another replica's trip is seen too: a second Breakers on the same store, no onChange here
  await createBreakers(store, { failures: 1, coolDownMs: 1_000, now }).failure('official');
  t = 1_000;
  e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_breaker_state', { provider: 'official' }), 1, 'half-open after the cool-down');
  assert.equal(await breakers.allow('holysheep'), true);
  await breakers.success('holysheep');
  e = parseExposition(await m.text());
  assert.equal(sample(e, 'holy_gateway_breaker_state', { provider: 'holysheep' }), 0);
  assert.equal(sample(e, 'holy_gateway_breaker_transitions_total', { provider: 'holysheep', from: 'closed', to: 'open' }), 1);
  assert.equal(sample(e, 'holy_gateway_breaker_transitions_total', { provider: 'holysheep', from: 'open', to: 'half-open' }), 1);
  assert.equal(sample(e, 'holy_gateway_breaker_transitions_total', { provider: 'holysheep', from: 'half-open', to: 'closed' }), 1);
});

test('each createMetrics has its own registry; the global one stays empty', async () => {
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.count('store_down');
  assert.equal(sample(parseExposition(await a.text()), 'holy_gateway_store_down_total'), 1);
  assert.equal(sample(parseExposition(await b.text()), 'holy_gateway_store_down_total'), 0);
  assert.ok(!(await globalRegistry.metrics()).includes('holy_gateway_'));
});

test('cost of one request() + tokens() on the hot path (diagnostic, no time limit asserted)', async (t) => {
  const m = createMetrics({ tenants: ['acme', 'globex', 'initech'], defaultMetrics: false });
  const tenants = ['acme', 'globex', 'initech'];
  const n = 200_000;
  const call = (i: number) => {
    const tenant = tenants[i % 3]!;
    m.request({ tenant, provider: i % 5 ? 'holysheep' : 'official', status: i % 50 ? 200 : 429, code: i % 50 ? undefined : 'rate_limit_exceeded', seconds: (i % 1000) / 100, ttftSeconds: (i % 300) / 1000, fallback: i % 97 === 0, fallbackFrom: 'holysheep' });
    m.tokens({ tenant, provider: 'holysheep', input: 100, output: 20 });
  };
  for (let i = 0; i < 10_000; i++) call(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) call(i);
  const perCallUs = ((performance.now() - t0) * 1000) / n;
  t.diagnostic(`metrics: ${perCallUs.toFixed(2)} µs per request() + tokens() (${n} calls)`);
  const e = parseExposition(await m.text());
  const total = e.samples.filter((s) => s.name === 'holy_gateway_requests_total').reduce((a, s) => a + s.value, 0);
  assert.equal(total, n + 10_000);
});
