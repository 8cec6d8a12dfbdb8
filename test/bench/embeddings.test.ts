import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mocks, bench, OLD_KEY, NEW_KEY } from './helpers.js';
import { cosine, comparePair } from '../../src/core/bench/embeddings.js';
import { mockVector } from '../../src/mock/embeddings.js';
import { startMock } from '../../src/mock/server.js';
import { parseFaultSpec } from '../../src/mock/faults.js';

/** Batch input with `n` embeddings lines (every third on the large model) and `chat` chat lines. */
function batch(dir: string, n: number, chat = 0, extra: Record<string, unknown> = {}): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ custom_id: `e${i}`, method: 'POST', url: '/v1/embeddings', body: { model: i % 3 === 0 ? 'text-embedding-3-large' : 'text-embedding-3-small', input: i % 4 === 0 ? [`doc ${i} a`, `doc ${i} b`] : `document ${i} about refunds`, ...extra } }));
  for (let i = 0; i < chat; i++) lines.push(JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 8 } }));
  const f = join(dir, 'batch.jsonl');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

type Emb = { pairs: number; compared: number; old: { ok: number; requests: number; e2eMs: { n: number }; promptTokens: number; costUSD: string }; new: { ok: number; errors: Record<string, number>; promptTokens: number }; dims: { same: number; differ: number; examples: string[] }; cosine: { n: number; mean: number; min: number; below: number }; promptTokens: { compared: number; agree: number }; flags: string[] };

