import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinPriceTable, costUSD, lookupPrice, parsePriceFile, type PriceTable } from '../../src/core/prices.js';
import { normaliseModel, suggestMapping, closestModels } from '../../src/core/models.js';

test('normaliseModel drops snapshots and unifies spellings', () => {
  assert.equal(normaliseModel('gpt-4o-2024-08-06'), 'gpt-4o');
  assert.equal(normaliseModel('claude-sonnet-4-5'), 'claude-sonnet-4.5');
  assert.equal(normaliseModel('claude-sonnet-4-5-20250929'), 'claude-sonnet-4.5');
  assert.equal(normaliseModel('claude-3-opus-20240229'), 'claude-3-opus');
  assert.equal(normaliseModel('openai/GPT-4.1'), 'gpt-4.1');
  assert.equal(normaliseModel('gpt-3.5-turbo-0125'), 'gpt-3.5-turbo');
  assert.equal(normaliseModel('deepseek-chat'), 'deepseek-v3.2');
  assert.equal(normaliseModel('gpt-4.1-mini'), 'gpt-4.1-mini');
});

test('suggested mapping follows the seeds', () => {
  assert.equal(suggestMapping('gpt-4-turbo-2024-04-09'), 'gpt-4.1');
  assert.equal(suggestMapping('gpt-3.5-turbo'), 'gpt-4o-mini');
  assert.equal(suggestMapping('claude-3-opus-20240229'), 'claude-sonnet-4.5');
  assert.equal(suggestMapping('gemini-pro'), 'gemini-2.5-flash');
  assert.deepEqual(closestModels('gpt-4.1-mni', ['gpt-4o', 'gpt-4.1-mini', 'gpt-4.1'], 1), ['gpt-4.1-mini']);
});

test('cost uses (input − cached)·in + cached·cached + output·out, exactly', () => {
  const t = builtinPriceTable();
  const row = lookupPrice(t, 'gpt-4.1-2025-04-14')!;
  // 1,000,000 input of which 400,000 cached, 250,000 output:
  // 600,000×2 + 400,000×0.5 + 250,000×8 = 1.2 + 0.2 + 2.0 = 3.4 USD
  assert.equal(costUSD(row, { input: 1_000_000, cached: 400_000, output: 250_000 }).toString(), '3.4');
  assert.equal(costUSD(row, { input: 1_000_000, cached: 400_000, output: 250_000 }, true).toString(), '1.7');
  const mini = lookupPrice(t, 'gpt-4o-mini')!;
  assert.equal(costUSD(mini, { input: 3, cached: 1, output: 7 }).toString(), '0.000004575'); // 2×.15+1×.075+7×.6 = 4.575 µ$
});

test('LiteLLM price files are read per token and override the table', () => {
  const t = parsePriceFile(JSON.stringify({ 'gpt-4.1': { input_cost_per_token: 1.5e-7, cache_read_input_token_cost: 5e-8, output_cost_per_token: 6e-7, input_cost_per_token_batches: 7.5e-8, output_cost_per_token_batches: 3e-7 } }), 'p.json');
  const r = lookupPrice(t, 'gpt-4.1')!;
  assert.deepEqual([r.input, r.cachedInput, r.output, r.batchInput, r.batchOutput], ['0.15', '0.05', '0.6', '0.075', '0.3']);
  assert.ok(lookupPrice(t, 'gpt-4o'), 'built-in rows remain');
  assert.throws(() => parsePriceFile('{"models":{"x":{"input":"abc","output":1}}}', 'p.json'), /p\.json: models\.x\.input must be a non-negative number/);
  assert.throws(() => parsePriceFile('{nope', 'p.json'), /p\.json is not valid JSON/);
});

test('lookupPrice answers the same from its memo, per table: dated and vendor spellings, unknown ids, a second table', () => {
  const t = builtinPriceTable();
  const other: PriceTable = { rows: new Map([['gpt-4o', { ...t.rows.get('gpt-4o')!, input: '99' }]]), origin: 'test' };
  for (let round = 0; round < 3; round++) {
    assert.equal(lookupPrice(t, 'gpt-4o-2024-08-06'), t.rows.get('gpt-4o'));
    assert.equal(lookupPrice(t, 'openai/GPT-4o'), t.rows.get('gpt-4o'));
    assert.equal(lookupPrice(t, 'no-such-model'), undefined);
    assert.equal(lookupPrice(other, 'gpt-4o-2024-08-06')!.input, '99', 'another table is not answered from the first one’s memo');
  }
});
