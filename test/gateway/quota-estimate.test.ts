import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_OUTPUT,
  IMAGE_TOKENS,
  estimateEmbeddingTokens,
  estimateOutputTokens,
  estimatePromptTokens,
  estimateRequestTokens,
  estimateTextTokens,
} from '../../src/core/gateway/estimate.js';
import { countTextTokens } from '../../src/core/tokens.js';

test('text: ceil(ASCII / 4) plus one per other character', () => {
  assert.equal(estimateTextTokens(''), 0);
  assert.equal(estimateTextTokens('abcd'), 1);
  assert.equal(estimateTextTokens('abcde'), 2);
  assert.equal(estimateTextTokens('你好世界'), 4);
  assert.equal(estimateTextTokens('ok 你好'), 1 + 2);
});

test('the estimate stays near the real tokenizer for English, code and Chinese (and over for CJK)', () => {
  const samples = {
    english: 'The gateway counts every request against its tenant’s quota before the call and settles with the real usage after it. '.repeat(40),
    code: 'export function f(a: number, b: number): number { return a * b + Math.floor(a / (b || 1)); }\n'.repeat(40),
    chinese: '网关在调用之前按租户的配额计数，调用之后用真实用量结算差额。'.repeat(40),
  };
  for (const [name, text] of Object.entries(samples)) {
    const real = countTextTokens(text, 'gpt-4o');
    const est = estimateTextTokens(text);
    const ratio = est / real;
    assert.ok(ratio > 0.75 && ratio < 2, `${name}: estimate ${est} vs tokenizer ${real} (${ratio.toFixed(2)}×)`);
  }
});

test('chat: messages with per-message overhead, images, tools; output from max_completion_tokens / max_tokens / plan cap / default, times n', () => {
  const body = {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'abcdabcd' }, // 2
      { role: 'user', content: [{ type: 'text', text: 'abcd' }, { type: 'image_url', image_url: { url: 'data:,' } }] }, // 1 + image
    ],
  };
  const prompt = 3 + 3 + 2 + 3 + 1 + IMAGE_TOKENS;
  assert.equal(estimatePromptTokens(body), prompt);
  assert.equal(estimateOutputTokens(body), DEFAULT_MAX_OUTPUT);
  assert.equal(estimateOutputTokens(body, 256), 256, 'the plan cap when the request names none');
  assert.equal(estimateOutputTokens({ ...body, max_tokens: 100 }, 256), 100);
  assert.equal(estimateOutputTokens({ ...body, max_tokens: 100, max_completion_tokens: 50 }), 50);
  assert.equal(estimateOutputTokens({ ...body, max_tokens: 100, n: 3 }), 300);
  assert.equal(estimateOutputTokens({ ...body, max_tokens: -5 }), DEFAULT_MAX_OUTPUT, 'a nonsense maximum falls back');
  assert.equal(estimateRequestTokens('chat', { ...body, max_tokens: 10 }), prompt + 10);
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
  assert.equal(estimatePromptTokens({ ...body, tools }), prompt + estimateTextTokens(JSON.stringify(tools)));
  assert.equal(estimatePromptTokens({ model: 'x' }), 3, 'no messages: priming only');
});

test('embeddings: strings, arrays of strings, token arrays', () => {
  assert.equal(estimateEmbeddingTokens({ input: 'abcdefgh' }), 2);
  assert.equal(estimateEmbeddingTokens({ input: ['abcd', 'abcd'] }), 2);
  assert.equal(estimateEmbeddingTokens({ input: [1, 2, 3] }), 3);
  assert.equal(estimateEmbeddingTokens({ input: [[1, 2], [3]] }), 3);
  assert.equal(estimateRequestTokens('embeddings', { input: 'abcd', max_tokens: 999 }), 1, 'no output side for embeddings');
});

test('a 4 MB prompt is estimated in one linear pass (no tokenizer on the event loop)', () => {
  const big = 'x'.repeat(4 * 1024 * 1024);
  assert.equal(estimatePromptTokens({ messages: [{ role: 'user', content: big }] }), 3 + 3 + 1024 * 1024);
});
