/** The server's handling of what its parts decide: quota 429s, queue timeouts, store down, breakers, cutover, usage estimates. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { direct, harness, until, type Harness } from './helpers.js';
import { QueueTimeout, StoreUnavailable, type Breakers, type Cutover, type GatewayStore, type Quotas, type Served } from '../../src/gateway/contract.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { LedgerRow } from '../../src/core/gateway/types.js';
import { pricedRow } from '../../src/core/gateway/ledger-cost.js';

const msgs = [{ role: 'user' as const, content: 'hello' }];
const hs: Harness[] = [];
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers) await c();
  await Promise.all(hs.map((h) => h.close()));
});
async function h0(o: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(o);
  hs.push(h);
  return h;
}
async function d(h: Harness, o: Parameters<typeof direct>[1] = {}) {
  const x = await direct(h, o);
  closers.push(x.close);
  return x;
}

const LIMIT_HEADERS = { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6s', 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '900', 'x-ratelimit-reset-tokens': '1s' };

test('a quota refusal is 429 rate_limit_exceeded with Retry-After and the x-ratelimit headers; admitted answers carry them too', async () => {
  const h = await h0();
  let n = 0;
  const settled: number[][] = [];
  const quotas: Quotas = {
    admit: async () => (++n === 2 ? { ok: false, code: 'rate_limit_exceeded', limit: 'requests', retryAfterS: 6, headers: LIMIT_HEADERS } : { ok: true, headers: { ...LIMIT_HEADERS, 'x-ratelimit-remaining-requests': '9' } }),
    settle: async (_t, est, actual) => void settled.push([est, actual]),
  };
  const x = await d(h, { quotas });
  const ok = await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 3 }).withResponse();
  assert.equal(ok.response.headers.get('x-ratelimit-remaining-requests'), '9');
  await assert.rejects(x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.RateLimitError, String(e));
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.headers?.get('retry-after'), '6');
    assert.equal(e.headers?.get('x-ratelimit-limit-requests'), '10');
    return true;
  });
  await until(() => settled.length >= 1);
  assert.equal(settled.length, 1, 'only the admitted request is settled');
  assert.ok(settled[0]![1]! > 3, 'settled with the real usage (input + 3 output)');
  await until(() => x.logs().some((l) => l.event === 'request' && l.status === 'rate_limited'));
});

test('a queue timeout is 429 queue_timeout with Retry-After', async () => {
  const h = await h0();
  const x = await d(h, { makeScheduler: () => ({ acquire: async () => Promise.reject(new QueueTimeout(1234)), queued: () => 7, inFlight: () => 64 }) });
  await assert.rejects(x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.RateLimitError, String(e));
    assert.equal(e.code, 'queue_timeout');
    assert.ok(e.headers?.get('retry-after'));
    return true;
  });
  await until(() => x.logs().some((l) => l.event === 'request' && l.status === 'queue_timeout'));
});

test('store down: "closed" refuses with 503 store_unavailable, "open" serves without limits', async () => {
  const h = await h0();
  // A store that cannot answer: its limiters reject as a Redis store's do under storeDown "closed".
  const down: GatewayStore = {
    ...embeddedStore(),
    healthy: () => false,
    limiter: (o) => {
      const l = new RateLimiterMemory({ keyPrefix: o.keyPrefix, points: o.points, duration: o.durationS });
      l.consume = () => Promise.reject(new StoreUnavailable('Redis is away'));
      return l;
    },
  };
  const closed = await d(h, { store: down });
  await assert.rejects(closed.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => e instanceof OpenAI.APIError && e.status === 503 && e.code === 'store_unavailable');
  const open = await d(h, { store: down, gateway: { ...(await import('./helpers.js')).defaultGateway(), storeDown: 'open' } });
  const r = await open.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 });
  assert.equal(r.usage?.completion_tokens, 2);
});

test('an open breaker on the primary sends the request to the fallback; both open → 503 at once; outcomes are reported', async () => {
  const h = await h0();
  const open = new Set(['a']);
  const calls: string[] = [];
  const breakers: Breakers = {
    allow: async (p) => !open.has(p),
    success: async (p) => void calls.push(`success:${p}`),
    failure: async (p) => void calls.push(`failure:${p}`),
    state: async (p) => (open.has(p) ? 'open' : 'closed'),
  };
  const x = await d(h, { makeBreakers: () => breakers });
  const r = await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
  assert.equal(r.response.headers.get('x-holy-provider'), 'b');
  assert.equal(h.a.requests.length, 0, 'the open breaker kept the primary untouched');
  assert.deepEqual(calls, ['success:b']);
  open.add('b');
  await assert.rejects(x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs }), (e: unknown) => e instanceof OpenAI.APIError && e.status === 503);
  assert.equal(h.b.requests.length, 1);
});

test('a failing primary is reported to its breaker and the fallback success to the fallback', async () => {
  const h = await h0({ a: { faults: [(await import('./helpers.js')).parseFaultSpec('500@first=1')] } });
  const calls: string[] = [];
  const breakers: Breakers = { allow: async () => true, success: async (p) => void calls.push(`success:${p}`), failure: async (p) => void calls.push(`failure:${p}`), state: async () => 'closed' };
  const x = await d(h, { makeBreakers: () => breakers });
  await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs });
  assert.deepEqual(calls, ['failure:a', 'success:b']);
});

test('a cutover plans the route (canary arm) and sees every served request after the client has its answer', async () => {
  const h = await h0();
  const served: Served[] = [];
  const cutover: Cutover = {
    plan: async () => ({ provider: 'b', arm: 'canary', fallback: 'a' }),
    served: (s) => void served.push(s),
    close: async () => {},
  };
  const x = await d(h, { cutover });
  const r = await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4 }).withResponse();
  assert.equal(r.response.headers.get('x-holy-provider'), 'b');
  const s = await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4, stream: true });
  let text = '';
  for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
  await until(() => served.length >= 2);
  assert.equal(served[0]!.arm, 'canary');
  assert.equal(served[0]!.provider, 'b');
  assert.equal(served[0]!.text, r.data.choices[0]!.message.content);
  assert.equal(served[1]!.text, text, 'the streamed text as the client got it');
  assert.equal(served[1]!.usage?.outputTokens, 4);
  assert.equal(served[1]!.usage?.estimated, false);
  assert.equal(served[1]!.finishReason, 'length');
  assert.ok(served[1]!.ttftMs! <= served[1]!.e2eMs);
});

test('a cutover that wants no text (no shadow, no recorder) gets served requests without the answer parsed for it', async () => {
  const h = await h0();
  const served: Served[] = [];
  const cutover: Cutover = {
    plan: async () => ({ provider: 'a', arm: 'primary' }),
    served: (s) => void served.push(s),
    wantsText: () => false,
    close: async () => {},
  };
  const x = await d(h, { cutover });
  await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4 });
  await until(() => served.length >= 1);
  assert.equal(served[0]!.ok, true, 'the guard still sees the outcome');
  assert.equal(served[0]!.usage?.outputTokens !== undefined, true, 'and the usage (read from the answer’s end)');
  assert.equal(served[0]!.text, undefined, 'no text: the answer was not parsed for it');
});

test('a cutover with nothing to do (no canary guard, shadow or recording) is handed no Served; the request is billed as before', async () => {
  const h = await h0();
  const served: Served[] = [];
  let wants = false;
  const rows: LedgerRow[] = [];
  const cutover: Cutover = {
    plan: async () => ({ provider: 'a', arm: 'primary' }),
    served: (s) => void served.push(s),
    wantsServed: () => wants,
    close: async () => {},
  };
  const x = await d(h, { cutover, ledger: { add: (r) => void rows.push(pricedRow(r)), written: () => rows.length, lost: () => 0, close: async () => {} } });
  await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4 });
  await until(() => rows.length >= 1);
  assert.equal(served.length, 0, 'no Served built or handed over');
  assert.equal(rows[0]!.status, 'ok');
  wants = true; // a canary configured on reload: asked per request
  await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 4 });
  await until(() => served.length >= 1);
  assert.equal(served[0]!.provider, 'a');
});

test('no usage from upstream: tokens are counted locally and the row is marked estimated', async () => {
  const h = await h0({ a: { ignoreIncludeUsage: true } });
  const rows: LedgerRow[] = [];
  const x = await d(h, { ledger: { add: (r) => void rows.push(pricedRow(r)), written: () => rows.length, lost: () => 0, close: async () => {} } });
  const s = await x.client('acme').chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 8, stream: true, stream_options: { include_usage: true } });
  let usageSeen = false;
  for await (const c of s) if (c.usage) usageSeen = true;
  assert.equal(usageSeen, false, 'the upstream sent none');
  await until(() => rows.length >= 1);
  assert.equal(rows[0]!.estimated, true);
  assert.ok(rows[0]!.outputTokens >= 4 && rows[0]!.outputTokens <= 16, `estimated ${rows[0]!.outputTokens} for 8 mock words`);
  assert.ok(rows[0]!.inputTokens > 0);
  assert.equal(rows[0]!.status, 'ok');
  assert.equal(rows[0]!.provider, 'a');
  assert.equal(rows[0]!.stream, true);
  assert.ok(rows[0]!.ttftMs !== undefined && rows[0]!.ttftMs <= rows[0]!.latencyMs);
});
