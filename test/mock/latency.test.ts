import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { parseFaultSpec } from '../../src/mock/faults.js';
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
  // Median of three runs: a loaded CI machine can delay one run's event loop; the mock's schedule is what is under test.
  const firsts: number[] = [];
  const lasts: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: n })), t0);
    const content = ev.filter((e) => e.data !== '[DONE]' && JSON.parse(e.data).choices[0]?.delta?.content);
    assert.equal(content.length, n);
    assert.ok(ev[0]!.t < 50, `role chunk at ${ev[0]!.t}`);
    firsts.push(content[0]!.t);
    lasts.push(content.at(-1)!.t);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[1]!;
  const first = median(firsts);
  const last = median(lasts);
  assert.ok(first >= 195 && first <= 210, `first content at ${firsts.map((x) => x.toFixed(1))} ms`);
  const expected = 200 + (n - 1) * 10;
  assert.ok(last >= expected - 5 && last <= expected + 15, `last content at ${lasts.map((x) => x.toFixed(1))} ms, expected ≈ ${expected}`);
});

test('non-streaming waits for the whole generation time', async () => {
  const s = await start({ latency: { ttftMs: 50, perTokenMs: 5 } });
  await (await post(s, chatBody({ max_tokens: 1 }))).text();
  const t0 = performance.now();
  await (await post(s, chatBody({ max_tokens: 11 }))).json();
  const e = performance.now() - t0;
  assert.ok(e >= 98 && e <= 130, `${e.toFixed(1)} ms, expected ≈ 100`);
});

test('jitter adds a seeded delay: same seed, same schedule shape; zero latency is immediate', async () => {
  const s = await start({ latency: { ttftMs: 20, perTokenMs: 0, jitterMs: 40, seed: 9 } });
  const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: 6 })), performance.now());
  const c = chunks(ev).filter((x) => x.choices[0]?.delta?.content);
  assert.equal(c.length, 6);
  const times = ev.slice(1, 7).map((e) => e.t);
  assert.ok(times[0]! >= 19, `first at ${times[0]}`);
  assert.ok(times.at(-1)! <= 20 + 40 + 25, `last at ${times.at(-1)}`);
  const z = await start({});
  await (await fetch(z.url + '/models')).text();
  const t0 = performance.now();
  await (await post(z, chatBody({ stream: true, max_tokens: 50 }))).text();
  assert.ok(performance.now() - t0 < 50);
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
