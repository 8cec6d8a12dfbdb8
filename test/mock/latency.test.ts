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

// Machine-speed independent claims only: on a loaded machine lateness is noise, so these tests check that nothing is
// ever early (a bug on any machine). How close to the injected values the mock keeps on an idle machine — the role
// chunk at once, first content within 10 ms, zero latency immediate — is checked by `npm run bench:timing`.
test('ttft 200 / per-token 10: no content before 200 ms, chunk i never before 200 + i·10, role chunk first', async () => {
  const s = await start({ latency: { ttftMs: 200, perTokenMs: 10 } });
  await (await post(s, chatBody({ stream: true, max_tokens: 2 }))).text();
  const n = 20;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: n })), t0);
    assert.equal(chunks(ev)[0].choices[0].delta.role, 'assistant', 'the role chunk comes first');
    const content = ev.filter((e) => e.data !== '[DONE]' && JSON.parse(e.data).choices[0]?.delta?.content);
    assert.equal(content.length, n);
    // The mock schedules from when it received the request, which is after t0: so these bounds hold exactly.
    content.forEach((e, i) => assert.ok(e.t >= 200 + i * 10 - 1, `content chunk ${i} at ${e.t.toFixed(1)} ms, due at ${200 + i * 10}`));
  }
});

test('non-streaming waits for the whole generation time', async () => {
  const s = await start({ latency: { ttftMs: 50, perTokenMs: 5 } });
  await (await post(s, chatBody({ max_tokens: 1 }))).text();
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const r = await post(s, chatBody({ max_tokens: 11 }));
    const headersAt = performance.now() - t0;
    const body = (await r.json()) as any;
    assert.equal(body.usage.completion_tokens, 11);
    assert.ok(headersAt >= 98, `${headersAt.toFixed(1)} ms, expected ≥ 50 + 10·5`);
  }
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

test('jitter at the client: never before the ttft; zero latency sends the whole stream in one write', async () => {
  const s = await start({ latency: { ttftMs: 20, perTokenMs: 0, jitterMs: 40, seed: 9 } });
  await (await post(s, chatBody({ max_tokens: 1 }))).text();
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const ev = await readEvents(await post(s, chatBody({ stream: true, max_tokens: 6 })), t0);
    assert.equal(chunks(ev).filter((x) => x.choices[0]?.delta?.content).length, 6);
    assert.ok(ev[1]!.t >= 19, `first content at ${ev[1]!.t}`);
  }
  // Zero latency takes the no-timer path: the whole stream is one write, so it reaches the client as one read.
  const z = await start({});
  await (await post(z, chatBody({ max_tokens: 1 }))).text();
  const r = await post(z, chatBody({ stream: true, max_tokens: 50 }));
  const reads: number[] = [];
  const reader = r.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads.push(value.length);
  }
  assert.ok(reads.length >= 1 && reads.length <= 2, `zero-latency stream arrived in ${reads.length} reads`);
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
  while (stalled.served < 1) await new Promise((res) => setTimeout(res, 5));
  await stalled.close();
  // Had close() waited for the 60 s stall, the request would have been answered, not failed.
  assert.equal(await pending, 'failed', 'close() ended the stalled request');
});