describe('embeddings maths and the simulator', () => {
  test('cosine: 1 for the same direction, −1 opposite, NaN for other lengths; comparePair averages over inputs', () => {
    assert.equal(cosine([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(cosine([1, 0], [-1, 0]), -1);
    assert.ok(Number.isNaN(cosine([1, 0], [1, 0, 0])));
    const p = comparePair({ ok: true, vectors: [[1, 0], [0, 1]], promptTokens: 4 }, { ok: true, vectors: [[1, 0], [1, 0]], promptTokens: 5 });
    assert.deepEqual(p, { dims: [2, 2], sameDims: true, cosine: 0.5, tokensAgree: false });
    assert.deepEqual(comparePair({ ok: true, vectors: [[1, 0]] }, { ok: true, vectors: [[1, 0, 0]] }), { dims: [2, 3], sameDims: false });
  });
  test('mock vectors: unit length, the same for the same (model, text), unrelated across models, near for a small variant', () => {
    const a = mockVector('text-embedding-3-small', 'hello', 1536, 0, 0);
    assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-6);
    assert.deepEqual(mockVector('text-embedding-3-small', 'hello', 1536, 0, 0), a);
    assert.ok(Math.abs(cosine(a, mockVector('text-embedding-ada-002', 'hello', 1536, 0, 0))) < 0.15);
    const c = cosine(a, mockVector('text-embedding-3-small', 'hello', 1536, 0.02, 0));
    assert.ok(c > 0.99 && c < 1, String(c));
  });
  test('POST /v1/embeddings: one vector per input, dimensions honoured, base64 float32 decodes to the same vector, bad input 400', async () => {
    const m = await startMock({ key: OLD_KEY });
    try {
      const post = (b: unknown) => fetch(m.url + '/embeddings', { method: 'POST', headers: { authorization: `Bearer ${OLD_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(b) });
      const r = (await (await post({ model: 'text-embedding-3-large', input: ['a', 'b'] })).json()) as any;
      assert.equal(r.data.length, 2);
      assert.equal(r.data[0].embedding.length, 3072);
      assert.ok(r.usage.prompt_tokens > 0);
      const d = (await (await post({ model: 'text-embedding-3-small', input: 'a', dimensions: 256 })).json()) as any;
      assert.equal(d.data[0].embedding.length, 256);
      const f = (await (await post({ model: 'text-embedding-3-small', input: 'a', encoding_format: 'float' })).json()) as any;
      const b = (await (await post({ model: 'text-embedding-3-small', input: 'a', encoding_format: 'base64' })).json()) as any;
      const buf = Buffer.from(b.data[0].embedding, 'base64');
      const dec = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
      assert.ok(cosine(dec, f.data[0].embedding) > 0.999999);
      assert.equal((await post({ model: 'text-embedding-3-small', input: [] })).status, 400);
      assert.equal((await post({ model: 'text-embedding-3-small', input: 'a' })).headers.get('content-type'), 'application/json');
    } finally {
      await m.close();
    }
  });
});

describe('holy bench with embeddings', () => {
  test('A/A (the same simulator on both sides): cosine 1, same dimensions, prompt_tokens agree, no flag; chat pairs still run', async () => {
    const m = await mocks({ seed: 3 }, { seed: 3 });
    try {
      const f = batch(m.dir, 12, 4);
      const r = await bench([f, ...m.args, '--json', '--out', join(m.dir, 'res.jsonl')], m.env);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { summary: { pairs: number }; embeddings: Emb; plan: { embeddings: { requests: number } } };
      assert.equal(doc.summary.pairs, 4);
      const e = doc.embeddings;
      assert.equal(doc.plan.embeddings.requests, 12);
      assert.equal(e.pairs, 12);
      assert.equal(e.compared, 12);
      assert.deepEqual(e.dims, { same: 12, differ: 0, examples: [] });
      assert.equal(e.cosine.n, 12);
      assert.equal(e.cosine.min, 1);
      assert.equal(e.cosine.below, 0);
      assert.deepEqual(e.promptTokens, { compared: 12, agree: 12 });
      assert.deepEqual(e.flags, []);
      assert.equal(e.old.e2eMs.n, 12);
      assert.ok(Number(e.old.costUSD) > 0);
      assert.equal(m.old.requests.filter((x) => x.path === '/v1/embeddings').length, 12);
      assert.equal(m.neu.requests.filter((x) => x.path === '/v1/embeddings').length, 12);
      const lines = readFileSync(join(m.dir, 'res.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const emb = lines.filter((l) => l.endpoint === 'embeddings');
      assert.equal(emb.length, 24);
      assert.ok(emb.every((l) => l.cosine === 1 && typeof l.dimensions === 'number'));
      assert.ok(!JSON.stringify(lines).includes(OLD_KEY) && !JSON.stringify(lines).includes(NEW_KEY));
      // The results file replays its embeddings with --old recorded (the vectors it recorded are the baseline).
      const again = await bench([join(m.dir, 'res.jsonl'), '--old', 'recorded', '--new', m.args[3]!, '--json'], m.env);
      assert.equal(again.code, 0, again.stderr);
      const e2 = (JSON.parse(again.stdout) as { embeddings: Emb }).embeddings;
      assert.equal(e2.compared, 12);
      assert.equal(e2.cosine.min, 1);
    } finally {
      await m.close();
    }
  });

  test('a relay serving another model: other dimensions for large, low cosine for small, both flagged; the table names its n', async () => {
    const m = await mocks({}, { echoModel: 'text-embedding-ada-002' });
    try {
      const f = batch(m.dir, 9);
      const html = join(m.dir, 'r.html');
      const r = await bench([f, ...m.args, '--json', '--html', html], m.env);
      assert.equal(r.code, 0, r.stderr);
      const page = readFileSync(html, 'utf8');
      assert.match(page, /<h2>Embeddings<\/h2>/);
      assert.match(page, /cosine old·new mean \(n 6\)/);
      assert.match(page, /may be serving another model/);
      const e = (JSON.parse(r.stdout) as { embeddings: Emb }).embeddings;
      assert.equal(e.dims.differ, 3, 'the large-model requests came back with 1536 instead of 3072 dimensions');
      assert.deepEqual(e.dims.examples, ['3072 vs 1536']);
      assert.equal(e.cosine.n, 6);
      assert.ok(e.cosine.mean < 0.2, String(e.cosine.mean));
      assert.equal(e.cosine.below, 6);
      assert.ok(e.flags.some((x) => /another dimension count/.test(x)) && e.flags.some((x) => /may be serving another model/.test(x)));
      const tsv = await bench([f, ...m.args], m.env);
      assert.equal(tsv.code, 0);
      assert.match(tsv.stdout, /^embeddings\told: oldp\tnew: newp\tΔ new − old$/m);
      assert.match(tsv.stdout, /^cosine old·new mean \(n 6\)\t\t0\.\d+/m);
      assert.doesNotMatch(tsv.stdout, /^metric\t/m, 'no empty chat table when the traffic is embeddings only');
    } finally {
      await m.close();
    }
  });

  test('verdict: a relay serving another embedding model is a no-go naming dimensions and cosine, with their n; embeddings-only runs get a decision', async () => {
    const m = await mocks({}, { echoModel: 'text-embedding-ada-002' });
    try {
      const f = batch(m.dir, 9);
      const r = await bench([f, ...m.args, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const v = (JSON.parse(r.stdout) as { verdict: { decision: string; checks: Array<{ id: string; severity: string; reason: string }> } }).verdict;
      assert.equal(v.decision, 'no-go');
      const by = (id: string) => v.checks.find((c) => c.id === id);
      assert.equal(by('embeddings:dimensions')?.severity, 'block');
      assert.match(by('embeddings:dimensions')!.reason, /in 3 of 9 embedding pairs \(3072 vs 1536\)/);
      assert.equal(by('embeddings:cosine')?.severity, 'block');
      assert.match(by('embeddings:cosine')!.reason, /6 of 6 embedding pairs .*n=6 pairs\); it serves another model/);
      assert.ok(!v.checks.some((c) => c.id === 'errors' || c.id === 'quality'), 'no chat checks without chat pairs');
      const tsv = await bench([f, ...m.args], m.env);
      assert.match(tsv.stdout, /^# decision: no-go\tNO-GO/m);
      assert.match(tsv.stdout, /^# reason: ✗ .*another dimension count/m);
    } finally {
      await m.close();
    }
  });

  test('verdict: A/A embeddings only names no problem (too few pairs is the only thing it says)', async () => {
    const m = await mocks({ seed: 3 }, { seed: 3 });
    try {
      const f = batch(m.dir, 12);
      const r = await bench([f, ...m.args, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const v = (JSON.parse(r.stdout) as { verdict: { decision: string; checks: Array<{ id: string; severity: string }> } }).verdict;
      assert.deepEqual(v.checks.filter((c) => c.severity === 'block' || c.severity === 'warn'), []);
      assert.equal(v.checks.find((c) => c.id === 'embeddings:cosine')?.severity, 'unsure');
      assert.equal(v.decision, 'inconclusive');
    } finally {
      await m.close();
    }
  });

  test('errors are counted by class like chat; --dry-run prices embeddings and sends nothing', async () => {
    const m = await mocks({}, { faults: [parseFaultSpec('503')] });
    try {
      const f = batch(m.dir, 4);
      const dry = await bench([f, ...m.args, '--dry-run'], m.env);
      assert.equal(dry.code, 0);
      assert.match(dry.stdout, /embeddings requests\t4 \(each sent once, after the chat pairs\)/);
      assert.equal(m.old.served + m.neu.served, 0);
      const r = await bench([f, ...m.args, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const e = (JSON.parse(r.stdout) as { embeddings: Emb }).embeddings;
      assert.equal(e.old.ok, 4);
      assert.deepEqual(e.new.errors, { http_503: 4 });
      assert.equal(e.compared, 0);
    } finally {
      await m.close();
    }
  });
});
