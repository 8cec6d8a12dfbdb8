import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costUSD, builtinPriceTable, lookupPrice } from '../../src/core/prices.js';

test('money keeps every digit past decimal.js\'s default 20 significant digits', () => {
  const row = lookupPrice(builtinPriceTable(), 'gpt-4o-mini')!;
  // By hand: 1 cached input token × $0.075 + 1,234,567,890,123,456,789 output tokens × $0.60, per 1M:
  // 0.075 + 740,740,734,074,074,073.4 = 740,740,734,074,074,073.475 µ$ = 740,740,734,074.074073475 USD (21 digits).
  const usd = costUSD(row, { input: 1n, cached: 1n, output: 1_234_567_890_123_456_789n });
  assert.equal(usd.toString(), '740740734074.074073475');
});

test('money precision is a clone: the shared decimal.js constructor keeps its default', async () => {
  const { Decimal: Shared } = await import('decimal.js');
  const { Decimal: Money } = await import('../../src/core/decimal.js');
  assert.equal(Shared.precision, 20);
  assert.equal(Money.precision, 60);
  assert.equal(new Money(1).div(3).toString().length, 62);
  assert.equal(new Shared(1).div(3).toString().length, 22);
});
