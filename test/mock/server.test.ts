import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, DEFAULT_MOCK_MODELS, type MockServer } from '../../src/mock/server.js';
import { UsageError } from '../../src/errors.js';
import { AUTH, KEY, chatBody, chunks, post, readEvents, streamedText } from './helpers.js';

describe('mock server: endpoints, auth and shapes', () => {
  let m: MockServer;
  before(async () => {
    m = await startMock({ key: KEY, label: 'unit', seed: 7 });
  });
  after(() => m.close());

  test('GET /v1/models lists the default models with OpenAI shape and labels itself', async () => {
    const r = await fetch(m.url + '/models', { headers: AUTH });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-holy-mock'), 'unit');
    assert.match(r.headers.get('x-request-id') ?? '', /^req_[0-9a-f]+$/);
    const j = (await r.json()) as any;
    assert.equal(j.object, 'list');
    assert.deepEqual(j.data.map((d: any) => d.id), DEFAULT_MOCK_MODELS);
    assert.equal(j.data[0].object, 'model');
    assert.ok(m.url.startsWith('http://127.0.0.1:'));
    const one = await fetch(m.url + '/models/gpt-4o', { headers: AUTH });
    assert.equal(((await one.json()) as any).id, 'gpt-4o');
    const none = await fetch(m.url + '/models/gpt-9', { headers: AUTH });
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as any).error.code, 'model_not_found');
  });

  test('a missing or wrong key is a 401 invalid_api_key in OpenAI shape, and the key is never echoed', async () => {
    const missing = await fetch(m.url + '/models');
    assert.equal(missing.status, 401);
    const a = (await missing.json()) as any;
    assert.deepEqual(Object.keys(a.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(a.error.code, 'invalid_api_key');
    const wrongKey = 'sk-wrongwrongwrongwrong1234';
    const wrong = await post(m, chatBody(), { authorization: `Bearer ${wrongKey}`, 'content-type': 'application/json' });
    assert.equal(wrong.status, 401);
    const text = await wrong.text();
    assert.ok(!text.includes(wrongKey));
    assert.match(text, /Incorrect API key provided: sk-…1234/);
    assert.equal(m.served, m.requests.length);
    const log = m.requests.filter((r) => !r.authorized);
    assert.ok(log.length >= 2);
    assert.ok(!JSON.stringify(m.requests).includes(KEY));
  });

  test('unknown paths are 404 and bad bodies are 400 invalid_request_error; unknown models 404 model_not_found', async () => {
    const r404 = await fetch(m.url + '/audio/speech', { method: 'POST', headers: AUTH, body: '{}' });
    assert.equal(r404.status, 404);
    assert.equal(((await r404.json()) as any).error.message, 'Invalid URL (POST /v1/audio/speech)');
    for (const body of ['not json', '[]', JSON.stringify({ model: 'gpt-4o' }), JSON.stringify({ model: 'gpt-4o', messages: [] }), JSON.stringify(chatBody({ max_tokens: 0 }))]) {
      const r = await post(m, body);
      assert.equal(r.status, 400, body);
      assert.equal(((await r.json()) as any).error.type, 'invalid_request_error');
    }
    const nm = await post(m, chatBody({ model: 'gpt-5-nope' }));
    assert.equal(nm.status, 404);
    const e = ((await nm.json()) as any).error;
    assert.equal(e.code, 'model_not_found');
    assert.equal(e.message, 'The model `gpt-5-nope` does not exist or you do not have access to it.');
  });

  test('non-streaming: a chat.completion with content, finish_reason and consistent usage', async () => {
    const r = await post(m, chatBody());
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const j = (await r.json()) as any;
    assert.equal(j.object, 'chat.completion');
    assert.equal(j.model, 'gpt-4o');
    assert.equal(j.choices[0].message.role, 'assistant');
    assert.equal(typeof j.choices[0].message.content, 'string');
    assert.equal(j.choices[0].finish_reason, 'stop');
    const words = j.choices[0].message.content.split(' ').length;
    assert.equal(j.usage.completion_tokens, words);
    assert.ok(words >= 16 && words <= 48);
    assert.equal(j.usage.total_tokens, j.usage.prompt_tokens + j.usage.completion_tokens);
    const last = m.requests.at(-1)!;
    assert.deepEqual({ method: last.method, path: last.path, model: last.model, stream: last.stream, authorized: last.authorized }, { method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o', stream: false, authorized: true });
  });

  test('streaming: role-only first chunk, content chunks, finish chunk, usage only when asked, then [DONE]', async () => {
    for (const includeUsage of [true, false]) {
      const r = await post(m, chatBody({ stream: true, max_tokens: 12, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) }));
      assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const ev = await readEvents(r, performance.now());
      assert.equal(ev.at(-1)!.data, '[DONE]');
      const cs = chunks(ev);
      assert.deepEqual(cs[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
      const content = cs.filter((c) => c.choices[0]?.delta?.content);
      assert.equal(content.length, 12);
      const fin = cs.find((c) => c.choices[0]?.finish_reason);
      assert.equal(fin.choices[0].finish_reason, 'length');
      const usage = cs.filter((c) => c.usage);
      if (includeUsage) {
        assert.equal(usage.length, 1);
        assert.deepEqual(usage[0].choices, []);
        assert.equal(usage[0].usage.completion_tokens, content.length);
        assert.equal(cs.at(-1), usage[0]);
      } else assert.equal(usage.length, 0);
      for (const c of cs) assert.equal(c.object, 'chat.completion.chunk');
    }
  });

  test('max_tokens / max_completion_tokens set the length; completion_tokens equals the number of content chunks', async () => {
    const a = (await (await post(m, chatBody({ max_tokens: 5 }))).json()) as any;
    assert.equal(a.usage.completion_tokens, 5);
    assert.equal(a.choices[0].message.content.split(' ').length, 5);
    const b = (await (await post(m, chatBody({ max_completion_tokens: 300 }))).json()) as any;
    assert.equal(b.usage.completion_tokens, 300);
    assert.equal(b.choices[0].finish_reason, 'length');
  });

  test('same request and seed give the same text as non-stream and stream; another prompt does not', async () => {
    const text = async (mm: MockServer, extra = {}) => ((await (await post(mm, chatBody(extra))).json()) as any).choices[0].message.content as string;
    const t1 = await text(m);
    assert.equal(await text(m), t1);
    assert.equal(await text(m, { model: 'gpt-4.1' }), t1, 'the model name does not change the canonical answer');
    const st = streamedText(chunks(await readEvents(await post(m, chatBody({ stream: true })), 0)));
    assert.equal(st, t1);
    assert.notEqual(await text(m, { messages: [{ role: 'user', content: 'Something else entirely' }] }), t1);
  });
});

describe('mock server: variants, usage scale, substitution, tools, JSON mode', () => {
  const servers: MockServer[] = [];
  const start = async (o: Parameters<typeof startMock>[0]) => {
    const s = await startMock({ key: KEY, ...o });
    servers.push(s);
    return s;
  };
  after(() => Promise.all(servers.map((s) => s.close())));
  const content = async (s: MockServer, extra = {}) => ((await (await post(s, chatBody(extra))).json()) as any).choices[0].message.content as string;

  test('another mock with the same seed answers identically; variant > 0 answers measurably differently', async () => {
    const a = await start({ seed: 3 });
    const b = await start({ seed: 3 });
    const v = await start({ seed: 3, variant: 0.5 });
    const ta = await content(a, { max_tokens: 40 });
    assert.equal(await content(b, { max_tokens: 40 }), ta);
    const tv = await content(v, { max_tokens: 40 });
    const wa = ta.split(' ');
    const wv = tv.split(' ');
    assert.equal(wv.length, wa.length);
    const changed = wa.filter((w, i) => w !== wv[i]).length;
    assert.ok(changed >= 8 && changed <= 32, `changed ${changed} of 40 words`);
    assert.equal(await content(v, { max_tokens: 40 }), tv, 'a variant is still deterministic');
  });

  test('usageScale multiplies reported usage; echoModel reports another model; ignoreIncludeUsage drops the usage chunk', async () => {
    const s = await start({ usageScale: 1.5, echoModel: 'gpt-4o-mini', ignoreIncludeUsage: true });
    const j = (await (await post(s, chatBody({ max_tokens: 10 }))).json()) as any;
    assert.equal(j.usage.completion_tokens, 15);
    assert.equal(j.model, 'gpt-4o-mini');
    const cs = chunks(await readEvents(await post(s, chatBody({ stream: true, stream_options: { include_usage: true } })), 0));
    assert.equal(cs.filter((c) => c.usage).length, 0);
    assert.ok(cs.every((c) => c.model === 'gpt-4o-mini'));
  });

  const tools = [
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] } } },
    { type: 'function', function: { name: 'other', parameters: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
  ];

  test('tools: a tool call to the first (or chosen) tool with schema-shaped JSON arguments, streamed as tool_call deltas', async () => {
    const s = await start({});
    const j = (await (await post(s, chatBody({ tools }))).json()) as any;
    const msg = j.choices[0].message;
    assert.equal(j.choices[0].finish_reason, 'tool_calls');
    assert.equal(msg.content, null);
    assert.equal(msg.tool_calls[0].function.name, 'get_weather');
    const args = JSON.parse(msg.tool_calls[0].function.arguments);
    assert.deepEqual(Object.keys(args), ['city', 'days', 'unit']);
    assert.equal(typeof args.city, 'string');
    assert.ok(Number.isInteger(args.days));
    assert.equal(args.unit, 'c');
    const chosen = (await (await post(s, chatBody({ tools, tool_choice: { type: 'function', function: { name: 'other' } } }))).json()) as any;
    assert.equal(chosen.choices[0].message.tool_calls[0].function.name, 'other');
    const none = (await (await post(s, chatBody({ tools, tool_choice: 'none' }))).json()) as any;
    assert.equal(typeof none.choices[0].message.content, 'string');

    const cs = chunks(await readEvents(await post(s, chatBody({ tools, stream: true, stream_options: { include_usage: true } })), 0));
    const deltas = cs.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(deltas[0].id, msg.tool_calls[0].id);
    assert.equal(deltas[0].function.name, 'get_weather');
    assert.equal(deltas.map((d: any) => d.function.arguments).join(''), msg.tool_calls[0].function.arguments);
    assert.equal(cs.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
    assert.equal(cs.at(-1).usage.completion_tokens, deltas.length);
  });

  test('JSON mode: json_object gives a JSON object; json_schema gives the schema properties (stream and not)', async () => {
    const s = await start({});
    const obj = JSON.parse(await content(s, { response_format: { type: 'json_object' } }));
    assert.equal(typeof obj.answer, 'string');
    const schema = { type: 'object', properties: { title: { type: 'string' }, score: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } }, meta: { type: 'object', properties: { ok: { type: 'boolean' } } } } };
    const rf = { type: 'json_schema', json_schema: { name: 'x', schema } };
    const v = JSON.parse(await content(s, { response_format: rf }));
    assert.deepEqual(Object.keys(v), ['title', 'score', 'tags', 'meta']);
    assert.equal(typeof v.score, 'number');
    assert.ok(Array.isArray(v.tags));
    assert.equal(typeof v.meta.ok, 'boolean');
    const st = streamedText(chunks(await readEvents(await post(s, chatBody({ response_format: rf, stream: true })), 0)));
    assert.deepEqual(JSON.parse(st), v);
  });

  test('logLimit caps the request log while served keeps counting', async () => {
    const s = await start({ logLimit: 4 });
    for (let i = 0; i < 10; i++) await (await fetch(s.url + '/models', { headers: AUTH })).text();
    assert.ok(s.requests.length <= 4 && s.requests.length >= 1, `${s.requests.length} entries`);
    assert.equal(s.served, 10);
  });

  test('only loopback hosts are accepted', async () => {
    await assert.rejects(startMock({ host: '0.0.0.0' }), (e: unknown) => e instanceof UsageError && /loopback/.test((e as Error).message));
    await assert.rejects(startMock({ host: '192.168.1.10' }), UsageError);
    const s = await start({ host: 'localhost' });
    assert.equal((await fetch(s.url + '/models', { headers: AUTH })).status, 200);
  });

  test('close() ends idle keep-alive sockets promptly and is idempotent', async () => {
    const s = await startMock({});
    const { Agent } = await import('undici');
    // A keep-alive socket the client would hold for a minute: close() must end it rather than wait for it.
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    let sockets = 0;
    agent.on('connect', () => sockets++);
    agent.on('disconnect', () => sockets--);
    const { request } = await import('undici');
    await (await request(s.url + '/models', { dispatcher: agent })).body.text();
    assert.equal(sockets, 1, 'a keep-alive socket is open');
    // Left alone, the server would end that socket at its keep-alive timeout (Node's default, 5 s). The one bound
    // here is that timeout: close() must not be waiting for the server's own timer, whatever the machine's speed.
    const t = performance.now();
    await s.close();
    await s.close();
    while (sockets > 0) await new Promise((r) => setImmediate(r));
    assert.ok(performance.now() - t < 5000, 'close() waited for the keep-alive timeout');
    await agent.close();
    await assert.rejects(fetch(s.url + '/models'));
  });
});
