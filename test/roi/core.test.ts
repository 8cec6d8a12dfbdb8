/** Pure pieces of roi: counts, timestamps, the id set, money formatting, period and ROI arithmetic. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../../src/core/decimal.js';
import { Aggregator, countsOf, parseCount } from '../../src/core/roi/aggregate.js';
import { IdSet } from '../../src/core/roi/idset.js';
import { TimeParser, detectTimeKind } from '../../src/core/roi/time.js';
import { formatMoney, groupDigits } from '../../src/core/roi/money.js';
import { periodOf } from '../../src/core/roi/period.js';
import { parseRange, roiOf } from '../../src/core/roi/roi.js';
import { HolyError } from '../../src/errors.js';
import { scanRecords, type CsvRecord } from '../../src/adapters/usage/records.js';

describe('roi core', () => {
  test('parseCount is strict: digits (and .0) only', () => {
    assert.equal(parseCount('0'), 0);
    assert.equal(parseCount('1234567'), 1_234_567);
    assert.equal(parseCount('12.0'), 12);
    for (const bad of ['', '-5', '1e3', '0x10', ' 12', '12.5', 'abc', '99999999999999999999']) assert.equal(parseCount(bad), -1, bad);
  });

  test('sums stay exact past 2^53 (spill into BigInt)', () => {
    const a = new Aggregator();
    // 4 × 2^51 = 2^53 input tokens, plus 1: a Number sum would lose the final +1.
    for (let i = 0; i < 4; i++) a.add('gpt-4.1', false, '', 1, 2 ** 51, 0, 0, NaN, NaN);
    a.add('gpt-4.1', false, '', 1, 1, 0, 0, NaN, NaN);
    const [g] = a.groups;
    assert.equal(countsOf(g!).input, 2n ** 53n + 1n);
    assert.equal(countsOf(g!).requests, 5n);
  });

  test('a single row near 2^53 added to a group already near 2^52 stays exact', () => {
    const a = new Aggregator();
    a.add('gpt-4.1', false, '', 1, 2 ** 52, 0, 0, NaN, NaN);
    a.add('gpt-4.1', false, '', 1, Number.MAX_SAFE_INTEGER, 0, 0, NaN, NaN);
    const [g] = a.groups;
    assert.equal(countsOf(g!).input, 2n ** 52n + BigInt(Number.MAX_SAFE_INTEGER));
  });

  test('IdSet finds every repeat and no false repeats among 300k distinct ids; string and byte hashes agree', () => {
    const s = new IdSet();
    for (let i = 0; i < 300_000; i++) assert.equal(s.add(`req-${i}`), true);
    assert.equal(s.size, 300_000);
    for (let i = 0; i < 300_000; i += 997) assert.equal(s.add(`req-${i}`), false);
    const b = Buffer.from('req-42');
    assert.equal(s.addBytes(b, 0, b.length), false);
    assert.equal(s.add('请求-1'), true);
    const u = Buffer.from('请求-1');
    assert.equal(s.addBytes(u, 0, u.length), false, 'non-ASCII id hashes the UTF-8 bytes both ways');
    const r = new IdSet();
    r.reserve(1000);
    for (let i = 0; i < 5000; i++) r.add(`x${i}`);
    assert.equal(r.size, 5000);
  });

  test('timestamps: epoch seconds, epoch ms, ISO with and without offsets', () => {
    assert.equal(detectTimeKind('1790812800'), 'epoch-s');
    assert.equal(detectTimeKind('1790812800000'), 'epoch-ms');
    assert.equal(detectTimeKind('2026-10-01'), 'iso');
    const T = Date.UTC(2026, 9, 1, 8, 0, 0);
    const p = new TimeParser();
    assert.equal(p.parse('2026-10-01 08:00:00'), T);
    assert.equal(p.parse('2026-10-01T08:00:00Z'), T);
    assert.equal(p.parse('2026-10-01T16:00:00+08:00'), T);
    assert.equal(p.parse('2026-10-01T03:30:00-0430'), T);
    assert.equal(p.parse('2026-10-01 08:00:00.250000'), T + 250);
    assert.equal(p.parse('2026-10-01'), Date.UTC(2026, 9, 1));
    assert.ok(Number.isNaN(p.parse('2026-02-30 00:00:00')));
    assert.ok(Number.isNaN(p.parse('2026-10-01 25:00:00')));
    assert.ok(Number.isNaN(p.parse('soon')));
    const s = new TimeParser();
    assert.equal(s.parse('1790812800'), 1790812800000);
    assert.ok(Number.isNaN(s.parse('2026-10-01')), 'a column is one kind');
    assert.equal(s.dayKey(1790812800000 + 86_399_000), '2026-10-01');
  });

  test('money display rounds half up, groups digits, keeps the sign', () => {
    assert.equal(formatMoney(new Decimal('378000'), 'CNY'), '¥378,000.00');
    assert.equal(formatMoney(new Decimal('0.005'), 'USD'), '$0.01');
    assert.equal(formatMoney(new Decimal('-1234.5'), 'USD'), '-$1,234.50');
    assert.equal(formatMoney(new Decimal('-0.001'), 'CNY'), '¥0.00');
    assert.equal(groupDigits(1234567n), '1,234,567');
  });

  test('period: span in days, --days, and the errors when unknown', () => {
    const p = periodOf(Date.UTC(2026, 9, 1), Date.UTC(2026, 9, 31), undefined);
    assert.equal(p.days.toString(), '30');
    // 30.4375 / 30 = 1.0145833…
    assert.equal(p.monthlyFactor.toString(), new Decimal('30.4375').div(30).toString());
    assert.equal(periodOf(Infinity, -Infinity, 7).days.toString(), '7');
    assert.throws(() => periodOf(Infinity, -Infinity, undefined), (e: unknown) => e instanceof HolyError && e.exitCode === 2 && /--days N/.test(e.message));
    assert.throws(() => periodOf(5, 5, undefined), /same time/);
  });

  test('ROI: the seeds’ example in both rate currencies', () => {
    const rates = { fx: new Decimal('7.3'), relayRate: new Decimal(1), markupPct: new Decimal(0) };
    const cny = roiOf(new Decimal(31500), { hours: new Decimal(40), rate: new Decimal(150), rateCurrency: 'CNY' }, rates);
    assert.equal(cny.costCNY.toString(), '6000');
    assert.equal(cny.firstYearPct!.toString(), '6200');
    const usd = roiOf(new Decimal(31500), { hours: new Decimal(40), rate: new Decimal(150), rateCurrency: 'USD' }, rates);
    assert.equal(usd.costOwn.toString(), '6000');
    assert.equal(usd.costCNY.toString(), '43800');
    const none = roiOf(new Decimal(0), { hours: new Decimal(40), rate: new Decimal(150), rateCurrency: 'CNY' }, rates);
    assert.equal(none.paybackMonths, null);
    assert.deepEqual(parseRange('6.5:7.3:0.2', '--fx-range').map(String), ['6.5', '6.7', '6.9', '7.1', '7.3']);
    assert.throws(() => parseRange('7:6:1', '--fx-range'), /--fx-range "7:6:1": TO \(6\) is below FROM \(7\)/);
  });

  test('the scanner: chunk boundaries anywhere give the same records and line numbers', async () => {
    const text = 'a,b\r\n1,"x,\ny"\r\n\r\n2,z\n3,"q""r"';
    const expected = [
      ['a', 'b', 1],
      ['1', 'x,\ny', 2],
      ['2', 'z', 5],
      ['3', 'q"r', 6],
    ];
    for (let cut = 1; cut < text.length; cut++) {
      const got: unknown[][] = [];
      const buf = Buffer.from(text);
      await scanRecords([buf.subarray(0, cut), buf.subarray(cut)], (r: CsvRecord, line) => got.push([r.text(0), r.text(1), line]), { file: 't' });
      assert.deepEqual(got, expected, `cut at ${cut}`);
    }
  });

  test('a byte-order mark is dropped even when the header spans several chunks', async () => {
    const got: string[] = [];
    const bom = Buffer.from('\ufeffmodel,input\n');
    await scanRecords([bom.subarray(0, 5), bom.subarray(5)], (r: CsvRecord) => got.push(r.text(0)), { file: 't' });
    assert.deepEqual(got, ['model']);
  });
});
