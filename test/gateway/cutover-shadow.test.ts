/** The shadow: pairs written for bench, off the client's path, maxInFlight and the daily cost cap (dropped and counted), a stalled/erroring/down shadow. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { tempDir } from '../helpers/tmp.js';
import { startMock } from '../../src/mock/server.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { Shadow, utcDay, type ShadowSend } from '../../src/gateway/cutover/shadow.js';
import { RotatingFile } from '../../src/gateway/cutover/recorder.js';
import { builtinPriceTable, costUSD, lookupPrice } from '../../src/core/prices.js';
import { Decimal } from '../../src/core/decimal.js';
import type { CallResult } from '../../src/core/chat.js';
import type { Served, ShadowConfig } from '../../src/gateway/contract.js';
import { servedAt } from './served-fixture.js';

const T0 = Date.UTC(2026, 10, 28, 23, 59, 0);
const served = (o: Partial<Served> = {}): Served => servedAt(T0, o);

function setup(cfg: Partial<ShadowConfig> = {}, o: { send?: ShadowSend; file?: RotatingFile; now?: () => number; random?: () => number } = {}) {
  const counts: Record<string, number> = {};
  const logs: string[] = [];
  const store = embeddedStore();
  const shadow = new Shadow({
    config: { provider: 'holysheep', percent: 100, maxInFlight: 8, ...cfg }, store, prices: builtinPriceTable(),
    metrics: { count: (n, l, by = 1) => void (counts[`${n}${l ? JSON.stringify(l) : ''}`] = (counts[`${n}${l ? JSON.stringify(l) : ''}`] ?? 0) + by), gauge: () => {} },
    log: (_l, e) => void logs.push(e), clock: () => performance.now(), now: o.now ?? (() => T0),
    ...(o.send ? { send: o.send } : {}), ...(o.file ? { file: o.file } : {}), ...(o.random ? { random: o.random } : {}),
  });
  return { shadow, counts, logs, store };
}
const okCall = (usage = { prompt_tokens: 1000, completion_tokens: 500 }): CallResult => ({ ok: true, status: 200, stream: false, itl: [], usageSeen: false, e2eMs: 5, usage, completion: { id: 'x', model: 'gpt-4.1', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage } as never });

test('each shadowed pair is written as an old/new pair of results lines (0600) from a real upstream, with the shadow provider’s own key', async () => {
  const key = ['hs', 'shadowkey', 'x'.repeat(16)].join('-');
  const mock = await startMock({ key, latency: { ttftMs: 5, perTokenMs: 1 } });
  const dir = tempDir('holy-shadow-');
  const file = await RotatingFile.open(join(dir, 'shadow.jsonl'), { maxBytes: 1e9, keep: 1 });
  const agent = new Agent();
  const counts: Record<string, number> = {};
  const shadow = new Shadow({
    config: { provider: 'holysheep', percent: 100, maxInFlight: 4 }, store: embeddedStore(), prices: builtinPriceTable(),
    metrics: { count: (n) => void (counts[n] = (counts[n] ?? 0) + 1), gauge: () => {} }, log: () => {}, clock: () => performance.now(), now: () => T0, file,
    upstreams: new Map([['holysheep', { baseURL: mock.url, key, dispatcher: agent, timeoutMs: 5000 }]]),
  });
  try {
    shadow.mirror(served());
    shadow.mirror(served({ request: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Stream it' }], stream: true } }));
    shadow.mirror(served({ arm: 'canary', provider: 'holysheep' }));
    shadow.mirror(served({ endpoint: 'embeddings' }));
    await shadow.idle();
    await file.close();
    assert.equal(statSync(join(dir, 'shadow.jsonl')).mode & 0o777, 0o600);
    const lines = readFileSync(join(dir, 'shadow.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4, 'two pairs: canary and embeddings requests are not shadowed');
    assert.deepEqual(lines.map((l) => l.role), ['old', 'new', 'old', 'new']);
    assert.equal(lines[0].id, lines[1].id);
    assert.deepEqual([lines[0].provider, lines[1].provider], ['official', 'holysheep']);
    assert.equal(lines[1].ok, true);
    assert.equal(typeof lines[1].response.body.choices[0].message.content, 'string');
    assert.ok(lines[1].timings.e2eMs > 0);
    // The two copies ran at once: find the streamed one.
    const streamed = lines.find((l) => l.role === 'new' && l.stream);
    assert.ok(streamed.timings.ttftMs > 0, 'the streamed copy has a TTFT');
    assert.equal(streamed.request.stream_options.include_usage, true);
    assert.ok(streamed.outputTokens > 0);
    for (let i = 0; i < 4; i += 2) assert.equal(lines[i].id, lines[i + 1].id, 'a pair’s two lines are written together');
    assert.ok(mock.requests.filter((r) => r.path.includes('chat')).every((r) => r.authorized), 'the shadow used its own key');
    assert.equal(shadow.counts.sent, 2);
  } finally {
    await shadow.close();
    await agent.close();
    await mock.close();
  }
});

test('mirror() returns before anything is sent: the copy starts on a later turn of the event loop', async () => {
  let called = 0;
  const { shadow } = setup({}, { send: async () => (called++, okCall()) });
  shadow.mirror(served());
  assert.equal(called, 0);
  assert.equal(shadow.inFlight(), 1);
  await shadow.idle();
  assert.equal(called, 1);
  assert.equal(shadow.inFlight(), 0);
});

test('maxInFlight: copies over it are dropped and counted, never queued', async () => {
  const release: Array<() => void> = [];
  let hold = true;
  const { shadow, counts } = setup({ maxInFlight: 2 }, { send: () => (hold ? new Promise((ok) => release.push(() => ok(okCall()))) : Promise.resolve(okCall())) });
  for (let i = 0; i < 10; i++) shadow.mirror(served());
  assert.equal(shadow.inFlight(), 2);
  assert.equal(counts['shadow_dropped{"reason":"in_flight"}'], 8);
  await new Promise((ok) => setImmediate(ok));
  await new Promise((ok) => setImmediate(ok));
  assert.equal(release.length, 2, 'two copies were sent');
  hold = false;
  release.forEach((r) => r());
  await shadow.idle();
  assert.equal(shadow.counts.sent, 2);
  shadow.mirror(served());
  await shadow.idle();
  assert.equal(shadow.counts.sent, 3, 'a slot freed is used again');
});

test('daily cost cap: priced exactly, the copies over it dropped and counted; the next UTC day starts again', async () => {
  let now = T0;
  const usage = { prompt_tokens: 1000, completion_tokens: 500 };
  const one = costUSD(lookupPrice(builtinPriceTable(), 'gpt-4.1')!, { input: 1000, cached: 0, output: 500 });
  assert.equal(one.toString(), '0.006');
  const { shadow, counts, store } = setup({ maxCostUSDPerDay: 0.015 }, { send: async () => okCall(usage), now: () => now });
  for (let i = 0; i < 5; i++) {
    shadow.mirror(served());
    await shadow.idle();
  }
  assert.equal(shadow.counts.sent, 3, '0.006 × 3 = 0.018 ≥ 0.015: the fourth is refused');
  assert.equal(counts['shadow_dropped{"reason":"cost_cap"}'], 2);
  const spent = new Decimal((await store.get(`cutover:shadow:cost:holysheep:${utcDay(now)}`))!).div('1e12');
  assert.equal(spent.toString(), one.times(3).toString(), 'exact: no float drift');
  now += 2 * 60_000; // 00:01 UTC the next day
  assert.notEqual(utcDay(now), utcDay(T0));
  shadow.mirror(served());
  await shadow.idle();
  assert.equal(shadow.counts.sent, 4);
});

test('with a cost cap, a model holy cannot price is not shadowed (dropped as unpriced)', async () => {
  const { shadow, counts } = setup({ maxCostUSDPerDay: 5 }, { send: async () => okCall() });
  shadow.mirror(served({ modelServed: 'mystery-model', request: { model: 'mystery-model', messages: [] } }));
  await shadow.idle();
  assert.equal(shadow.counts.sent, 0);
  assert.equal(counts['shadow_dropped{"reason":"unpriced"}'], 1);
});

test('percent samples the copies (seeded)', async () => {
  let x = 3;
  const random = () => ((x = (x * 48271) % 2147483647) / 2147483647);
  const { shadow } = setup({ percent: 10, maxInFlight: 10_000 }, { send: async () => okCall(), random });
  for (let i = 0; i < 1000; i++) shadow.mirror(served());
  await shadow.idle();
  assert.ok(shadow.counts.sent > 60 && shadow.counts.sent < 140, `${shadow.counts.sent} of 1000 at 10 %`);
});

test('a shadow that throws, errors, stalls or is down: nothing escapes mirror(), the pair is still written, close() ends the stall', async () => {
  const dir = tempDir('holy-shadow-');
  const file = await RotatingFile.open(join(dir, 's.jsonl'), { maxBytes: 1e9, keep: 1 });
  const { shadow, logs } = setup({}, { file, send: async () => { throw new Error('boom'); } });
  shadow.mirror(served());
  await shadow.idle();
  assert.ok(logs.includes('shadow_error'));
  // Down (nothing listens) and stalled (the mock holds the headers): through wire.ts.
  const stall = await startMock({ faults: [{ fault: { kind: 'stall', ms: 60_000, phase: 'headers' } }] });
  const err = await startMock({ faults: [{ fault: { kind: 'status', status: 500 } }] });
  const agent = new Agent();
  const file2 = await RotatingFile.open(join(dir, 's2.jsonl'), { maxBytes: 1e9, keep: 1 });
  const up = (url: string) => ({ baseURL: url, dispatcher: agent, timeoutMs: 120_000 });
  const mk = (name: string) =>
    new Shadow({
      config: { provider: name, percent: 100, maxInFlight: 4 }, store: embeddedStore(), prices: builtinPriceTable(), metrics: { count: () => {}, gauge: () => {} }, log: () => {},
      clock: () => performance.now(), now: () => T0, file: file2,
      upstreams: new Map([['down', up("http://127.0.0.1:9/v1")], ['stall', up(stall.url)], ['err', up(err.url)]]),
    });
  const down = mk('down');
  const erring = mk('err');
  const stalled = mk('stall');
  try {
    down.mirror(served());
    erring.mirror(served());
    stalled.mirror(served());
    await down.idle();
    await erring.idle();
    assert.equal(down.counts.failed, 1);
    assert.equal(erring.counts.failed, 1);
    assert.equal(stalled.inFlight(), 1, 'the stalled copy is still waiting');
    await stalled.close(50);
    assert.equal(stalled.inFlight(), 0, 'close() aborted it');
    assert.equal(stalled.counts.dropped.closing, 1, 'an aborted copy is dropped as closing, not written');
    await file2.idle();
    const lines = readFileSync(join(dir, 's2.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const news = lines.filter((l) => l.role === 'new');
    assert.deepEqual(news.map((l) => [l.provider, l.ok]).sort(), [['down', false], ['err', false]]);
    assert.equal(news.find((l) => l.provider === 'err').errorClass, 'http_500');
    assert.equal(news.find((l) => l.provider === 'down').errorClass, 'connect_error');
  } finally {
    await down.close();
    await erring.close();
    await agent.close();
    await stall.close();
    await err.close();
  }
});
