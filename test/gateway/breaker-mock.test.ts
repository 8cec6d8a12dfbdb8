/** Breaker, fallback rules and metrics together against real upstreams (two holy mocks over HTTP). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { sendChat } from '../../src/adapters/provider/index.js';
import { createBreakers } from '../../src/gateway/breaker.js';
import { breakerVerdict, fallbackDecision, outcomeOf } from '../../src/gateway/fallback.js';
import { createMetrics } from '../../src/gateway/metrics.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import type { Breakers } from '../../src/gateway/contract.js';

/** What the server's route loop does, in miniature: breaker first, one attempt, fallback only when the rules allow. */
async function route(o: { breakers: Breakers; upstreams: Record<string, MockServer>; primary: string; fallback: string; dispatcher: Agent; stream?: boolean }) {
  const send = (p: string) =>
    sendChat({ dispatcher: o.dispatcher, baseURL: o.upstreams[p]!.url, body: { model: 'gpt-4o-mini', stream: o.stream ?? false, messages: [{ role: 'user', content: 'hi' }] }, timeoutMs: 5_000, clock: () => performance.now(), now: Date.now });
  const tell = async (p: string, r: { ok: boolean; status: number; errorClass?: Parameters<typeof breakerVerdict>[0] }) => {
    const v = breakerVerdict(r.ok ? undefined : r.errorClass);
    if (v === 'success') await o.breakers.success(p);
    else if (v === 'failure') await o.breakers.failure(p);
  };
  if (await o.breakers.allow(o.primary)) {
    const r = await send(o.primary);
    await tell(o.primary, r);
    // nothing has been written to the client yet: this loop answers only once it has a result
    if (!fallbackDecision(outcomeOf(r, false)).fallback) return { served: o.primary, ok: r.ok, status: r.status, fallback: false };
  }
  const r = await send(o.fallback);
  await tell(o.fallback, r);
  return { served: o.fallback, ok: r.ok, status: r.status, fallback: true };
}

test('a relay answering 503: requests fall back, the breaker opens and stops calling it, one probe after the cool-down closes it', async () => {
  const primary = await startMock({ label: 'relay', faults: [{ fault: { kind: 'status', status: 503 }, first: 3 }] });
  const fallback = await startMock({ label: 'official' });
  const dispatcher = new Agent();
  let t = 0;
  const now = () => t;
  const metrics = createMetrics({ defaultMetrics: false });
  const breakers = createBreakers(embeddedStore(now), { failures: 3, coolDownMs: 30_000, now, onChange: metrics.breakerChanged });
  const o = { breakers, upstreams: { relay: primary, official: fallback }, primary: 'relay', fallback: 'official', dispatcher };
  try {
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await route(o));
    assert.deepEqual(first.map((r) => `${r.served} ${r.status}`), Array(5).fill('official 200'), 'every client got an answer from the fallback');
    assert.equal(primary.served, 3, 'after 3 failures the relay is not called any more');
    assert.equal(await breakers.state('relay'), 'open');

    t += 30_000;
    const probing = await Promise.all(Array.from({ length: 4 }, () => route(o)));
    assert.equal(primary.served, 4, 'exactly one probe reached the relay');
    assert.equal(probing.filter((r) => r.served === 'relay').length, 1);
    assert.ok(probing.every((r) => r.ok));
    assert.equal(await breakers.state('relay'), 'closed', 'the probe succeeded (the relay recovered)');
    const after = await route(o);
    assert.equal(after.served, 'relay');
    assert.equal(primary.served, 5);

    const text = await metrics.text();
    assert.match(text, /holy_gateway_breaker_transitions_total\{provider="relay",from="closed",to="open"\} 1/);
    assert.match(text, /holy_gateway_breaker_transitions_total\{provider="relay",from="half-open",to="closed"\} 1/);
    assert.match(text, /holy_gateway_breaker_state\{provider="relay"\} 0/);
  } finally {
    await dispatcher.close();
    await Promise.all([primary.close(), fallback.close()]);
  }
});

test('a 400 from the relay goes back to the client as it is: no fallback, and the breaker counts it as alive', async () => {
  const primary = await startMock({ label: 'relay', faults: [{ fault: { kind: 'status', status: 400, code: 'invalid_request_error' } }] });
  const fallback = await startMock({ label: 'official' });
  const dispatcher = new Agent();
  let t = 0;
  const now = () => t;
  const breakers = createBreakers(embeddedStore(now), { failures: 1, coolDownMs: 1_000, now });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await route({ breakers, upstreams: { relay: primary, official: fallback }, primary: 'relay', fallback: 'official', dispatcher });
      assert.deepEqual(r, { served: 'relay', ok: false, status: 400, fallback: false });
    }
    assert.equal(fallback.served, 0);
    assert.equal(await breakers.state('relay'), 'closed');
  } finally {
    await dispatcher.close();
    await Promise.all([primary.close(), fallback.close()]);
  }
});

test('a stream that breaks after its 2xx headers is not retried, but counts against the breaker', async () => {
  const primary = await startMock({ label: 'relay', faults: [{ fault: { kind: 'in-stream-error' } }] });
  const fallback = await startMock({ label: 'official' });
  const dispatcher = new Agent();
  let t = 0;
  const now = () => t;
  const breakers = createBreakers(embeddedStore(now), { failures: 2, coolDownMs: 1_000, now });
  const o = { breakers, upstreams: { relay: primary, official: fallback }, primary: 'relay', fallback: 'official', dispatcher, stream: true };
  try {
    const r = await route(o);
    assert.equal(r.served, 'relay');
    assert.equal(r.ok, false);
    assert.equal(r.status, 200);
    assert.equal(fallback.served, 0);
    await route(o);
    assert.equal(await breakers.state('relay'), 'open', 'two broken streams in a row open it');
    const third = await route(o);
    assert.equal(third.served, 'official');
    assert.equal(third.ok, true);
  } finally {
    await dispatcher.close();
    await Promise.all([primary.close(), fallback.close()]);
  }
});
