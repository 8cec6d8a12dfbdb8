import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { parseFaultSpec } from '../../src/mock/faults.js';

// The official SDK is the client most users have: the mock must look like a provider to it.
const servers: MockServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function client(o: Parameters<typeof startMock>[0] = {}): Promise<OpenAI> {
  const s = await startMock({ key: 'sdk-key-000111', ...o });
  servers.push(s);
  return new OpenAI({ apiKey: 'sdk-key-000111', baseURL: s.url, maxRetries: 0 });
}

test('the openai SDK lists models, completes, streams with usage and parses tool calls', async () => {
  const c = await client();
  const ids = [];
  for await (const m of c.models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-4o-mini'));
  const r = await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 7 });
  assert.equal(r.usage?.completion_tokens, 7);
  const s = await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 7, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage;
  for await (const ch of s) {
    text += ch.choices[0]?.delta?.content ?? '';
    if (ch.usage) usage = ch.usage;
  }
  assert.equal(text, r.choices[0]!.message.content);
  assert.equal(usage?.completion_tokens, 7);
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const runner = c.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'find' }], tools });
  const final = await runner.finalChatCompletion();
  const call = final.choices[0]!.message.tool_calls![0]! as { function: { name: string; arguments: string } };
  assert.equal(call.function.name, 'lookup');
  assert.equal(typeof JSON.parse(call.function.arguments).q, 'string');
});

test('the SDK surfaces the mock faults as its typed errors', async () => {
  const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
  const rl = await client({ faults: [parseFaultSpec('429=4')] });
  await assert.rejects(rl.chat.completions.create(body), (e: unknown) => {
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.headers?.get('retry-after'), '4');
    assert.equal(e.code, 'rate_limit_exceeded');
    return true;
  });
  const wrong = new OpenAI({ apiKey: 'not-the-key-xyz', baseURL: servers.at(-1)!.url, maxRetries: 0 });
  await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
  const nf = await client();
  await assert.rejects(nf.chat.completions.create({ ...body, model: 'nope' }), OpenAI.NotFoundError);
  const ise = await client({ faults: [parseFaultSpec('in-stream-error')] });
  await assert.rejects(async () => {
    for await (const _ of await ise.chat.completions.create({ ...body, stream: true })) void _;
  }, OpenAI.APIError);
  const bad = await client({ faults: [parseFaultSpec('malformed-sse')] });
  await assert.rejects(async () => {
    for await (const _ of await bad.chat.completions.create({ ...body, stream: true })) void _;
  });
});
