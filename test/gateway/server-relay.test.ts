/** The relay's pure parts: SSE events across chunk boundaries, the usage chunk, the usage at the end of an answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseRelay, streamAnswer } from '../../src/gateway/sse.js';
import { usageAtEnd } from '../../src/gateway/proxy.js';
import { planRefusal, servedModel, toolNames } from '../../src/gateway/plans.js';

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const chunk = (content: string) => ev({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content } }] });
const usage = ev({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 3 } } });

test('events split anywhere (even inside a UTF-8 character) come out whole and in order', () => {
  const all = Buffer.from(chunk('hé') + chunk('llo') + usage + 'data: [DONE]\n\n');
  for (let cut = 1; cut < all.length; cut += 7) {
    const r = new SseRelay(false, true);
    const out = r.feed(all.subarray(0, cut)) + r.feed(all.subarray(cut)) + r.end();
    assert.equal(out, all.toString('utf8'));
    assert.deepEqual(r.usage, { inputTokens: 7, cachedTokens: 3, outputTokens: 2 });
    assert.equal(r.model, 'gpt-4o');
    assert.equal(r.sawContent, true);
  }
});

test('the usage-only event is left out when the client did not ask for it; an event is never passed half', () => {
  const r = new SseRelay(true, true);
  assert.equal(r.feed(Buffer.from(chunk('a').slice(0, 10))), '', 'half an event waits');
  const out = r.feed(Buffer.from(chunk('a').slice(10) + usage + 'data: [DONE]\n\n')) + r.end();
  assert.equal(out, chunk('a') + 'data: [DONE]\n\n');
  assert.equal(r.usage?.inputTokens, 7, 'still read');
  assert.deepEqual(streamAnswer(r.kept).text, 'a');
});

test('CRLF-delimited events are relayed too', () => {
  const text = chunk('x').replace(/\n/g, '\r\n') + usage.replace(/\n/g, '\r\n');
  const r = new SseRelay(true, false);
  const out = r.feed(Buffer.from(text)) + r.end();
  assert.equal(out, chunk('x').replace(/\n/g, '\r\n'));
  assert.equal(r.usage?.outputTokens, 2);
});

test('streamAnswer joins text and tool-call pieces', () => {
  const tc = (o: object) => ev({ choices: [{ index: 0, delta: { tool_calls: [o] } }] });
  const a = streamAnswer([tc({ index: 0, id: 'call_1', function: { name: 'look', arguments: '{"q":' } }), tc({ index: 0, function: { name: 'up', arguments: '"x"}' } }), ev({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })]);
  assert.deepEqual(a.toolCalls, [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }]);
  assert.equal(a.finishReason, 'tool_calls');
});

test('usageAtEnd reads the last usage object without parsing the rest, strings with braces included', () => {
  const body = JSON.stringify({ data: [{ embedding: [0.1, 0.2] }], note: 'a } { "usage": no', usage: { prompt_tokens: 12, total_tokens: 12 } });
  assert.deepEqual(usageAtEnd(body), { inputTokens: 12, cachedTokens: 0, outputTokens: 0 });
  assert.equal(usageAtEnd('{"usage": null}'), undefined);
  assert.equal(usageAtEnd('{"x": 1}'), undefined);
  assert.equal(usageAtEnd('{"usage": {"prompt_tokens": 1'), undefined, 'cut off');
});

test('plan checks: models asked or mapped, tools by name / mcp label / type, the output cap', () => {
  const t = { tenant: 't', plan: 'p', rpm: 1, tpm: 1, weight: 1, models: ['gpt-4o'], tools: ['lookup', 'github'], maxTokens: 100 };
  assert.equal(servedModel({ 'gpt-4.5': 'gpt-4o' }, 'gpt-4.5'), 'gpt-4o');
  assert.equal(servedModel({ 'gpt-4.5': 'gpt-4o' }, 'toString'), 'toString', 'own keys only');
  assert.equal(planRefusal(t, 'chat', {}, 'gpt-4.5', 'gpt-4o'), undefined);
  assert.equal(planRefusal(t, 'chat', {}, 'gpt-4.1', 'gpt-4.1')?.code, 'model_not_allowed');
  assert.deepEqual(toolNames({ tools: [{ type: 'function', function: { name: 'lookup' } }, { type: 'mcp', server_label: 'github' }, { type: 'web_search' }], functions: [{ name: 'legacy' }] }), ['lookup', 'github', 'web_search', 'legacy']);
  assert.equal(planRefusal(t, 'chat', { tools: [{ type: 'mcp', server_label: 'github' }] }, 'gpt-4o', 'gpt-4o'), undefined);
  assert.equal(planRefusal(t, 'chat', { tools: [{ type: 'web_search' }] }, 'gpt-4o', 'gpt-4o')?.code, 'tool_not_allowed');
  assert.equal(planRefusal(t, 'chat', { functions: [{ name: 'legacy' }] }, 'gpt-4o', 'gpt-4o')?.code, 'tool_not_allowed');
  assert.equal(planRefusal(t, 'chat', { max_tokens: 100 }, 'gpt-4o', 'gpt-4o'), undefined);
  assert.equal(planRefusal(t, 'chat', { max_completion_tokens: 101 }, 'gpt-4o', 'gpt-4o')?.code, 'max_tokens_exceeded');
  assert.equal(planRefusal(t, 'embeddings', { tools: [{ type: 'web_search' }] }, 'gpt-4o', 'gpt-4o'), undefined);
});
