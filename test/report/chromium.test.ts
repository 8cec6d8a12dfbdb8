/**
 * The report in a real browser: headless Chromium lays it out at 1400 and 400 px wide, and the
 * decision banner must be on the first screen. Skipped (with the reason) when chromium is absent.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { renderHtml, type ReportData } from '../../src/adapters/report/html.js';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
const SKIP = CHROMIUM ? false : 'chromium is not installed (apt-get install chromium): the report is not checked in a real browser';

function report(decision: 'go' | 'no-go' | 'inconclusive'): ReportData {
  const word = { go: 'GO', 'no-go': 'NO-GO', inconclusive: 'INCONCLUSIVE' }[decision];
  const row = (metric: string) => ({ metric, old: '412', new: '388', delta: '−24 (−5.8%)', ci: '−20.1 [−31.0, −9.5]', better: null, n: 'n=2000 / 1998, successes only' });
  return {
    title: 'holy bench: official vs holysheep (SIMULATED)',
    generatedAt: '2026-01-01T00:00:00Z',
    old: 'official',
    new: 'holysheep',
    verdict: {
      decision,
      headline: `${word}: a headline for the ${decision} case`,
      simulated: 'SIMULATED: official and holysheep are holy mock, a local simulator.',
      // Long reasons, as real runs write them: the banner must still fit the first screen.
      reasons: (['block', 'unsure', 'warn', 'good', 'good', 'info', 'info'] as const).map((severity, i) => ({
        severity,
        text: `reason ${i + 1}: holysheep failed 20.5% of requests vs official 0.0% (+20.5 pp, 95% CI +15.0 to +26.1 pp; n=2000 / 2000): materially more, whatever its latency.`,
      })),
    },
    header: [['old', 'official (api.openai.com)'], ['new', 'holysheep (api.holysheep.ai)'], ['load', 'closed loop, concurrency 8; stream on; seed 1; warm-up 5'], ['traffic', 'traffic.jsonl (chat-jsonl, 2000); 2000 pair(s) measured'], ['time', '2026-01-01T00:00:00Z → 2026-01-01T00:05:00Z'], ['holy', '0.1.0']],
    compactRows: ['TTFT p50 ms', 'TTFT p99 ms', 'E2E p50 ms', 'E2E p99 ms', 'ITL p50 ms', 'ITL p99 ms', 'error rate', 'cost/1k requests', 'quality ≥ 0.8'].map(row),
    summaryRows: Array.from({ length: 30 }, (_, i) => row(`metric ${i}`)),
    samples: {},
    errors: [],
    leastSimilar: [],
    notes: [],
  };
}

// The test's own copy gets a probe script (the report itself has none): it measures the layout
// and writes it into the DOM, which --dump-dom prints once the page has loaded.
const PROBE = `<script>(() => {
  const r = (s) => { const e = document.querySelector(s); if (!e) return null; const b = e.getBoundingClientRect(); return { top: b.top, bottom: b.bottom, text: e.innerText, visible: getComputedStyle(e).display !== 'none' && b.height > 0 }; };
  document.body.setAttribute('data-probe', JSON.stringify({ h: innerHeight, w: innerWidth, sim: r('.simulated'), decision: r('.verdict .decision'), banner: r('.verdict'), table: r('table.compact') }));
})();</script>`;

interface Box { top: number; bottom: number; text: string; visible: boolean }
interface Probe { h: number; w: number; sim: Box; decision: Box; banner: Box; table: Box }

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'holy-chromium-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function layout(html: string, width: number, height: number): Promise<Probe> {
  const file = join(dir, `r-${width}-${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(file, html.replace('</body>', `${PROBE}</body>`));
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`, `--window-size=${width},${height}`, '--dump-dom', pathToFileURL(file).href], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', () => {
      const m = /data-probe="([^"]*)"/.exec(out);
      if (!m) return reject(new Error(`no probe in chromium's output (${out.length} bytes)`));
      resolve(JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')) as Probe);
    });
  });
}

describe('the report in headless Chromium', { skip: SKIP }, () => {
  for (const decision of ['go', 'no-go', 'inconclusive'] as const) {
    test(`${decision}: at 1400×1000 the SIMULATED stripe, the whole banner and the compact table's start are on the first screen`, async () => {
      const p = await layout(renderHtml(report(decision)), 1400, 1000);
      const word = { go: 'GO', 'no-go': 'NO-GO', inconclusive: 'INCONCLUSIVE' }[decision];
      assert.ok(p.sim.visible && p.sim.top >= 0 && p.sim.bottom < p.banner.top, JSON.stringify(p));
      assert.ok(p.decision.visible && p.decision.text.includes(word), p.decision.text);
      assert.ok(p.banner.top >= 0 && p.banner.bottom <= p.h, `banner ${p.banner.top}–${p.banner.bottom} of ${p.h}`);
      assert.ok(p.table.top < p.h, `compact table starts at ${p.table.top} of ${p.h}`);
    });
  }
  test('at 400 px wide the decision line is still on the first screen', async () => {
    const p = await layout(renderHtml(report('no-go')), 400, 900);
    assert.ok(p.decision.visible && p.decision.text.includes('NO-GO'), p.decision.text);
    assert.ok(p.decision.bottom <= p.h, `decision ${p.decision.top}–${p.decision.bottom} of ${p.h}`);
  });
});
