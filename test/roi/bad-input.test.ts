/** Bad input: each one is exit 2 with file:line, the column/value and the fix. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FX, roiFails, roiJson } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

const BAD = (n: string) => FX(`bad/${n}`);

describe('roi bad input', () => {
  test('a non-numeric token count names the physical line (a quoted newline spans two lines)', async () => {
    // header = line 1, the row with "acme\\nwest" = lines 2–3, the bad row = line 4
    const err = await roiFails([BAD('bad-tokens.csv')]);
    assert.match(err, /bad-tokens\.csv:4: column "output_tokens" is "12x", not a whole non-negative number of tokens/);
    assert.match(err, /--skip-bad-rows/);
  });

  test('a negative token count is fatal, or skipped and reported with --skip-bad-rows', async () => {
    const err = await roiFails([BAD('negative-tokens.csv')]);
    assert.match(err, /negative-tokens\.csv:3: column "input_tokens" is "-5"/);
    const { doc, stderr } = await roiJson([BAD('negative-tokens.csv'), '--skip-bad-rows']);
    assert.match(stderr, /skipped 1 bad row \(--skip-bad-rows\)/);
    assert.equal(doc.badRowsSkipped.count, 1);
    // the two good rows: 2 × (1,000·2 + 100·8) = 2 × 2,800 = 5,600 → 0.0056 USD
    assert.equal(doc.totals.requests, 2);
    assert.equal(doc.totals.listPrice.amount, '0.0056');
  });

  test('missing required columns: the columns found, those expected and the --columns fix', async () => {
    const err = await roiFails([BAD('missing-columns.csv')]);
    assert.match(err, /missing-columns\.csv: the header matches no known usage format; the columns found are: date, model, tokens\./);
    assert.match(err, /--columns model=…,input=…,output=…/);
    assert.match(err, /timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests/);
  });

  test('a known format lacking a required column says which', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const dir = tempDir('holy-roi-');
    const f = join(dir, 'act.csv');
    await writeFile(f, 'start_time,end_time,project_id,num_model_requests,input_tokens,output_tokens\n1790812800,1790899200,p,1,10,10\n');
    const err = await roiFails([f]);
    assert.match(err, /looks like the OpenAI activity export but lacks the required column\(s\) model/);
  });

  test('an empty file, a header without rows, a missing file', async () => {
    assert.match(await roiFails([BAD('empty.csv')]), /empty\.csv is empty; expected a header row and usage rows/);
    assert.match(await roiFails([BAD('header-only.csv')]), /header-only\.csv has a header but no rows/);
    assert.match(await roiFails([FX('nope.csv')]), /nope\.csv does not exist; check the path/);
  });

  test('mixed currencies in a cost export', async () => {
    const err = await roiFails([BAD('mixed-currency.csv')]);
    assert.match(err, /mixed-currency\.csv:3: amount_currency is "eur" but line 2 was "usd"/);
  });

  test('unknown models: listed with their token totals and how to price them', async () => {
    const err = await roiFails([BAD('unknown-models.csv')]);
    // mystery-model: 2 rows summed: 200+300 input, 100+100 output, 2 requests
    assert.match(err, /2 models have no price in the built-in price table/);
    assert.match(err, /mystery-model \(2 requests, 500 input of which 0 cached, 200 output tokens/);
    assert.match(err, /ft:gpt-4o-mini:acme::abc123 \(2 requests, 3,000 input of which 1,000 cached, 500 output tokens/);
    assert.match(err, /--prices FILE/);
    assert.match(err, /--unknown-price IN,CACHED,OUT/);
    assert.match(err, /--skip-unknown/);
  });

  test('--unknown-price prices them; --skip-unknown leaves them out and reports them', async () => {
    // gpt-4.1: 1,000,000·2 = 2 USD. At --unknown-price 1,0.5,2:
    //  ft model: (3,000−1,000)·1 + 1,000·0.5 + 500·2 = 2,000 + 500 + 1,000 = 3,500 → 0.0035
    //  mystery:  500·1 + 200·2 = 900 → 0.0009          total 2.0044 USD
    const priced = await roiJson([BAD('unknown-models.csv'), '--unknown-price', '1,0.5,2']);
    assert.equal(priced.doc.totals.listPrice.amount, '2.0044');
    const skipped = await roiJson([BAD('unknown-models.csv'), '--skip-unknown']);
    assert.equal(skipped.doc.totals.listPrice.amount, '2');
    assert.deepEqual(skipped.doc.skippedModels.map((m: any) => m.model).sort(), ['ft:gpt-4o-mini:acme::abc123', 'mystery-model']);
    assert.match(skipped.stderr, /left out mystery-model \(no price; --skip-unknown\): 2 requests, 500 input/);
    assert.match(await roiFails([BAD('unknown-models.csv'), '--unknown-price', '1,2']), /--unknown-price must be three non-negative numbers/);
  });

  test('flag mistakes: rate without currency, spend without currency, bad numbers, --by without the column', async () => {
    assert.match(
      await roiFails(['--monthly-spend', '5000', '--spend-currency', 'USD', '--migration-hours', '40', '--hourly-rate', '150']),
      /--hourly-rate 150 needs --rate-currency USD or CNY/,
    );
    assert.match(await roiFails(['--monthly-spend', '5000']), /--monthly-spend 5000 needs --spend-currency USD or CNY/);
    assert.match(await roiFails([]), /pass one or more usage CSV files/);
    assert.match(await roiFails([FX('canonical.csv'), '--fx', 'seven']), /--fx must be a positive number/);
    assert.match(await roiFails([FX('canonical.csv'), '--top', '0', '--by', 'tenant']), /--top must be a positive whole number/);
    assert.match(await roiFails([FX('canonical.csv'), '--by', 'team']), /--by must be one of model, tenant, project, api_key, day, month/);
    assert.match(await roiFails([FX('canonical.csv'), '--by', 'api_key']), /--by api_key: .*canonical\.csv .*has no api_key column; group it by model, tenant, day, month instead/);
    assert.match(await roiFails([FX('custom.csv'), '--columns', 'model=Model Name,input=Nope,output=Completion']), /--columns names column\(s\) not in the header: input=Nope/);
    assert.match(await roiFails([FX('custom.csv'), '--columns', 'model=Model Name']), /--columns must name at least model, input and output/);
    assert.match(await roiFails([FX('custom.csv'), '--columns', 'model=Model Name,input=Prompt,output=Completion']), /no timestamps.*--days N/);
    assert.match(await roiFails([FX('canonical.csv'), '--csv', '--md']), /--csv and --md cannot be combined/);
  });
});

describe('roi row checks and price files', () => {
  const HEAD = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n';
  test('cached above input, a bad timestamp, a short row — each with its line', async () => {
    assert.match(await roiFails(['-'], { stdin: HEAD + '2026-10-01T00:00:00Z,a,gpt-4.1,100,200,1,1\n' }), /stdin:2: cached tokens \(200\) exceed input tokens \(100\)/);
    assert.match(await roiFails(['-'], { stdin: HEAD + '2026-10-01T00:00:00Z,a,gpt-4.1,1,0,1,1\nyesterday,a,gpt-4.1,1,0,1,1\n' }), /stdin:3: column "timestamp" is "yesterday", not a timestamp/);
    assert.match(await roiFails(['-'], { stdin: HEAD + '2026-10-01T00:00:00Z,a,gpt-4.1\n' }), /stdin:2: has 3 fields but the header has 7/);
    assert.match(await roiFails(['-'], { stdin: HEAD + '2026-13-45T00:00:00Z,a,gpt-4.1,1,0,1,1\n' }), /stdin:2: column "timestamp" is "2026-13-45T00:00:00Z"/);
  });

  test('an empty end time is tolerated (end unknown), a bad one is not', async () => {
    const head = 'request_id,model,prompt_tokens,completion_tokens,startTime,endTime\n';
    // 1,000,000·2.5 = 2.5 USD (gpt-4o); span from the two start times = 1 day
    const ok = await roiJson(['-'], { stdin: head + 'a,gpt-4o,1000000,0,2026-10-01 00:00:00,\nb,gpt-4o,0,0,2026-10-02 00:00:00,2026-10-02 00:00:01\n' });
    assert.equal(ok.doc.totals.listPrice.amount, '2.5');
    assert.equal(ok.doc.period.end, '2026-10-02T00:00:01Z');
    assert.match(await roiFails(['-'], { stdin: head + 'a,gpt-4o,1,0,2026-10-01 00:00:00,later\n' }), /stdin:2: column "endTime" is "later"/);
  });

  test('"-" with a terminal on stdin is refused instead of waiting forever', async () => {
    assert.match(await roiFails(['-'], { stdinTTY: true }), /stdin is a terminal; pipe a file in/);
  });

  test('--prices and --relay-prices (holy format) change the list and relay prices', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const dir = tempDir('holy-roi-prices-');
    const official = join(dir, 'official.json');
    await writeFile(official, JSON.stringify({ models: { 'mystery-model': { input: 1, cachedInput: 0.5, output: 2 } } }));
    const relay = join(dir, 'relay.json');
    await writeFile(relay, JSON.stringify({ models: { 'gpt-4.1': { input: 1, cachedInput: 0.25, output: 4 } } }));
    // unknown-models.csv with mystery-model priced at 1/0.5/2 and the ft: model skipped:
    //  gpt-4.1 1,000,000·2 = 2; mystery 500·1 + 200·2 = 900 → 0.0009; list = 2.0009 USD
    const a = await roiJson([BAD('unknown-models.csv'), '--prices', official, '--skip-unknown']);
    assert.equal(a.doc.totals.listPrice.amount, '2.0009');
    // relay list: gpt-4.1 at the relay's 1/0.25/4 → 1,000,000·1 = 1; mystery not in it → official 0.0009 (warned)
    //  new cost = (1 + 0.0009) × relay rate 1 = 1.0009 CNY
    const b = await roiJson([BAD('unknown-models.csv'), '--prices', official, '--relay-prices', relay, '--skip-unknown']);
    assert.equal(b.doc.totals.relayListPrice.amount, '1.0009');
    assert.equal(b.doc.totals.newCost.amount, '1.0009');
    assert.match(b.stderr, /--relay-prices .* has no price for mystery-model/);
    assert.match(await roiFails([FX('canonical.csv'), '--prices', join(dir, 'missing.json')]), /--prices .*missing\.json does not exist/);
  });

  test('--top with --by model shortens the model table', async () => {
    const { doc } = await roiJson([FX('openai-activity.csv'), '--top', '2']);
    // by savings: gpt-4.1 (3.825), gpt-4o batch (1.0), then gpt-4o-mini (0.6) + gpt-4.1-mini (0.57) = 1.17
    assert.deepEqual(doc.models.map((m: any) => m.key), ['gpt-4.1', 'gpt-4o (batch)', '(other: 2)']);
    assert.equal(doc.models[2].listPrice.amount, '1.17');
  });
});
