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
  assert.equal(r.response.headers.get('x-ratelimit-limit-requests'), '1000', 'the quota headers of the tenant (plan pro: rpm 1000)');
  assert.ok(r.response.headers.get('x-ratelimit-remaining-tokens'));
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

test('plans: a model outside the plan is 403 model_not_allowed naming the plan; tools outside it 403 tool_not_allowed', async () => {
  const globex = await h.keyFor('globex');
  const initech = await h.keyFor('initech');
  gw.hangup(); // pick up the new keys
  await until(() => gw.logs().some((l) => l.event === 'reloaded' && (l.keys as number) >= 3));
  await assert.rejects(gw.client(globex).chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.PermissionDeniedError, String(e));
    assert.equal(e.code, 'model_not_allowed');
    assert.match(e.message, /plan free/);
    return true;
  });
  const tool = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: { q: { type: 'string' } } } } });
  await assert.rejects(gw.client(globex).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs, tools: [tool('lookup')] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.PermissionDeniedError);
    assert.equal(e.code, 'tool_not_allowed');
    return true;
  });
  await assert.rejects(gw.client(initech).chat.completions.create({ model: 'gpt-4o', messages: msgs, tools: [tool('lookup'), tool('delete_everything')] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.PermissionDeniedError);
    assert.equal(e.code, 'tool_not_allowed');
    assert.match(e.message, /delete_everything/);
    return true;
  });
  // Allowed tool: the call comes back parsed by the SDK.
  const r = await gw.client(initech).chat.completions.create({ model: 'gpt-4o', messages: msgs, tools: [tool('lookup')] });
  const call = r.choices[0]!.message.tool_calls![0]! as { function: { name: string; arguments: string } };
  assert.equal(call.function.name, 'lookup');
  assert.equal(typeof JSON.parse(call.function.arguments).q, 'string');
  // Responses-style mcp tools are checked by server label.
  const mcp = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${initech}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: msgs, tools: [{ type: 'mcp', server_label: 'github', server_url: 'https://example.invalid/mcp' }] }) });
  assert.equal(mcp.status, 403);
  assert.equal(((await mcp.json()) as { error: { code: string } }).error.code, 'tool_not_allowed');
});

test('plans: max_tokens above the cap is refused (400 max_tokens_exceeded); without one the cap is sent', async () => {
  const globex = await h.keyFor('globex');
  gw.hangup();
  await until(() => gw.logs().filter((l) => l.event === 'reloaded').length >= 2);
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    await assert.rejects(gw.client(globex).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs, [field]: 65 }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
      assert.equal(e.code, 'max_tokens_exceeded');
      assert.equal(e.param, field);
      assert.match(e.message, /cap of 64/);
      return true;
    });
  }
  const r = await gw.client(globex).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs });
  assert.equal(r.usage?.completion_tokens, 64, 'the mock answers exactly max_tokens: the plan cap was sent');
});

test('modelMap renames: gpt-4.5 is sent as gpt-4o and the response says which model served', async () => {
  const n = h.a.requests.length;
  const r = await gw.client(acme).chat.completions.create({ model: 'gpt-4.5', messages: msgs, max_tokens: 3 });
  assert.equal(r.model, 'gpt-4o');
  assert.equal(h.a.requests[n]!.model, 'gpt-4o');
  await until(() => gw.logs().some((l) => l.event === 'request' && l.model === 'gpt-4.5'));
  const row = gw.logs().find((l) => l.event === 'request' && l.model === 'gpt-4.5')!;
  assert.equal(row.served, 'gpt-4o');
});

test('JSON mode passes through', async () => {
  const r = await gw.client(acme).chat.completions.create({ model: 'gpt-4o', messages: msgs, response_format: { type: 'json_object' } });
  assert.equal(typeof JSON.parse(r.choices[0]!.message.content!), 'object');
});

test('embeddings pass through with their usage', async () => {
  const r = await gw.client(acme).embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
  assert.equal(r.data.length, 2);
  assert.ok(r.data[0]!.embedding.length > 100);
  assert.ok((r.usage?.prompt_tokens ?? 0) > 0);
  await until(() => gw.logs().some((l) => l.event === 'request' && l.endpoint === 'embeddings'));
});

test('GET /v1/models lists what the plan allows: the provider list for "*", else the plan list', async () => {
  const ids: string[] = [];
  for await (const m of gw.client(acme).models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-4o') && ids.includes('deepseek-v3.2') && ids.includes('gpt-4.5'), ids.join(','));
  const globex = await h.keyFor('globex');
  gw.hangup();
  await until(() => gw.logs().filter((l) => l.event === 'reloaded').length >= 3);
  const free: string[] = [];
  for await (const m of gw.client(globex).models.list()) free.push(m.id);
  assert.deepEqual(free, ['gpt-4o-mini']);
});

test('unknown routes 404, wrong methods 405, malformed JSON 400, oversized bodies 413, all in OpenAI error shape', async () => {
  const auth = { authorization: `Bearer ${acme}`, 'content-type': 'application/json' };
  const r404 = await fetch(gw.url + '/nope', { headers: auth });
  assert.equal(r404.status, 404);
  assert.equal(((await r404.json()) as { error: { code: string } }).error.code, 'unknown_url');
  const r405 = await fetch(gw.url + '/chat/completions', { headers: auth });
  assert.equal(r405.status, 405);
  assert.equal(r405.headers.get('allow'), 'POST');
  assert.equal(((await r405.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
  const r400 = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: auth, body: '{"model": "gpt-4o", ' });
  assert.equal(r400.status, 400);
  const e400 = ((await r400.json()) as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(e400).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(e400.code, 'invalid_json');
  const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(4 * 1024 * 1024) }] });
  const r413 = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: auth, body: big });
  assert.equal(r413.status, 413);
  assert.equal(((await r413.json()) as { error: { code: string } }).error.code, 'request_too_large');
  // The SDK raises its usual classes on them.
  await assert.rejects(gw.client(acme).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(4 * 1024 * 1024) }] }), (e: unknown) => e instanceof OpenAI.APIError && e.status === 413);
});

test('/healthz and /metrics answer without a tenant key', async () => {
  const hz = await fetch(gw.url.replace(/\/v1$/, '/healthz'));
  assert.equal(hz.status, 200);
  assert.equal(((await hz.json()) as { ok: boolean }).ok, true);
  const m = await fetch(gw.url.replace(/\/v1$/, '/metrics'));
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
  const text = await m.text();
  assert.match(text, /holy_gateway_requests_total\{tenant="acme",provider="a",status="200"/);
  assert.match(text, /holy_gateway_tokens_total\{tenant="acme"/);
});

test('log lines are JSON and carry neither prompts nor keys', () => {
  const err = gw.ctx.err();
  assert.ok(!err.includes('hello there'), 'no prompt text in the log');
  assert.ok(!err.includes(acme) && !err.includes(acme.slice(3)), 'no tenant key in the log');
  assert.ok(!err.includes(UP_KEY_A) && !err.includes(UP_KEY_B), 'no provider key in the log');
  for (const l of err.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(l), l);
});
