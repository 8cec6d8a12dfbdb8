import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runHoly } from '../helpers/ctx.js';
import { allocate, selectionKey, smallest } from '../../src/core/traffic/sample.js';
import { mulberry32 } from '../../src/core/rng.js';

let tmp: string;
const long = 'word '.repeat(1500);
/** 1000 requests in 4 strata of known size: 600 / 300 / 90 / 10. */
function population(): string {
  const rows: string[] = [];
  const push = (n: number, model: string, content: string, stream: boolean) => {
    for (let i = 0; i < n; i++) rows.push(JSON.stringify({ model, messages: [{ role: 'user', content: `${content} #${rows.length}` }], ...(stream ? { stream: true } : {}) }));
  };
  push(600, 'gpt-4o', 'short question', false);
  push(300, 'gpt-4o-mini', 'short question', false);
  push(90, 'gpt-4o', long, false);
  push(10, 'gpt-4o', 'streamed', true);
  // Interleave deterministically so strata are not contiguous in the file.
  const r = mulberry32(3);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.join('\n') + '\n';
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'holy-sample-'));
  writeFileSync(join(tmp, 'pop.jsonl'), population());
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('allocation (pure)', () => {
  test('sums to n, respects minimums and sizes, and stays within one request of proportional plus the minimums taken', () => {
    const r = mulberry32(11);
    for (let trial = 0; trial < 300; trial++) {
      const sizes = Array.from({ length: 1 + Math.floor(r() * 12) }, () => 1 + Math.floor(r() ** 3 * 500));
      const total = sizes.reduce((a, b) => a + b, 0);
      const n = 1 + Math.floor(r() * total);
      const min = Math.floor(r() * 6);
      const a = allocate(sizes, n, min);
      const needed = sizes.reduce((s, x) => s + Math.min(x, min), 0);
      if ('problem' in a) {
        assert.ok(needed > n);
        continue;
      }
      assert.equal(a.alloc.reduce((s, x) => s + x, 0), Math.min(n, total));
      const extra = needed; // the most the minimums can take from proportional shares
      sizes.forEach((s, i) => {
        assert.ok(a.alloc[i]! >= Math.min(s, min) && a.alloc[i]! <= s);
        assert.ok(Math.abs(a.alloc[i]! - (n * s) / total) <= 1 + extra, `${a.alloc[i]} vs ${(n * s) / total}`);
      });
    }
  });
  test('exact proportional shares when they are whole numbers; all of a stratum smaller than the minimum', () => {
    assert.deepEqual(allocate([600, 300, 90, 10], 100, 0), { alloc: [60, 30, 9, 1] });
    assert.deepEqual(allocate([600, 300, 90, 3], 100, 5), { alloc: [60, 29, 8, 3] });
    assert.deepEqual(allocate([10, 10], 50, 5), { alloc: [10, 10] });
    assert.deepEqual(allocate([10, 10, 10], 10, 5), { problem: 'minimums exceed n', needed: 15 });
  });
  test('selection keys: same seed and id → same key; the k smallest are a uniform draw (each member chosen ≈ k/N of seeds)', () => {
    assert.equal(selectionKey(1, 'a'), selectionKey(1, 'a'));
    assert.notEqual(selectionKey(1, 'a'), selectionKey(2, 'a'));
    const members = Array.from({ length: 20 }, (_, i) => i);
    const hits = new Array(20).fill(0);
    for (let seed = 0; seed < 4000; seed++) {
      const keys = members.map((i) => selectionKey(seed, `id-${i}`));
      for (const i of smallest(keys, members, 5)) hits[i]++;
    }
    for (const h of hits) assert.ok(h > 850 && h < 1150, `chosen ${h} of 4000 (expected ≈1000)`);
  });
});

