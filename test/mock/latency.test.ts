import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { parseFaultSpec } from '../../src/mock/faults.js';
import { at, schedule } from '../../src/mock/respond.js';
import { rng } from '../../src/mock/rng.js';
import { chatBody, chunks, post, readEvents } from './helpers.js';

const servers: MockServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const start = async (o: Parameters<typeof startMock>[0]) => {
  const s = await startMock(o);
  servers.push(s);
  return s;
};

test('ttft 200 / per-token 10: first content at 200±10 ms, last at ≈ 200 + (n−1)·10, role chunk at once', async () => {
  const s = await start({ latency: { ttftMs: 200, perTokenMs: 10 } });
  // Warm the connection and both sides' code paths, so the measurement is the mock's timers, not first-call JIT or the TCP handshake.
  await (await post(s, chatBody({ stream: true, max_tokens: 2 }))).text();
  const n = 20;
  // Lateness is noise on a loaded machine (the suite shares two cores); earliness would be a bug. So every run must
  // respect the lower bounds, and the best of five runs must meet the upper ones.
  const runs: { role: number; first: number; last: number }[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: n })), t0);
    const content = ev.filter((e) => e.data !== '[DONE]' && JSON.parse(e.data).choices[0]?.delta?.content);
    assert.equal(content.length, n);
    runs.push({ role: ev[0]!.t, first: content[0]!.t, last: content.at(-1)!.t });
  }
  const expected = 200 + (n - 1) * 10;
  const show = JSON.stringify(runs.map((r) => [r.role, r.first, r.last].map((x) => Math.round(x))));
  for (const r of runs) {
    assert.ok(r.first >= 195, `first content too early: ${show}`);
    assert.ok(r.last >= expected - 5, `last content too early: ${show}`);
  }
  assert.ok(Math.min(...runs.map((r) => r.role)) < 50, `role chunk not sent at once: ${show}`);
  assert.ok(Math.min(...runs.map((r) => r.first)) <= 210, `first content at 200±10 ms: ${show}`);
  assert.ok(Math.min(...runs.map((r) => r.last)) <= expected + 15, `last content at ≈ ${expected} ms: ${show}`);
});

test('non-streaming waits for the whole generation time', async () => {
  const s = await start({ latency: { ttftMs: 50, perTokenMs: 5 } });
  await (await post(s, chatBody({ max_tokens: 1 }))).text();
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await (await post(s, chatBody({ max_tokens: 11 }))).json();
    times.push(performance.now() - t0);
  }
  assert.ok(Math.min(...times) >= 98 && Math.min(...times) <= 130, `${times.map((e) => e.toFixed(1))} ms, expected ≈ 100`);
});

test('the schedule: seeded jitter within [0, J] per chunk, reproducible, in order', () => {
  const tm = (seed: number) => ({ t0: 1000, ttftMs: 20, perTokenMs: 5, jitterMs: 40, random: rng(seed) });
  const a = schedule(30, tm(9));
  assert.deepEqual(a, schedule(30, tm(9)));
  assert.notDeepEqual(a, schedule(30, tm(10)));
  for (let i = 0; i < 30; i++) {
    assert.ok(a[i]! >= 1000 + 20 + i * 5 && a[i]! <= 1000 + 20 + i * 5 + 40, `chunk ${i} at ${a[i]}`);
    if (i) assert.ok(a[i]! >= a[i - 1]!);
  }
  const plain = schedule(4, { t0: 0, ttftMs: 200, perTokenMs: 10, jitterMs: 0, random: Math.random });
  assert.deepEqual([...plain], [200, 210, 220, 230]);
});

test('at() never runs a piece before its time, even when a timer fires early by the clock', async () => {
  // A clock running at half speed makes every timer fire early by its measure, as a lagging loop time does.
  const clock = () => performance.now() / 2;
  const tl = { clock, timers: new Set<NodeJS.Timeout>() };
  const when = clock() + 10;
  const ranAt = await new Promise<number>((done) => at(tl, { destroyed: false } as never, when, () => done(clock())));
  assert.ok(ranAt >= when, `ran ${(when - ranAt).toFixed(2)} ms early`);
  assert.equal(tl.timers.size, 0);
});

test('jitter at the client: never early, bounded; zero latency is immediate', async () => {
  const s = await start({ latency: { ttftMs: 20, perTokenMs: 0, jitterMs: 40, seed: 9 } });
  await (await post(s, chatBody({ max_tokens: 1 }))).text();
  const lasts: number[] = [];
  for (let k = 0; k < 3; k++) {
    const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: 6 })), performance.now());
    assert.equal(chunks(ev).filter((x) => x.choices[0]?.delta?.content).length, 6);
    assert.ok(ev[1]!.t >= 19, `first content at ${ev[1]!.t}`);
    lasts.push(ev[6]!.t);
  }
  assert.ok(Math.min(...lasts) <= 20 + 40 + 25, `last content at ${lasts}`);
  const z = await start({});
  await (await post(z, chatBody({ max_tokens: 1 }))).text();
  const zs: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await (await post(z, chatBody({ stream: true, max_tokens: 50 }))).text();
    zs.push(performance.now() - t0);
  }
  assert.ok(Math.min(...zs) < 50, `zero-latency stream took ${zs} ms`);
});

test('a client that hangs up mid-stream does not disturb the mock; close() ends stalled requests at once', async () => {
  const s = await startMock({ latency: { ttftMs: 10, perTokenMs: 20 } });
  const r = await post(s, chatBody({ stream: true, max_tokens: 50 }));
  const reader = r.body!.getReader();
  await reader.read();
  await reader.cancel();
  const ok = await post(s, chatBody({ max_tokens: 2 }));
  assert.equal(((await ok.json()) as any).usage.completion_tokens, 2);
  await s.close();

  const stalled = await startMock({ faults: [parseFaultSpec('stall=60000')] });
  const pending = post(stalled, chatBody()).then(
    () => 'answered',
    () => 'failed',
  );
  await new Promise((res) => setTimeout(res, 50));
  const t = performance.now();
  await stalled.close();
  assert.equal(await pending, 'failed');
  assert.ok(performance.now() - t < 1000, 'close() did not wait for the stall');
});
