import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { request } from 'undici';
import { breakerVerdict, fallbackDecision, mayFallback, outcomeOf, statusClass, transportClass, type AttemptOutcome } from '../../src/gateway/fallback.js';

const before = (cls: AttemptOutcome['cls']): AttemptOutcome => ({ cls, beforeHeaders: true, clientBytes: false });

/** A free port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The error undici throws for a real request to 127.0.0.1:port. */
async function thrown(port: number): Promise<unknown> {
  try {
    await request(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body: '{}' });
  } catch (err) {
    return err;
  }
  throw new Error('the request did not fail');
}

test('connect refused before headers (a real ECONNREFUSED): fall back, breaker failure', async () => {
  const cls = transportClass(await thrown(await closedPort()));
  assert.equal(cls, 'connect_error');
  assert.deepEqual(fallbackDecision(before(cls)), { fallback: true, reason: 'unavailable' });
  assert.equal(breakerVerdict(cls), 'failure');
});

test('connection reset before headers (a real ECONNRESET): fall back, breaker failure', async () => {
  const server: Server = createServer((sock) => sock.resetAndDestroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const cls = transportClass(await thrown((server.address() as { port: number }).port));
    assert.equal(cls, 'reset');
    assert.equal(mayFallback(before(cls)), true);
    assert.equal(breakerVerdict(cls), 'failure');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('timeout before headers (our own timer): fall back, breaker failure', () => {
  const cls = transportClass(new DOMException('aborted', 'AbortError'), true);
  assert.equal(cls, 'timeout');
  assert.deepEqual(fallbackDecision(before(cls)), { fallback: true, reason: 'unavailable' });
  assert.equal(breakerVerdict(cls), 'failure');
});

test('HTTP 5xx: fall back, breaker failure', () => {
  for (const status of [500, 502, 503, 504, 529]) {
    const cls = statusClass(status, { error: { message: 'upstream broke' } });
    assert.deepEqual(fallbackDecision(before(cls)), { fallback: true, reason: 'unavailable' }, `status ${status}`);
    assert.equal(breakerVerdict(cls), 'failure', `status ${status}`);
  }
});

test('429 rate limited: fall back, but no breaker failure (saturation, not outage)', () => {
  const cls = statusClass(429, { error: { type: 'requests', code: 'rate_limit_exceeded' } });
  assert.equal(cls, 'rate_limited');
  assert.deepEqual(fallbackDecision(before(cls)), { fallback: true, reason: 'saturated' });
  assert.equal(breakerVerdict(cls), 'none');
});

test('429 insufficient_quota: fall back, and a breaker failure (out of credit does not pass in seconds)', () => {
  const cls = statusClass(429, { error: { type: 'insufficient_quota', code: 'insufficient_quota' } });
  assert.equal(cls, 'insufficient_quota');
  assert.equal(mayFallback(before(cls)), true);
  assert.equal(breakerVerdict(cls), 'failure');
});

test('4xx other than 429: never fall back (the client’s request is wrong); the provider is alive', () => {
  for (const status of [400, 403, 404, 413, 422]) {
    const cls = statusClass(status, { error: { message: 'bad request' } });
    assert.deepEqual(fallbackDecision(before(cls)), { fallback: false, reason: 'client_error' }, `status ${status}`);
    assert.equal(breakerVerdict(cls), 'success', `status ${status}`);
  }
});

test('401 from the provider or 407 from the proxy: the gateway’s own credentials; fall back, breaker failure', () => {
  for (const cls of [statusClass(401), statusClass(407)]) {
    assert.deepEqual(fallbackDecision(before(cls)), { fallback: true, reason: 'credentials' }, cls);
    assert.equal(breakerVerdict(cls), 'failure', cls);
  }
  assert.equal(statusClass(407), 'proxy_auth');
});

test('never after a byte reached the client, whatever the failure', () => {
  for (const cls of ['connect_error', 'reset', 'timeout', 'http_502', 'rate_limited', 'in_stream_error', 'truncated_stream'] as const) {
    for (const beforeHeaders of [true, false]) {
      assert.deepEqual(fallbackDecision({ cls, beforeHeaders, clientBytes: true }), { fallback: false, reason: 'client_bytes' }, cls);
    }
  }
});

test('a failure mid-stream (after the upstream’s 2xx headers) is not retried even when the client has nothing yet, but counts against the breaker', () => {
  for (const cls of ['reset', 'timeout', 'in_stream_error', 'truncated_stream', 'malformed_stream', 'malformed_response'] as const) {
    assert.deepEqual(fallbackDecision({ cls, beforeHeaders: false, clientBytes: false }), { fallback: false, reason: 'mid_stream' }, cls);
    assert.equal(breakerVerdict(cls), 'failure', cls);
  }
  // an answer past the gateway's size cap: not retried, and not the provider's health
  assert.equal(mayFallback({ cls: 'too_large', beforeHeaders: false, clientBytes: false }), false);
  assert.equal(breakerVerdict('too_large'), 'none');
});

test('success, and the breaker refusing the primary', () => {
  assert.deepEqual(fallbackDecision({ beforeHeaders: false, clientBytes: true }), { fallback: false, reason: 'ok' });
  assert.equal(breakerVerdict(undefined), 'success');
  // the breaker is open: nothing was sent, the fallback serves, and the breaker learns nothing
  assert.deepEqual(fallbackDecision(before('circuit_open')), { fallback: true, reason: 'unavailable' });
  assert.equal(breakerVerdict('circuit_open'), 'none');
});

test('outcomeOf reads a timed call’s result: no 2xx status means it failed before the answer began', () => {
  assert.deepEqual(outcomeOf({ ok: false, status: 0, errorClass: 'connect_error' }, false), { cls: 'connect_error', beforeHeaders: true, clientBytes: false });
  assert.deepEqual(outcomeOf({ ok: false, status: 503, errorClass: 'http_503' }, false), { cls: 'http_503', beforeHeaders: true, clientBytes: false });
  assert.deepEqual(outcomeOf({ ok: false, status: 200, errorClass: 'in_stream_error' }, true), { cls: 'in_stream_error', beforeHeaders: false, clientBytes: true });
  assert.deepEqual(outcomeOf({ ok: false, status: 502 }, false), { cls: 'http_502', beforeHeaders: true, clientBytes: false });
  assert.deepEqual(outcomeOf({ ok: true, status: 200 }, true), { beforeHeaders: false, clientBytes: true });
  assert.equal(mayFallback(outcomeOf({ ok: false, status: 0, errorClass: 'timeout' }, false)), true);
  assert.equal(mayFallback(outcomeOf({ ok: false, status: 200, errorClass: 'timeout' }, false)), false);
});
