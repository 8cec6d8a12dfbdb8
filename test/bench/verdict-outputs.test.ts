import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeCtx } from '../helpers/ctx.js';
import { main } from '../../src/cli.js';
import { mocks, traffic, bench, chatRequests } from './helpers.js';

const escHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

describe('every output carries the same verdict', () => {
  test('no-go (new fails half its requests): JSON, TSV, terminal and HTML lead with it, SIMULATED everywhere', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'status', status: 500 }, path: 'chat', every: 2 }] });
    try {
      const file = traffic(m.dir, 40);
      const html = join(m.dir, 'report.html');
      const j = await bench([file, ...m.args, '-c', '4', '--json', '--html', html], m.env);
      assert.equal(j.code, 0, j.stderr);
      const doc = JSON.parse(j.stdout);
      assert.deepEqual(Object.keys(doc).slice(0, 2), ['verdict', 'run']);
      assert.equal(doc.verdict.decision, 'no-go');
      assert.match(doc.verdict.reasons[0], /^newp failed 50\.0% of requests vs oldp 0\.0% .*materially more, whatever its latency\.$/);
      assert.ok(Array.isArray(doc.verdict.gates));
      assert.equal(doc.verdict.simulated, true);
      assert.equal(doc.run.simulated, true);
      assert.equal(doc.run.new.host, new URL(m.neu.url).host);
      assert.equal(doc.run.old.host, new URL(m.old.url).host);
      assert.deepEqual(doc.run.traffic, [{ file: doc.run.traffic[0].file, format: 'chat-jsonl', items: 40 }]);
      assert.equal(doc.run.load.kind, 'closed');
      assert.ok(doc.compactRows.some((r: { metric: string }) => r.metric === 'error rate'));

      // The HTML: SIMULATED, then the banner with the same first reason, all before any table.
      const page = readFileSync(html, 'utf8');
      const banner = page.indexOf('class="verdict verdict-no-go"');
      assert.ok(banner > 0 && banner < page.indexOf('<table'), 'the banner comes before any table');
      assert.ok(page.indexOf('class="simulated"') < banner, 'SIMULATED comes first');
      assert.ok(page.includes(escHtml(doc.verdict.reasons[0])), 'the first reason');
      assert.match(page, /<strong>NO-GO<\/strong>/);
      assert.ok(page.includes(`<dd>newp (${escHtml(new URL(m.neu.url).host)}) — SIMULATED</dd>`), 'run header names the host');

      // Piped: the decision is the first line (a comment), then the reasons, then the TSV table.
      const t = await bench([file, ...m.args, '-c', '4'], m.env);
      const lines = t.stdout.split('\n');
      assert.match(lines[0]!, /^# decision: no-go\tNO-GO: .*\[SIMULATED/);
      assert.equal(lines[1], `# reason: ✗ ${doc.verdict.reasons[0]}`);
      const header = lines.findIndex((l) => !l.startsWith('#'));
      assert.match(lines[header]!, /^metric\told: oldp\tnew: newp\t/);
      // The compact table by default; --percentiles gives the full one.
      assert.ok(!t.stdout.includes('E2E p90 ms') && t.stdout.includes('E2E p99 ms'));
      const full = await bench([file, ...m.args, '-c', '4', '--percentiles', '50,90'], m.env);
      assert.match(full.stdout, /^E2E p90 ms\t/m);
      assert.match(full.stdout.split('\n')[0]!, /^# decision: no-go\t/);

      // A terminal: the decision is the first line of stdout.
      const ctx = fakeCtx({ env: { ...m.env, NO_COLOR: '1' }, stdoutTTY: true });
      assert.equal(await main(['bench', file, ...m.args, '-c', '4'], ctx), 0);
      const first = ctx.out().split('\n');
      assert.match(first[0]!, /^NO-GO: do not move from oldp to newp yet \[SIMULATED/);
      assert.equal(first[1], `  ✗ ${doc.verdict.reasons[0]}`);
    } finally {
      await m.close();
    }
  });

  test('A/A (one mock as both sides) names no winner and says it is the same endpoint', async () => {
    const m = await mocks({ latency: { ttftMs: 2, perTokenMs: 1, jitterMs: 2 } });
    try {
      const file = traffic(m.dir, 30, { stream: true });
      const args = ['--old', `a=${m.old.url}`, '--new', `b=${m.old.url}/`];
      const r = await bench([file, ...args, '-n', '60', '--json'], { A_API_KEY: 'hs-oldtestkey0001', B_API_KEY: 'hs-oldtestkey0001' });
      assert.equal(r.code, 0, r.stderr);
      const v = JSON.parse(r.stdout).verdict;
      assert.notEqual(v.decision, 'no-go', v.reasons.join('\n'));
      for (const c of v.checks.filter((k: { id: string }) => /^(latency|errors|cost)/.test(k.id))) assert.ok(c.severity !== 'good' && c.severity !== 'block', c.reason);
      assert.ok(v.checks.some((k: { id: string }) => k.id === 'a-a'));
    } finally {
      await m.close();
    }
  });
});

describe('--slo', () => {
  test('a TTFT SLO does not fail non-streamed requests; a goodput materially below the old side misses the gate (exit 3)', async () => {
    const m = await mocks({}, { latency: { ttftMs: 150, perTokenMs: 1 } });
    try {
      const file = traffic(m.dir, 40);
      // Non-streamed: no TTFT anywhere, so a 1 ms TTFT SLO applies to nothing and fails nothing.
      const a = await bench([file, ...m.args, '-c', '8', '--slo', 'ttft=1', '--json'], m.env);
      assert.equal(a.code, 0, a.stderr);
      const d = JSON.parse(a.stdout);
      assert.equal(d.summary.new.goodput.share, 1);
      assert.equal(d.summary.new.goodput.ttftApplied, 0);
      assert.equal(d.verdict.gates.find((g: { name: string }) => g.name === 'slo').ok, true);
      // E2E ≤ 100 ms: the old side meets it, the new one (150 ms to its first token) never does.
      const b = await bench([file, ...m.args, '-c', '8', '--slo', 'e2e=100', '--json'], m.env);
      assert.equal(b.code, 3, b.stderr);
      assert.match(b.stderr, /gate missed: goodput \(E2E ≤ 100 ms\) newp 0\.0% vs oldp \d+\.\d%/);
      assert.equal(JSON.parse(b.stdout).verdict.decision, 'no-go');
    } finally {
      await m.close();
    }
  });
});

describe('before sending', () => {
  test('--old recorded with traffic that has no recorded responses: exit 2, nothing sent', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 5);
      const r = await bench([file, '--old', 'recorded', '--new', `newp=${m.neu.url}`], m.env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--old recorded: none of the 5 request\(s\) in .*traffic\.jsonl \(chat-jsonl\) has a recorded response/);
      assert.equal(chatRequests(m.neu), 0);
      assert.equal(m.neu.requests.length, 0, 'not even GET /models');
    } finally {
      await m.close();
    }
  });

  test("a side whose GET /models fails is warned about up front; the run goes on and still knows it is holy mock", async () => {
    const m = await mocks({ faults: [{ fault: { kind: 'status', status: 503 }, path: 'models' }] });
    try {
      const file = traffic(m.dir, 3);
      const r = await bench([file, ...m.args, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /could not list oldp's models \(GET \/models: HTTP 503\)/);
      assert.equal(JSON.parse(r.stdout).run.old.simulated, true);
    } finally {
      await m.close();
    }
  });
});
