import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countRequestTokens, countTextTokens, encodingFor } from '../../src/core/tokens.js';

describe('local token counts', () => {
  test('encoding per model family', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'openai/gpt-4.1', 'o3-mini', 'o1', 'gpt-5']) assert.equal(encodingFor(m), 'o200k_base', m);
    for (const m of ['gpt-4', 'gpt-3.5-turbo', 'deepseek-chat', undefined]) assert.equal(encodingFor(m), 'cl100k_base', String(m));
  });
  test('known counts (tiktoken reference values)', () => {
    // "hello world" is 2 tokens in both encodings; "tiktoken is great!" is 6 in cl100k_base.
    assert.equal(countTextTokens('hello world', 'gpt-4o'), 2);
    assert.equal(countTextTokens('tiktoken is great!', 'gpt-4'), 6);
    assert.equal(countTextTokens(''), 0);
    assert.ok(countTextTokens('你好，世界', 'gpt-4o') > 0);
  });
  test('special-token text is counted, not rejected', () => {
    assert.ok(countTextTokens('a <|endoftext|> b') > 3);
  });
  test('request count = 3 priming + per message (3 + role + content)', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello world' }] };
    // 3 priming + 3 per-message + 1 ("user") + 2 ("hello world")
    assert.equal(countRequestTokens(body), 9);
    const parts = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url', image_url: { url: 'x' } }] }] };
    assert.equal(countRequestTokens(parts), 9);
    const named = { model: 'gpt-4o', messages: [{ role: 'user', name: 'bob', content: 'hello world' }] };
    assert.equal(countRequestTokens(named), 9 + 1 + countTextTokens('bob', 'gpt-4o'));
  });
  test('tools and bad messages', () => {
    const withTools = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] };
    assert.ok(countRequestTokens(withTools) > countRequestTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    assert.equal(countRequestTokens({ model: 'gpt-4o', messages: [null, 3] as unknown[] }), 3);
  });
});

describe('against gpt-tokenizer encodeChat', () => {
  test('plain chats count exactly what encodeChat renders', async () => {
    const { createRequire } = await import('node:module');
    const g = createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as { encodeChat(c: unknown[], m: string): number[] };
    const chat = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is the capital of France? 你好世界' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'Thanks!' },
    ];
    assert.equal(countRequestTokens({ model: 'gpt-4o', messages: chat }), g.encodeChat(chat, 'gpt-4o').length);
  });
});
