import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, type MockServer, type FaultRule } from '../../src/mock/server.js';
import { FaultPicker, parseFaultSpec, describeRule } from '../../src/mock/faults.js';
import { UsageError } from '../../src/errors.js';
import { AUTH, chatBody, chunks, post, readEvents } from './helpers.js';

describe('--fault syntax', () => {
  test('valid specs parse into rules', () => {
    assert.deepEqual(parseFaultSpec('500'), { fault: { kind: 'status', status: 500 } });
    assert.deepEqual(parseFaultSpec('503@rate=0.2'), { fault: { kind: 'status', status: 503 }, rate: 0.2 });
    assert.deepEqual(parseFaultSpec('429@every=5'), { fault: { kind: 'rate-limit' }, every: 5 });
    assert.deepEqual(parseFaultSpec('rate-limit=7'), { fault: { kind: 'rate-limit', retryAfterS: 7 } });
    assert.deepEqual(parseFaultSpec('quota@first=1'), { fault: { kind: 'insufficient-quota' }, first: 1 });
    assert.deepEqual(parseFaultSpec('stall=3000@rate=0.1,phase=body'), { fault: { kind: 'stall', ms: 3000, phase: 'body' }, rate: 0.1 });
    assert.deepEqual(parseFaultSpec('reset@phase=body@path=chat'), { fault: { kind: 'reset', phase: 'body' }, path: 'chat' });
    assert.deepEqual(parseFaultSpec('html=503'), { fault: { kind: 'html', status: 503 } });
    assert.deepEqual(parseFaultSpec('500@code=server_error,type=server_error'), { fault: { kind: 'status', status: 500, code: 'server_error', type: 'server_error' } });
    for (const k of ['malformed-sse', 'truncate', 'in-stream-error']) assert.deepEqual(parseFaultSpec(k), { fault: { kind: k } });
    assert.equal(describeRule(parseFaultSpec('503@rate=0.2')), '503 rate=0.2');
  });

  test('bad specs are usage errors naming the value and listing the valid kinds', () => {
    for (const [spec, why] of [
      ['boom', /unknown fault kind "boom"/],
      ['200', /status must be an integer from 400 to 599/],
      ['503@rate=2', /rate must be a number from 0 to 1/],
      ['503@every=0', /every must be/],
      ['stall=abc', /stall in ms/],
      ['500@phase=body', /phase= applies to stall and reset only/],
      ['reset@phase=middle', /phase must be headers or body/],
      ['truncate=3', /takes no =value/],
      ['500@colour=red', /unknown option "colour"/],
      ['', /fault kind is missing/],
    ] as const) {
      assert.throws(() => parseFaultSpec(spec), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, why);
        assert.ok(e.message.startsWith(`--fault ${JSON.stringify(spec)}`));
        assert.match(e.message, /valid kinds: NNN/);
        return true;
      });
    }
  });

  test('first / every / rate / path select requests reproducibly', () => {
    const fired = (rules: FaultRule[], n: number, path: 'chat' | 'models' = 'chat', stream = false, seed = 1) => {
      const p = new FaultPicker(rules, seed);
      return Array.from({ length: n }, () => (p.pick(path, stream) ? 1 : 0)).join('');
    };
    assert.equal(fired([parseFaultSpec('500@first=2')], 5), '11000');
    assert.equal(fired([parseFaultSpec('500@every=3')], 7), '0010010');
    assert.equal(fired([parseFaultSpec('500@path=models')], 3), '000');
    assert.equal(fired([parseFaultSpec('truncate')], 3, 'chat', false), '000', 'stream faults skip non-stream requests');
    assert.equal(fired([parseFaultSpec('truncate')], 3, 'chat', true), '111');
    const r = fired([parseFaultSpec('500@rate=0.3')], 1000);
    assert.equal(fired([parseFaultSpec('500@rate=0.3')], 1000), r, 'same seed, same choices');
    const hits = [...r].filter((c) => c === '1').length;
    assert.ok(hits > 240 && hits < 360, `${hits} hits for rate 0.3`);
    assert.notEqual(fired([parseFaultSpec('500@rate=0.3')], 1000, 'chat', false, 2), r);
  });
});

