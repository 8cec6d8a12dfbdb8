/** Every input format on its fixture, with totals worked out by hand from the reference prices in docs/definitions.md. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FX, eqDec, money, roiJson } from './helpers.js';

describe('roi on each fixture format (exact totals by hand)', () => {
  test('OpenAI activity export: cached tokens, batch prices, snapshot folding, daily buckets', async () => {
    const { doc, stderr } = await roiJson([FX('openai-activity.csv'), '--by', 'project']);
    assert.match(stderr, /read .*openai-activity\.csv as OpenAI activity export, 5 rows \(timestamps: epoch seconds\)/);
    // Row by row, USD per 1M tokens (input / cached / output):
    //  gpt-4.1 snapshot: (1,000,000−400,000)·2 + 400,000·0.5 + 200,000·8 = 1.2 + 0.2 + 1.6 = 3.0
    //  gpt-4o-mini:      2,000,000·0.15 + 500,000·0.60                    = 0.3 + 0.3       = 0.6
    //  gpt-4o batch:     400,000·1.25 + 100,000·5.00 (half of 2.50/10)    = 0.5 + 0.5       = 1.0
    //  gpt-4.1-mini:     400,000·0.4 + 100,000·0.1 + 250,000·1.6          = 0.16+0.01+0.4   = 0.57
    //  gpt-4.1:          200,000·2 + 50,000·0.5 + 50,000·8                = 0.4+0.025+0.4   = 0.825
    //  total = 5.995 USD; old = 5.995 × 7.3 = 43.7635 CNY; new = 5.995 × 1 = 5.995; savings 37.7685
    const t = doc.totals;
    assert.equal(t.requests, 590);
    assert.equal(t.inputTokens, 4_150_000);
    assert.equal(t.cachedInputTokens, 550_000);
    assert.equal(t.outputTokens, 1_100_000);
    money(t.listPrice, '5.995', 'USD', 'list');
    money(t.oldCost, '43.7635', 'CNY', 'old');
    money(t.newCost, '5.995', 'CNY', 'new');
    money(t.savings, '37.7685', 'CNY', 'savings');
    // Span: 2026-10-01T00:00Z (first start_time) → 2026-10-03T00:00Z (last end_time) = 2 days.
    // monthly = total × 30.4375/2 = 37.7685 × 15.21875 = 574.789359375; annual × 12 = 6897.4723125
    eqDec(doc.period.days, '2');
    money(doc.monthly.savings, '574.789359375', 'CNY', 'monthly');
    money(doc.annual.savings, '6897.4723125', 'CNY', 'annual');
    const models = Object.fromEntries(doc.models.map((m: any) => [m.key, m]));
    money(models['gpt-4.1'].listPrice, '3.825', 'USD', 'gpt-4.1 folds the snapshot: 3.0 + 0.825');
    assert.deepEqual(models['gpt-4.1'].modelIds.sort(), ['gpt-4.1', 'gpt-4.1-2025-04-14']);
    money(models['gpt-4o (batch)'].listPrice, '1', 'USD', 'batch at half price');
    money(models['gpt-4o-mini'].listPrice, '0.6', 'USD');
    money(models['gpt-4.1-mini'].listPrice, '0.57', 'USD');
    // By project: alpha = 3.0 + 0.6 + 0.825 = 4.425; beta = 1.0 + 0.57 = 1.57 (sorted by savings).
    assert.deepEqual(doc.groups.rows.map((r: any) => r.key), ['proj_alpha', 'proj_beta']);
    money(doc.groups.rows[0].listPrice, '4.425', 'USD');
    money(doc.groups.rows[1].listPrice, '1.57', 'USD');
  });

  test('OpenAI cost export: money only, quoted line items with commas', async () => {
    const { doc, stderr } = await roiJson([FX('openai-costs.csv'), '--by', 'project']);
    assert.match(stderr, /as OpenAI cost export, 4 rows/);
    // 12.50 + 30.00 + 2.25 + 5.25 = 50.00 USD; old 50 × 7.3 = 365; new 50; savings 315
    money(doc.totals.listPrice, '50', 'USD');
    money(doc.totals.oldCost, '365', 'CNY');
    money(doc.totals.savings, '315', 'CNY');
    assert.equal(doc.totals.inputTokens, 0);
    // line items "gpt-4.1-2025-04-14, input" and "…, output" fold to gpt-4.1 = 42.50; gpt-4o-mini = 7.50
    const models = Object.fromEntries(doc.models.map((m: any) => [m.key, m]));
    money(models['gpt-4.1'].listPrice, '42.5', 'USD');
    money(models['gpt-4o-mini'].listPrice, '7.5', 'USD');
    // 2 days: monthly savings = 315 × 15.21875 = 4793.90625
    money(doc.monthly.savings, '4793.90625', 'CNY');
  });

  test('per-request ledger: duplicate request_id counted once and reported, SQLite timestamps', async () => {
    const { doc, stderr } = await roiJson([FX('ledger.csv'), '--by', 'tenant']);
    assert.match(stderr, /1 duplicate row .*req-0001 at .*ledger\.csv:3/);
    assert.equal(doc.duplicates.count, 1);
    // The seeds' cost_usd column (output tokens only) is ignored; holy prices every token:
    //  gpt-4.1:            1,200·2 + 300·8       = 2,400 + 2,400 = 4,800 → 0.0048
    //  claude-sonnet-4-5:  2,000·3 + 500·15      = 6,000 + 7,500 = 13,500 → 0.0135
    //  deepseek-chat:      10,000·0.28 + 2,000·0.42 = 2,800 + 840 = 3,640 → 0.00364
    //  gpt-4o-mini snap.:  5,000·0.15 + 1,000·0.6 = 750 + 600   = 1,350 → 0.00135
    //  total = 0.02329 USD (the duplicate's 0.0048 not added again)
    assert.equal(doc.totals.requests, 4);
    assert.equal(doc.totals.inputTokens, 18_200);
    money(doc.totals.listPrice, '0.02329', 'USD');
    money(doc.totals.oldCost, '0.170017', 'CNY', '0.02329 × 7.3');
    // tenants: acme = 0.0048 + 0.00135 = 0.00615; globex = 0.0135 + 0.00364 = 0.01714
    const g = Object.fromEntries(doc.groups.rows.map((r: any) => [r.key, r]));
    money(g.acme.listPrice, '0.00615', 'USD');
    money(g.globex.listPrice, '0.01714', 'USD');
    // 2026-10-01 08:00 → 2026-10-03 08:00 = 2 days
    eqDec(doc.period.days, '2');
  });

  test('LiteLLM spend logs: provider prefixes, offsets, quoted JSON and a newline inside a field', async () => {
    const { doc, stderr } = await roiJson([FX('litellm-spend.csv'), '--by', 'tenant']);
    assert.match(stderr, /as LiteLLM spend logs, 3 rows/);
    //  openai/gpt-4o:     10,000·2.5 + 2,000·10  = 25,000 + 20,000 = 45,000 → 0.045
    //  gemini-2.5-flash:  3,000·0.3 + 1,000·2.5  = 900 + 2,500     = 3,400  → 0.0034
    //  gpt-4.1-mini:      4,000·0.4 + 500·1.6    = 1,600 + 800     = 2,400  → 0.0024
    //  total 0.0508 USD
    money(doc.totals.listPrice, '0.0508', 'USD');
    // earliest start 2026-10-01T16:00:00+08:00 = 08:00Z; latest end 2026-10-04T08:00:00Z → 3 days
    assert.equal(doc.period.start, '2026-10-01T08:00:00Z');
    assert.equal(doc.period.end, '2026-10-04T08:00:00Z');
    eqDec(doc.period.days, '3');
    const g = Object.fromEntries(doc.groups.rows.map((r: any) => [r.key, r]));
    money(g['team-red'].listPrice, '0.0474', 'USD', '0.045 + 0.0024');
    money(g['team-blue'].listPrice, '0.0034', 'USD');
  });

  test("holy's canonical CSV, --currency USD and a relay markup", async () => {
    const { doc } = await roiJson([FX('canonical.csv'), '--currency', 'USD', '--relay-markup', '10']);
    //  gpt-4.1:       1,000,000·2 + 1,000,000·0.5 + 500,000·8     = 2 + 0.5 + 4     = 6.5
    //  gpt-4o-mini:   2,000,000·0.15 + 2,000,000·0.075 + 1M·0.6   = 0.3 + 0.15 + 0.6 = 1.05
    //  deepseek-v3.2: 1,000,000·0.28 + 1,000,000·0.42             = 0.7
    //  total 8.25 USD. Old in USD = 8.25 (list); new = 8.25 × 1 × 1.10 = 9.075 CNY = 9.075/7.3 USD
    money(doc.totals.listPrice, '8.25', 'USD');
    money(doc.totals.oldCost, '8.25', 'USD');
    assert.equal(doc.totals.newCost.currency, 'USD');
    assert.ok(Math.abs(Number(doc.totals.newCost.amount) - 9.075 / 7.3) < 1e-12);
    assert.equal(doc.totals.requests, 1400);
    // 2026-10-01 → 2026-10-31 = 30 days
    eqDec(doc.period.days, '30');
  });

  test('--columns maps any CSV; epoch milliseconds are recognised', async () => {
    const { doc, stderr } = await roiJson([
      FX('custom.csv'),
      '--columns',
      'model=Model Name,input=Prompt,cached=Cached,output=Completion,tenant=Team,time=Date,requests=Calls',
      '--by',
      'tenant',
    ]);
    assert.match(stderr, /as --columns mapping, 2 rows \(timestamps: epoch milliseconds\)/);
    // gpt-4.1: 1M·2 + 1M·8 = 10; gpt-4o: 1M·2.5 = 2.5 → 12.5 USD; 3 days; 15 requests
    money(doc.totals.listPrice, '12.5', 'USD');
    assert.equal(doc.totals.requests, 15);
    eqDec(doc.period.days, '3');
    assert.deepEqual(doc.groups.rows.map((r: any) => r.key), ['red', 'blue']);
  });

  test('several files at once add up, and --days replaces the span', async () => {
    const both = await roiJson([FX('canonical.csv'), FX('ledger.csv')]);
    // 8.25 + 0.02329 = 8.27329 USD; span 2026-10-01T00:00Z → 2026-10-31T00:00Z = 30 days
    money(both.doc.totals.listPrice, '8.27329', 'USD');
    assert.equal(both.doc.inputs.length, 2);
    eqDec(both.doc.period.days, '30');
    const { doc } = await roiJson([FX('canonical.csv'), '--days', '61']);
    assert.equal(doc.period.source, '--days');
    // old − new = 8.25 × (7.3 − 1) = 51.975 CNY over 61 days → monthly = 51.975 × 30.4375 / 61
    const monthly = Number(doc.monthly.savings.amount);
    assert.ok(Math.abs(monthly - (51.975 * 30.4375) / 61) < 1e-9, String(monthly));
  });
});
