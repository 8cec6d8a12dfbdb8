import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { timedDispatcher } from '../../src/adapters/wire-times.js';
import { carriesOutput } from '../../src/core/chat.js';
import { DeltaAccumulator } from '../../src/core/bench/sse.js';
import { startMock } from '../../src/mock/server.js';
import { makeHttp } from '../../src/adapters/http.js';
import { chatProbe, makeClient } from '../../src/adapters/provider/sdk.js';
import { Untrusted } from '../../src/core/untrusted.js';
import { fakeCtx } from '../helpers/ctx.js';

test('one TTFT rule: content, reasoning text or a tool-call delta count; a role-only or empty delta does not', () => {
  for (const d of [{ content: 'a' }, { reasoning_content: 'r' }, { reasoning: 'r' }, { tool_calls: [{ index: 0 }] }]) assert.equal(carriesOutput(d), true, JSON.stringify(d));
  for (const d of [undefined, {}, { role: 'assistant' }, { content: '' }, { tool_calls: [] }, { content: null }]) assert.equal(carriesOutput(d as never), false, JSON.stringify(d));
  // bench's stream accumulator answers the same.
  for (const d of [{ content: 'a' }, { role: 'assistant', content: '' }, { tool_calls: [] }, { reasoning: 'x' }]) assert.equal(new DeltaAccumulator().add({ delta: d }), carriesOutput(d));
});

test('timedDispatcher stamps dispatch and byte arrival on the given clock, no earlier than the server wrote them', async () => {
  let wroteAt = NaN;
  const srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    setTimeout(() => {
      wroteAt = performance.now();
      res.end('body');
    }, 30);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const agent = new Agent();
  try {
    const times = { sentAt: NaN, lastByteAt: NaN };
    const before = performance.now();
    const r = await request(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, { dispatcher: timedDispatcher(agent, () => performance.now(), times) });
    assert.equal(await r.body.text(), 'body');
    assert.ok(times.sentAt >= before, 'dispatch stamped at send');
    assert.ok(times.lastByteAt >= wroteAt, `bytes stamped ${times.lastByteAt} before the server wrote them at ${wroteAt}`);
  } finally {
    await agent.close();
    srv.close();
  }
});

test('verify TTFT is measured from dispatch, so the SDK\'s set-up before sending is not in it', async () => {
  const m = await startMock({ latency: { ttftMs: 50, perTokenMs: 1 } });
  const ctx = fakeCtx();
  const http = makeHttp(ctx, {});
  try {
    const wire = { sentAt: NaN, lastByteAt: NaN };
    const client = await makeClient(http, { baseURL: m.url, apiKey: 'k', timeoutMs: 10_000, headers: {}, wire: { clock: ctx.clock, times: wire } });
    const t0 = ctx.clock();
    const r = await chatProbe(ctx, client, 'gpt-4o-mini', 10_000, new Untrusted([]), wire);
    assert.ok(r.ok);
    const ttft = r.value.ttftMs!;
    assert.ok(ttft >= 49, `TTFT ${ttft} below the injected 50 ms`);
    assert.ok(wire.sentAt >= t0 && ttft <= r.ms, 'no SDK time before the dispatch counts');
  } finally {
    await http.close();
    await m.close();
  }
});