describe('holy traffic sample', () => {
  test('proportional strata with a minimum, recorded in the file, same seed → same bytes, other seed → other draw', async () => {
    const r = await runHoly(['traffic', 'sample', 'pop.jsonl', '--n', '100', '--out', 's1.jsonl', '--json'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { population: number; sample: number; strata: Array<{ values: string[]; population: number; sample: number }>; cost: { sampleUSD: string; populationUSD: string } };
    assert.equal(doc.population, 1000);
    assert.equal(doc.sample, 100);
    const by = Object.fromEntries(doc.strata.map((s) => [s.values.join('|'), [s.population, s.sample]]));
    assert.deepEqual(by, { 'gpt-4o|no-stream|<256': [600, 58], 'gpt-4o-mini|no-stream|<256': [300, 29], 'gpt-4o|no-stream|1k-4k': [90, 8], 'gpt-4o|stream|<256': [10, 5] });
    assert.ok(Number(doc.cost.sampleUSD) > 0 && Number(doc.cost.sampleUSD) < Number(doc.cost.populationUSD));
    const text = readFileSync(join(tmp, 's1.jsonl'), 'utf8');
    const ls = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(ls[0]!._holy.kind, 'traffic-sample');
    assert.equal(ls[0]!._holy.population, 1000);
    assert.equal(ls.length, 101);
    const counted: Record<string, number> = {};
    for (const l of ls.slice(1)) counted[l.sample.stratum] = (counted[l.sample.stratum] ?? 0) + 1;
    assert.deepEqual(counted, { 'gpt-4o · no-stream · <256': 58, 'gpt-4o-mini · no-stream · <256': 29, 'gpt-4o · no-stream · 1k-4k': 8, 'gpt-4o · stream · <256': 5 });
    assert.ok(ls.slice(2).every((l, i) => l.line > ls[i + 1]!.line), 'written in file order');
    assert.equal((await runHoly(['traffic', 'sample', 'pop.jsonl', '--n', '100', '--out', 's2.jsonl'], { cwd: tmp })).code, 0);
    assert.equal(readFileSync(join(tmp, 's2.jsonl'), 'utf8'), text);
    assert.equal((await runHoly(['traffic', 'sample', 'pop.jsonl', '--n', '100', '--seed', '2', '--out', 's3.jsonl'], { cwd: tmp })).code, 0);
    assert.notEqual(readFileSync(join(tmp, 's3.jsonl'), 'utf8'), text);
  });

  test('the strata table is TSV when piped; bench reads the sample and says what population it stands for', async () => {
    const r = await runHoly(['traffic', 'sample', 'pop.jsonl', '--n', '40', '--by', 'model', '--min-per-stratum', '3', '--out', 's4.jsonl'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], 'model\tpopulation\tshare\tsample\tshare\tweight');
    assert.match(r.stdout, /^gpt-4o\t700\t70\.0%\t28\t70\.0%\t25\.00$/m);
    assert.match(r.stderr, /replay cost \(est\., per provider\): sample \$[\d.]+ vs whole file \$[\d.]+/);
    const b = await runHoly(['bench', 's4.jsonl', '--dry-run', '--json'], { cwd: tmp });
    assert.equal(b.code, 0, b.stderr);
    const plan = (JSON.parse(b.stdout) as { plan: { items: number; population?: string; problems: unknown[] } }).plan;
    assert.equal(plan.items, 40);
    assert.deepEqual(plan.problems, [], 'the header line is not a bad traffic line');
    assert.match(plan.population ?? '', /stratified sample of 40 out of 1000 \(by model/);
  });

  test('bad inputs: --n below the minimums, unknown --by key, --out naming an input, missing --n', async () => {
    for (const [args, re] of [
      [['--n', '3', '--out', 'x.jsonl'], /--n 3 is too small for 4 strata with --min-per-stratum 5 \(the minimums alone need 20\)/],
      [['--n', '10', '--by', 'model,tenant', '--out', 'x.jsonl'], /--by "model,tenant": "tenant" is not a stratum key/],
      [['--n', '10', '--out', 'pop.jsonl'], /--out pop\.jsonl is also an input file/],
      [['--out', 'x.jsonl'], /required option '--n <count>' not specified/],
    ] as Array<[string[], RegExp]>) {
      const x = await runHoly(['traffic', 'sample', 'pop.jsonl', ...args], { cwd: tmp });
      assert.equal(x.code, 2, args.join(' '));
      assert.match(x.stderr, re);
    }
  });

  test('a model name with terminal escapes from the input file reaches the strata table stripped', async () => {
    writeFileSync(join(tmp, 'esc.jsonl'), JSON.stringify({ model: 'gpt-4o\u001b[2J\u001b]0;pwned\u0007', messages: [{ role: 'user', content: 'hi' }] }) + '\n');
    const r = await runHoly(['traffic', 'sample', 'esc.jsonl', '--n', '1', '--out', 'esc-out.jsonl', '--no-color'], { cwd: tmp, stdoutTTY: true });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/[\u0007\u001b]/.test(r.stdout + r.stderr), JSON.stringify(r.stdout + r.stderr));
    assert.match(r.stdout, /gpt-4o \[2J \]0;pwned/);
  });
});
