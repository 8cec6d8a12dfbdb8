import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { harness, runGateway, until, type Harness, type Running, UP_KEY_A, UP_KEY_B } from './helpers.js';

let h: Harness;
let gw: Running;
let acme: string;

before(async () => {
  h = await harness();
  acme = await h.keyFor('acme');
  gw = await runGateway(h);
});
after(async () => {
  await gw.stop();
  await h.close();
});

const msgs = [{ role: 'user' as const, content: 'hello there' }];

test('the first stdout line is the base URL on loopback', () => {
  assert.match(gw.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  assert.equal(gw.ctx.out().split('\n')[0], gw.url);
});

test('a wrong or missing key is a 401 invalid_api_key the SDK raises as AuthenticationError', async () => {
  for (const key of ['hk-' + 'x'.repeat(36), 'nope', acme.slice(0, -1) + (acme.endsWith('A') ? 'B' : 'A')]) {
    await assert.rejects(gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
  }
  const r = await fetch(gw.url + '/chat/completions', { method: 'POST', body: '{}' });
  assert.equal(r.status, 401);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
});

test('non-streamed chat passes through; the client key never reaches upstream, the provider key does', async () => {
  const before = h.a.requests.length;
  const r = await gw.client(acme).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 5 }).withResponse();
  assert.equal(r.response.headers.get('x-holy-provider'), 'a');
  assert.match(r.response.headers.get('x-request-id') ?? '', /^req_/);
  assert.equal(r.data.usage?.completion_tokens, 5);
  assert.equal(r.data.model, 'gpt-4o');
  const seen = h.a.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.authorized, true, 'the mock accepted the gateway key for a (its own key)');
  assert.equal(h.b.requests.length, 0, 'b is the fallback: untouched');
  void UP_KEY_A;
  void UP_KEY_B;
});

test('streamed chat arrives chunk by chunk; the usage chunk holy asked for is stripped unless the client asked', async () => {
  const s = await gw.client(acme).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs, max_tokens: 6, stream: true });
  let text = '';
  let chunks = 0;
  let usageChunks = 0;
  for await (const c of s) {
    chunks++;
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usageChunks++;
  }
  assert.ok(chunks >= 6, `chunks ${chunks}`);
  assert.ok(text.length > 0);
  assert.equal(usageChunks, 0, 'usage chunk stripped');
  const s2 = await gw.client(acme).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs, max_tokens: 6, stream: true, stream_options: { include_usage: true } });
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const c of s2) if (c.usage) usage = c.usage;
  assert.equal(usage?.completion_tokens, 6);
  await until(() => gw.logs().filter((l) => l.event === 'request' && l.stream === true).length >= 2);
  const rows = gw.logs().filter((l) => l.event === 'request' && l.stream === true);
  for (const row of rows) assert.deepEqual((row.tokens as { output: number; estimated: boolean }).output, 6, 'usage read from upstream even when stripped');
});
