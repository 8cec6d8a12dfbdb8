import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml, writeHtmlReport, type ReportData } from '../../src/adapters/report/html.js';
import { cdfSvg, xAxis } from '../../src/adapters/report/svg.js';
import { wordDiff, diffTokens } from '../../src/core/quality/diff.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';

function data(): ReportData {
  return {
    title: 'bench <b>report</b>',
    generatedAt: '2026-01-01T00:00:00Z',
    old: 'official',
    new: 'holy&sheep',
    summaryRows: [
      { metric: 'TTFT p50 (ms)', old: '400', new: '350', delta: '−50', ci: '[−60, −40]', better: 'new' },
      { metric: 'E2E p99 (ms)', old: '900', new: '1200', delta: '+300', better: 'old' },
      { metric: 'errors', old: '0', new: '0', delta: '0', better: null },
    ],
    samples: {
      ttft: { old: [100, 120, 130, 150, 400], new: [90, 95, 100, 300, 9000], unit: 'ms' },
      e2e: { old: Array.from({ length: 1000 }, (_, i) => 500 + i), new: Array.from({ length: 1000 }, (_, i) => 520 + i), unit: 'ms' },
      itl: { old: [], new: [], unit: 'ms' },
    },
    errors: [{ provider: 'holy&sheep', class: 'rate_limit', count: 3 }],
    leastSimilar: [{ id: 'f.jsonl:3', similarity: 0.25, oldText: 'The answer is 42.', newText: `The answer is ${HOSTILE}` }],
    notes: [`note with ${HOSTILE}`],
  };
}

let tmp: string;
before(() => (tmp = tempDir('holy-report-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('HTML report', () => {
  test('one self-contained document: no scripts, no external references', () => {
    const html = renderHtml(data());
    assert.match(html, /^<!doctype html>/);
    assert.ok(!/<script/i.test(html), 'no script element');
    assert.ok(!/<link/i.test(html), 'no external stylesheet');
    assert.ok(!/https?:\/\//i.test(html), 'no URL at all (inline SVG needs no xmlns)');
    assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), 'no remote src/href');
    assert.ok(!/@import|url\(\s*["']?https?:/i.test(html), 'no remote CSS');
    assert.match(html, /<style>/);
  });
  test('an <svg> CDF and histogram per metric; a metric without samples says so', () => {
    const html = renderHtml(data());
    for (const k of ['ttft', 'e2e', 'itl']) {
      const sec = html.slice(html.indexOf(`id="metric-${k}"`), html.indexOf('</section>', html.indexOf(`id="metric-${k}"`)));
      assert.equal(sec.match(/<svg /g)?.length, 2, k);
    }
    assert.match(html, /No samples for ITL/);
    assert.match(html, /TTFT — time to first token: CDF/);
    assert.match(html, /\(log scale\)/); // ttft spans 90..9000 (> 50×)
  });
  test('hostile text is escaped everywhere, shown not run', () => {
    const html = renderHtml(data());
    assert.ok(!html.includes('<script>alert'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(!html.includes('<b>report</b>'));
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(html.includes('holy&amp;sheep'));
  });
  test('summary verdicts are words and symbols, not colour only', () => {
    const html = renderHtml(data());
    assert.match(html, /▲ holy&amp;sheep better/);
    assert.match(html, /▼ official better/);
    assert.match(html, /— no clear difference/);
    assert.match(html, /95% CI of Δ/);
    assert.match(html, /\[−60, −40\]/);
  });
  test('least-similar pairs are diffed word by word with <del>/<ins>', () => {
    const html = renderHtml(data());
    assert.match(html, /<del>42\.<\/del>/);
    assert.match(html, /<ins>&lt;script&gt;/);
    assert.match(html, /similarity 0\.25/);
  });
  test('written atomically: the file appears whole, no temp file left, the previous one kept as .bak', async () => {
    const f = join(tmp, 'report.html');
    writeFileSync(f, 'old report');
    await writeHtmlReport(f, data());
    assert.equal(readFileSync(f, 'utf8'), renderHtml(data()));
    assert.equal(readFileSync(f + '.bak', 'utf8'), 'old report');
    assert.deepEqual(readdirSync(tmp).sort(), ['report.html', 'report.html.bak']);
  });
  test('a missing folder is a usage error naming the flag', async () => {
    await assert.rejects(writeHtmlReport(join(tmp, 'nope', 'r.html'), data()), (e: Error) => e instanceof UsageError && /--html .*does not exist/.test(e.message));
  });
});

describe('charts', () => {
  test('axis is linear for narrow spreads and log for long tails', () => {
    assert.equal(xAxis([100, 200]).log, false);
    assert.equal(xAxis([10, 5000]).log, true);
    assert.equal(xAxis([0, 5000]).log, false); // log needs positive values
  });
  test('a CDF of 100k samples stays small', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => 1 + (i % 977));
    const svg = cdfSvg('x', 'ms', [{ name: 'a', values: big, colour: '#000', dash: '0', fill: '#000' }]);
    assert.ok(svg.length < 40_000, `svg is ${svg.length} chars`);
  });
});

describe('word diff', () => {
  test('hand-worked: "the cat sat on the mat" → "the dog sat on a mat"', () => {
    assert.deepEqual(wordDiff('the cat sat on the mat', 'the dog sat on a mat'), [
      { op: 'eq', text: 'the ' },
      { op: 'del', text: 'cat' },
      { op: 'ins', text: 'dog' },
      { op: 'eq', text: ' sat on ' },
      { op: 'del', text: 'the' },
      { op: 'ins', text: 'a' },
      { op: 'eq', text: ' mat' },
    ]);
  });
  test('lossless: eq+del rebuilds the old text, eq+ins the new one (CJK per character)', () => {
    const a = '您的订单将在24小时内发货。\nThanks!';
    const b = '您的订单预计在48小时内发货，请耐心等待。\nThanks!';
    const d = wordDiff(a, b);
    assert.equal(d.filter((p) => p.op !== 'ins').map((p) => p.text).join(''), a);
    assert.equal(d.filter((p) => p.op !== 'del').map((p) => p.text).join(''), b);
    assert.deepEqual(diffTokens('订单 ok'), ['订', '单', ' ', 'ok']);
  });
  test('empty sides', () => {
    assert.deepEqual(wordDiff('', 'new words'), [{ op: 'ins', text: 'new words' }]);
    assert.deepEqual(wordDiff('old', ''), [{ op: 'del', text: 'old' }]);
    assert.deepEqual(wordDiff('', ''), []);
  });
});
