/** Encodings and transports (gzip, BOM, CRLF, stdin), exactness at scale, row order, quick mode and renderings. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runHoly } from '../helpers/ctx.js';
import { FX, eqDec, money, roiJson, roiFails } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

let dir = '';
before(async () => {
  dir = tempDir('holy-roi-');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('roi input variants', () => {
  test('gzip (by content, whatever the name), UTF-8 BOM and CRLF give the same totals', async () => {
    const text = await readFile(FX('openai-activity.csv'), 'utf8');
    const gz = join(dir, 'activity.csv.gz');
    await writeFile(gz, gzipSync(text));
    const misnamed = join(dir, 'activity-gz.csv');
    await writeFile(misnamed, gzipSync(text));
    const bomCrlf = join(dir, 'activity-bom-crlf.csv');
    await writeFile(bomCrlf, '\ufeff' + text.replace(/\n/g, '\r\n'));
    for (const f of [gz, misnamed, bomCrlf]) {
      const { doc, stderr } = await roiJson([f]);
      assert.match(stderr, /as OpenAI activity export, 5 rows/, f);
      money(doc.totals.listPrice, '5.995', 'USD', f); // as in formats.test.ts
    }
    assert.equal((await roiJson([gz])).doc.inputs[0].gzip, true);
  });

  test('CRLF inside quoted fields and a last line without a newline', async () => {
    const f = join(dir, 'litellm-crlf.csv');
    const text = (await readFile(FX('litellm-spend.csv'), 'utf8')).replace(/\n/g, '\r\n').replace(/\r\n$/, '');
    await writeFile(f, text);
    const { doc } = await roiJson([f]);
    money(doc.totals.listPrice, '0.0508', 'USD');
  });

  test('"-" reads stdin, plain or gzip', async () => {
    const text = await readFile(FX('canonical.csv'), 'utf8');
    const plain = await roiJson(['-'], { stdin: text });
    money(plain.doc.totals.listPrice, '8.25', 'USD');
    assert.match(plain.stderr, /read stdin as holy's canonical usage CSV, 3 rows/);
  });

  test('a bad line number is physical even after a quoted multi-line field in stdin', async () => {
    const text = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n2026-10-01T00:00:00Z,"a\nb\nc",gpt-4.1,1,0,1,1\n2026-10-02T00:00:00Z,x,gpt-4.1,1,0,1,abc\n';
    assert.match(await roiFails(['-'], { stdin: text }), /stdin:5: column "requests" is "abc"/);
  });

  test('an unclosed quote names the line it opened on', async () => {
    const text = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n2026-10-01T00:00:00Z,x,gpt-4.1,1,0,1,1\n2026-10-02T00:00:00Z,"oops,gpt-4.1,1,0,1,1\n';
    assert.match(await roiFails(['-'], { stdin: text }), /stdin:3: a quoted field opened on this line is never closed/);
  });

  test('100,000 rows of one token each sum exactly, in any order', async () => {
    // 100,000 rows × (input 1, cached 0, output 1) of gpt-4.1 = 100,000·2 + 100,000·8 per 1M = 0.2 + 0.8 = 1 USD exactly.
    const head = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n';
    const rows: string[] = [];
    for (let i = 0; i < 100_000; i++) rows.push(`${1790812800 + (i % 86400)},t${i % 7},gpt-4.1,1,0,1,1`);
    const f1 = join(dir, 'many.csv');
    await writeFile(f1, head + rows.join('\n') + '\n');
    const a = await roiJson([f1]);
    money(a.doc.totals.listPrice, '1', 'USD');
    money(a.doc.totals.oldCost, '7.3', 'CNY');
    assert.equal(a.doc.totals.inputTokens, 100_000);
    const f2 = join(dir, 'many-reversed.csv');
    await writeFile(f2, head + rows.reverse().join('\n') + '\n');
    const b = await roiJson([f2, '--by', 'tenant']);
    assert.deepEqual(b.doc.totals, a.doc.totals);
    // 0.1-USD-ish sums that drift in floating point: 10 rows of 0.1 USD each = exactly 1.
    const tenths = head + Array.from({ length: 10 }, (_, i) => `${1790812800 + i},t,gpt-4.1,50000,0,0,1`).join('\n') + '\n';
    money((await roiJson(['-'], { stdin: tenths })).doc.totals.listPrice, '1', 'USD', '10 × 50,000 × 2 / 1M');
  });

  test('a request_id repeated across two ledger files is counted once', async () => {
    // Another export of the same requests (one more blank line, so not the same bytes: the same file
    // twice is read once, see first-hour tests): its 5 rows repeat: 4 unique requests, 1 + 5 duplicates.
    const again = join(dir, 'ledger-again.csv');
    await writeFile(again, (await readFile(FX('ledger.csv'), 'utf8')) + '\n');
    const { doc } = await roiJson([FX('ledger.csv'), again]);
    assert.equal(doc.totals.requests, 4);
    assert.equal(doc.duplicates.count, 6);
    money(doc.totals.listPrice, '0.02329', 'USD');
  });
});

describe('roi quick mode (the seeds’ example, corrected)', () => {
  test('rate in CNY: ¥378,000 a year, migration ¥6,000, ROI 6200%, payback 0.19 months', async () => {
    const { doc } = await roiJson(['--monthly-spend', '5000', '--spend-currency', 'USD', '--fx', '7.3', '--relay-rate', '1', '--migration-hours', '40', '--hourly-rate', '150', '--rate-currency', 'CNY']);
    // annual savings = 5000 × (7.3 − 1) × 12 = 378,000 CNY
    money(doc.annual.savings, '378000', 'CNY');
    money(doc.monthly.savings, '31500', 'CNY');
    money(doc.migration.cost, '6000', 'CNY', '40 × 150');
    // ROI = (378,000 − 6,000) / 6,000 = 62 → 6200%; payback 6,000 / 31,500 = 0.190476… months × 30.4375 = 5.797… days
    eqDec(doc.migration.firstYearRoiPct, '6200');
    assert.ok(Math.abs(Number(doc.migration.paybackMonths) - 6000 / 31500) < 1e-15);
    assert.ok(Math.abs(Number(doc.migration.paybackDays) - (6000 / 31500) * 30.4375) < 1e-12);
  });

  test('rate in USD: migration ¥43,800 (40 × 150 × 7.3), not ¥6,000', async () => {
    const { doc } = await roiJson(['--monthly-spend', '5000', '--spend-currency', 'USD', '--migration-hours', '40', '--hourly-rate', '150', '--rate-currency', 'USD']);
    money(doc.migration.cost, '6000', 'USD');
    money(doc.migration.costConverted, '43800', 'CNY');
    // ROI = (378,000 − 43,800) / 43,800 × 100 = 763.0137%; payback 43,800 / 31,500 = 1.390476 months
    assert.ok(Math.abs(Number(doc.migration.firstYearRoiPct) - ((378000 - 43800) / 43800) * 100) < 1e-9);
    assert.ok(Math.abs(Number(doc.migration.paybackMonths) - 43800 / 31500) < 1e-15);
  });

  test('a CNY spend converts at --fx; the sensitivity grid spans rate and markup', async () => {
    const { doc } = await roiJson(['--monthly-spend', '36500', '--spend-currency', 'CNY', '--fx-range', '6.5:7.3:0.4', '--markup-range', '0,20']);
    // 36,500 CNY / 7.3 = 5,000 USD of list price → same ¥378,000
    money(doc.annual.savings, '378000', 'CNY');
    assert.deepEqual(doc.sensitivity.fxCNYPerUSD, ['6.5', '6.9', '7.3']);
    assert.deepEqual(doc.sensitivity.relayMarkupPct, ['0', '20']);
    // fx 6.5, markup 20%: (5000·6.5 − 5000·1·1.2) × 12 = (32,500 − 6,000) × 12 = 318,000
    money(doc.sensitivity.annualSavings[0][1], '318000', 'CNY');
    money(doc.sensitivity.annualSavings[2][0], '378000', 'CNY');
  });

  test('human output shows the figures with their currencies', async () => {
    const r = await runHoly(['roi', '--monthly-spend', '5000', '--spend-currency', 'USD', '--migration-hours', '40', '--hourly-rate', '150', '--rate-currency', 'CNY']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /savings \/ year\t¥378,000\.00/);
    assert.match(r.stdout, /migration cost\t40 h × ¥150\.00\/h = ¥6,000\.00/);
    assert.match(r.stdout, /first-year ROI\t6200\.0%/);
    assert.match(r.stdout, /payback\t0\.19 months \(5\.8 days\)/);
  });
});

describe('roi renderings', () => {
  test('TTY: boxed tables with share bars; piped: TSV without colour or bars', async () => {
    const tty = await runHoly(['roi', FX('openai-activity.csv'), '--by', 'project'], { stdoutTTY: true, stderrTTY: false, env: { FORCE_COLOR: '1' } });
    assert.equal(tty.code, 0);
    assert.match(tty.stdout, /┌/);
    // proj_alpha saves 4.425/5.995 = 73.8% of the total; the bar fits the 120-column terminal on one line
    const alpha = tty.stdout.split('\n').find((l) => l.includes('proj_alpha'))!;
    assert.match(alpha, /█+░+ 73\.8%/);
    assert.ok(alpha.replace(/\u001b\[[0-9;]*m/g, '').length <= 120, alpha);
    const piped = await runHoly(['roi', FX('openai-activity.csv'), '--by', 'project']);
    assert.doesNotMatch(piped.stdout, /█|\u001b\[/);
    assert.match(piped.stdout, /^project\trequests\tinput\tcached\toutput\told cost\tnew cost\tsavings\tsaved %$/m);
    assert.match(piped.stdout, /^proj_alpha\t460\t3,250,000\t450,000\t750,000\t¥32\.30\t¥4\.43\t¥27\.87\t86\.3%$/m); // 32.30 − 4.43 as shown
  });

  test('--top N sums the rest as "(other)"', async () => {
    const { doc } = await roiJson([FX('openai-activity.csv'), '--by', 'project', '--top', '1']);
    assert.deepEqual(doc.groups.rows.map((r: any) => r.key), ['proj_alpha', '(other: 1)']);
    money(doc.groups.rows[1].listPrice, '1.57', 'USD');
  });

  test('--by day and month group by UTC date', async () => {
    const day = await roiJson([FX('openai-activity.csv'), '--by', 'day']);
    // 2026-10-01: 3.0 + 0.6 + 1.0 = 4.6; 2026-10-02: 0.57 + 0.825 = 1.395
    assert.deepEqual(day.doc.groups.rows.map((r: any) => [r.key, r.listPrice.amount]), [['2026-10-01', '4.6'], ['2026-10-02', '1.395']]);
    const month = await roiJson([FX('openai-activity.csv'), '--by', 'month']);
    assert.deepEqual(month.doc.groups.rows.map((r: any) => r.key), ['2026-10']);
  });

  test('--csv prints exact amounts; --md a pasteable report', async () => {
    const csv = await runHoly(['roi', FX('openai-activity.csv'), '--csv']);
    assert.equal(csv.code, 0);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines[0], 'model,requests,input_tokens,cached_input_tokens,output_tokens,list_price_USD,old_cost_CNY,new_cost_CNY,savings_CNY,savings_pct');
    assert.match(csv.stdout, /^total,590,4150000,550000,1100000,5\.995,43\.7635,5\.995,37\.7685,/m);
    const md = await runHoly(['roi', FX('openai-activity.csv'), '--md']);
    assert.match(md.stdout, /^## Summary$/m);
    assert.match(md.stdout, /^\| savings \/ year \| ¥6,897\.47 \|$/m);
  });
});
