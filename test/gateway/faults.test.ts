import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { defaultGateway, harness, parseFaultSpec, runGateway, until, type Harness, type Running } from './helpers.js';

const msgs = [{ role: 'user' as const, content: 'hello' }];
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function setup(o: Parameters<typeof harness>[0], gateway?: Record<string, unknown>, providers?: (h: Harness) => Record<string, unknown>, extra: string[] = []): Promise<{ h: Harness; gw: Running; key: string }> {
  const h = await harness(o);
  if (gateway || providers) h.writeConfig(gateway ?? defaultGateway(), providers?.(h));
  const key = await h.keyFor('acme');
  const gw = await runGateway(h, extra);
  cleanup.push(() => h.close(), () => gw.stop());
  return { h, gw, key };
}

const rows = (gw: Running) => gw.logs().filter((l) => l.event === 'request');

test('fallback before the first byte: primary 503 → the fallback serves and x-holy-provider says so', async () => {
  const { h, gw, key } = await setup({ a: { faults: [parseFaultSpec('503@first=1')] } });
  const r = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4 }).withResponse();
  assert.equal(r.response.headers.get('x-holy-provider'), 'b');
  assert.equal(r.data.usage?.completion_tokens, 4);
  assert.equal(h.a.requests.length, 1);
  assert.equal(h.b.requests.length, 1);
  await until(() => rows(gw).length >= 1);
  assert.equal(rows(gw)[0]!.fallback, true);
  assert.equal(rows(gw)[0]!.arm, 'fallback');
  assert.equal(rows(gw)[0]!.provider, 'b');
  // A streamed request after a 429 falls back as well (nothing was sent yet).
  const s = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4, stream: true }).withResponse();
  assert.equal(s.response.headers.get('x-holy-provider'), 'a', 'the fault was only the first request');
});

test('a 429 or a connect error on the primary falls back; a timeout before headers too', async () => {
  const { gw, key } = await setup({ a: { faults: [parseFaultSpec('429=3@first=1')] } });
  const r = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, stream: true }).withResponse();
  assert.equal(r.response.headers.get('x-holy-provider'), 'b');
  for await (const _ of r.data) void _;

  // Connect error: the primary points at a port nobody listens on.
  const dead = await setup({}, undefined, (h) => ({ a: { baseURL: 'http://127.0.0.1:9/v1' }, b: { baseURL: h.b.url } }));
  const c = await dead.gw.client(dead.key).chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
  assert.equal(c.response.headers.get('x-holy-provider'), 'b');

  // Timeout before headers: the primary stalls past its timeoutMs.
  const slow = await setup({ a: { faults: [parseFaultSpec('stall=5000@phase=headers')] } }, undefined, (h) => ({ a: { baseURL: h.a.url, timeoutMs: 200 }, b: { baseURL: h.b.url } }));
  const t = await slow.gw.client(slow.key).chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
  assert.equal(t.response.headers.get('x-holy-provider'), 'b');
  await until(() => slow.gw.logs().some((l) => l.event === 'upstream_failed' && l.class === 'timeout'));
});

test('never mid-stream: a reset after the first bytes gives the client a clean SSE error event, not a hang, and no fallback', async () => {
  const { h, gw, key } = await setup({ a: { faults: [parseFaultSpec('reset@phase=body')], latency: { perTokenMs: 5 } } });
  const s = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 40, stream: true });
  let got = 0;
  await assert.rejects(
    async () => {
      for await (const c of s) got += c.choices.length;
    },
    (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.match(e.message, /broke mid-answer/);
      return true;
    },
  );
  assert.ok(got > 0, 'some chunks arrived before the reset');
  assert.equal(h.b.requests.length, 0, 'no switch mid-stream');
  await until(() => rows(gw).length >= 1);
  assert.equal(rows(gw)[0]!.status, 'upstream_error');
  assert.equal(rows(gw)[0]!.code, 'upstream_reset');
});

test('without a fallback the primary failure reaches the client in OpenAI shape', async () => {
  const g = defaultGateway();
  g.route = { primary: 'a' };
  const { gw, key } = await setup({ a: { faults: [parseFaultSpec('503')] } }, g);
  await assert.rejects(gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.InternalServerError, String(e));
    assert.equal(e.status, 503);
    return true;
  });
});

test('a provider refusing the gateway key is a 502 for the client, never the client key’s fault, and the provider key is never echoed', async () => {
  const { gw, key } = await setup({}, undefined, (h) => ({ a: { baseURL: h.a.url, apiKeyEnv: 'WRONG_KEY' }, b: { baseURL: h.b.url, apiKeyEnv: 'WRONG_KEY' } }));
  void gw;
  // WRONG_KEY is unset and the hosts are loopback: requests go without a key, the mock answers 401.
  await assert.rejects(gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 502);
    assert.match(e.message, /refused the gateway's own credentials/);
    return true;
  });
});