describe('faults as a real client sees them', () => {
  const servers: MockServer[] = [];
  const mock = async (fault: string, extra = {}) => {
    const s = await startMock({ faults: [parseFaultSpec(fault)], ...extra });
    servers.push(s);
    return s;
  };
  after(() => Promise.all(servers.map((s) => s.close())));
  const stream = chatBody({ stream: true, max_tokens: 10 });

  test('any status with an OpenAI-shaped error body (and /v1/models fails too by default)', async () => {
    const s = await mock('503');
    const r = await post(s, chatBody(), AUTH);
    assert.equal(r.status, 503);
    assert.match(r.headers.get('x-request-id') ?? '', /^req_/);
    const e = ((await r.json()) as any).error;
    assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(e.type, 'server_error');
    assert.equal((await fetch(s.url + '/models')).status, 503);
    const s2 = await mock('418@code=teapot,path=chat');
    const r2 = await post(s2, chatBody());
    assert.equal(r2.status, 418);
    assert.equal(((await r2.json()) as any).error.code, 'teapot');
    assert.equal((await fetch(s2.url + '/models')).status, 200);
  });

  test('429 rate limit carries Retry-After and x-ratelimit-* headers; quota is insufficient_quota', async () => {
    const s = await mock('429=3@first=1');
    const r = await post(s, chatBody());
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '3');
    for (const h of ['limit-requests', 'remaining-requests', 'reset-requests', 'limit-tokens', 'remaining-tokens', 'reset-tokens']) assert.ok(r.headers.get(`x-ratelimit-${h}`), h);
    assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(((await r.json()) as any).error.code, 'rate_limit_exceeded');
    assert.equal((await post(s, chatBody())).status, 200, 'first=1: the second request passes');
    const q = await post(await mock('quota'), chatBody());
    assert.equal(q.status, 429);
    const e = ((await q.json()) as any).error;
    assert.equal(e.code, 'insufficient_quota');
    assert.equal(e.type, 'insufficient_quota');
  });

  test('html: a text/html page instead of JSON', async () => {
    const r = await post(await mock('html'), chatBody());
    assert.equal(r.status, 502);
    assert.equal(r.headers.get('content-type'), 'text/html');
    const t = await r.text();
    assert.match(t, /^<html>/);
    assert.throws(() => JSON.parse(t));
  });

  test('reset: the socket is destroyed before any byte (fetch fails) or mid-stream (the body read fails)', async () => {
    await assert.rejects(post(await mock('reset'), chatBody()), /fetch failed/);
    const r = await post(await mock('reset@phase=body'), stream);
    assert.equal(r.status, 200);
    await assert.rejects(readEvents(r, 0));
    const nr = await post(await mock('reset@phase=body'), chatBody());
    await assert.rejects(nr.text());
  });

  test('stall: no bytes for the duration (headers phase), or a gap mid-stream (body phase)', async () => {
    const t0 = performance.now();
    const r = await post(await mock('stall=300'), chatBody());
    const headersAt = performance.now() - t0;
    assert.ok(headersAt >= 295, `headers after ${headersAt} ms`);
    assert.equal(r.status, 200);
    await r.json();
    const t1 = performance.now();
    const ev = await readEvents(await post(await mock('stall=300@phase=body'), stream), t1);
    // Only what holds on any machine: the stream completes, in order, and not before the stall has passed.
    // (A gap measured between two arrivals shrinks when the client is descheduled, so it is not asserted.)
    assert.equal(chunks(ev)[0].choices[0].delta.role, 'assistant', 'the role chunk comes first');
    assert.ok(ev.at(-1)!.t >= 295, `stream ended at ${ev.at(-1)!.t} ms, before the 300 ms stall was over`);
    assert.equal(ev.at(-1)!.data, '[DONE]');
  });

  test('malformed-sse: one data line is not valid JSON; the stream otherwise completes', async () => {
    const ev = await readEvents(await post(await mock('malformed-sse'), stream), 0);
    const bad = ev.filter((e) => e.data !== '[DONE]' && (() => { try { JSON.parse(e.data); return false; } catch { return true; } })());
    assert.equal(bad.length, 1);
    assert.equal(ev.at(-1)!.data, '[DONE]');
    const good = ev.filter((e) => !bad.includes(e) && e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    assert.equal(good.filter((c) => c.choices[0]?.delta?.content).length, 10);
  });

  test('truncate: the stream ends cleanly but without finish chunk or [DONE]', async () => {
    const ev = await readEvents(await post(await mock('truncate'), stream), 0);
    assert.ok(ev.length > 1);
    assert.ok(ev.every((e) => e.data !== '[DONE]'));
    const cs = chunks(ev);
    assert.ok(cs.every((c) => !c.choices[0]?.finish_reason));
    assert.ok(cs.filter((c) => c.choices[0]?.delta?.content).length < 10);
  });

  test('in-stream-error: a data: {"error": …} event mid-stream, then the stream ends', async () => {
    const ev = await readEvents(await post(await mock('in-stream-error', { latency: { perTokenMs: 1 } }), stream), 0);
    const last = JSON.parse(ev.at(-1)!.data);
    assert.equal(last.error.type, 'server_error');
    assert.ok(ev.every((e) => e.data !== '[DONE]'));
    assert.ok(chunks(ev.slice(0, -1)).some((c) => c.choices[0]?.delta?.content), 'some content came before the error');
  });
});