test('a client disconnecting mid-stream aborts the upstream call; the row says client_closed', async () => {
  const { gw, key } = await setup({ a: { latency: { perTokenMs: 30 } } });
  const ac = new AbortController();
  const s = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 200, stream: true }, { signal: ac.signal });
  let n = 0;
  try {
    for await (const _ of s) if (++n === 3) ac.abort();
  } catch {
    // the SDK may or may not raise on its own abort
  }
  assert.ok(n >= 3 && n < 100, `stopped after ${n} chunks`);
  await until(() => rows(gw).length >= 1);
  assert.equal(rows(gw)[0]!.status, 'client_closed');
});

test('slow-loris: a client that never finishes its headers is cut off', async () => {
  const { gw } = await setup({}, undefined, undefined, ['--client-timeout', '0.3']);
  const u = new URL(gw.url);
  const sock = connect(Number(u.port), u.hostname);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  let reply = '';
  sock.on('data', (c: Buffer) => (reply += c.toString()));
  await new Promise<void>((r) => sock.once('close', () => r()));
  assert.match(reply, /^HTTP\/1\.1 408/);
  await until(() => gw.logs().some((l) => l.event === 'client_error'));
});

test('the client’s headers are never forwarded; the provider key goes only to its provider and never comes back', async () => {
  const { createServer } = await import('node:http');
  const seen: Record<string, string | string[] | undefined>[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '' };
  const up = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => up.close(r)));
  const port = (up.address() as { port: number }).port;
  const { h, gw, key } = await setup({}, { ...defaultGateway(), route: { primary: 'a' } }, (hh) => ({ a: { baseURL: `http://127.0.0.1:${port}/v1` }, b: { baseURL: hh.b.url } }));
  const upKey = h.env.A_API_KEY;
  reply = { status: 200, body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: `echo ${upKey}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) };
  const r = await fetch(gw.url + '/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', cookie: 'session=secret', 'x-custom': 'mine', 'openai-organization': 'org-client' },
    body: JSON.stringify({ model: 'gpt-4o', messages: msgs }),
  });
  const text = await r.text();
  assert.equal(r.status, 200);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.authorization, `Bearer ${upKey}`, 'the provider key, not the tenant key');
  for (const hname of ['cookie', 'x-custom', 'openai-organization']) assert.equal(seen[0]![hname], undefined, `${hname} not forwarded`);
  assert.ok(!JSON.stringify(seen[0]).includes(key), 'the tenant key never reaches the provider');
  assert.ok(!text.includes(upKey), 'the provider key never comes back to the client');
  assert.match(text, /\[key redacted\]/);
  // An error body echoing the key: cleaned too.
  reply = { status: 400, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${upKey}`, type: 'invalid_request_error', code: 'bad' } }) };
  const e = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: msgs }) });
  const etext = await e.text();
  assert.equal(e.status, 400);
  assert.ok(!etext.includes(upKey) && !etext.includes(upKey.slice(0, 14)));
  // A 5xx echoing it, with no fallback left: the provider's message reaches the client, cleaned.
  reply = { status: 503, body: JSON.stringify({ error: { message: `overloaded for key ${upKey}`, type: 'server_error', code: 'overloaded' } }) };
  const f = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: msgs }) });
  const ftext = await f.text();
  assert.equal(f.status, 503);
  assert.match(ftext, /overloaded for key \[key redacted\]/);
  assert.ok(!ftext.includes(upKey.slice(0, 14)));
  assert.ok(!gw.ctx.err().includes(upKey), 'nor in the log');
});

test('quotas end to end: a tenant past its RPM gets 429 rate_limit_exceeded with Retry-After; another tenant is untouched', async () => {
  const g = defaultGateway();
  (g.tenants as Record<string, unknown>).acme = { plan: 'pro', rpm: 2 };
  const { h, gw, key } = await setup({}, g);
  const other = await h.keyFor('initech');
  gw.hangup();
  await until(() => gw.logs().some((l) => l.event === 'reloaded'));
  for (let i = 0; i < 2; i++) await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 });
  await assert.rejects(gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.RateLimitError, String(e));
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.ok(Number(e.headers?.get('retry-after')) >= 1);
    assert.equal(e.headers?.get('x-ratelimit-limit-requests'), '2');
    assert.equal(e.headers?.get('x-ratelimit-remaining-requests'), '0');
    return true;
  });
  const ok = await gw.client(other).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 });
  assert.equal(ok.usage?.completion_tokens, 2);
  assert.equal(h.a.requests.length, 3, 'the refused request never reached the provider');
});
