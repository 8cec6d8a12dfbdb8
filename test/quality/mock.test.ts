import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { comparePair, isJsonMode, viewFromCompletion } from '../../src/core/quality/compare.js';
import { completionFromSse } from '../../src/adapters/traffic/sse.js';
import { ROOT } from '../helpers/ctx.js';

// Real completions from the simulator: identical answers must score 1, perturbed ones less.
const sample = readFileSync(join(ROOT, 'fixtures/traffic/sample.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
let a: MockServer;
let b: MockServer;
let c: MockServer;

async function ask(m: MockServer, body: Record<string, unknown>): Promise<{ json?: unknown; text: string }> {
  const r = await request(`${m.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.body.text();
  return body.stream ? { text } : { json: JSON.parse(text), text };
}

before(async () => {
  [a, b, c] = await Promise.all([startMock({ seed: 1, label: 'a' }), startMock({ seed: 1, label: 'b' }), startMock({ seed: 1, variant: 0.5, label: 'c' })]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

describe('quality on simulator answers', () => {
  test('the same answer from two providers scores 1 on every sample request (text, tools, JSON)', async () => {
    for (const req of sample.filter((r) => !r.stream)) {
      const [x, y] = await Promise.all([ask(a, req), ask(b, req)]);
      const s = comparePair(viewFromCompletion(x.json), viewFromCompletion(y.json), { jsonMode: isJsonMode(req) });
      assert.equal(s.similarity, 1, JSON.stringify(req.messages));
      if (Array.isArray(req.tools)) assert.deepEqual(s.tools, { namesEqual: true, argsEqual: true });
      if (isJsonMode(req)) assert.deepEqual(s.json, { validA: true, validB: true, equal: true });
    }
  });
  test('perturbed answers score lower on text requests, but not zero', async () => {
    const text = sample.filter((r) => !r.stream && !r.tools && !isJsonMode(r) && Number(r.max_tokens ?? 50) >= 30);
    let lower = 0;
    for (const req of text) {
      const [x, y] = await Promise.all([ask(a, req), ask(c, req)]);
      const s = comparePair(viewFromCompletion(x.json), viewFromCompletion(y.json), { jsonMode: false });
      assert.ok(s.similarity > 0 && s.similarity <= 1, `${s.similarity}`);
      if (s.similarity < 1) lower++;
    }
    assert.ok(lower >= text.length - 1, `${lower} of ${text.length} lower`);
  });
  test('a recorded SSE stream reassembles to the same answer as the non-streaming one', async () => {
    for (const req of [sample[0]!, sample[3]!]) {
      const plain = await ask(a, { ...req, stream: false });
      const streamed = await ask(a, { ...req, stream: true, stream_options: { include_usage: true } });
      const r = completionFromSse(streamed.text);
      assert.equal(r.complete, true);
      assert.deepEqual(viewFromCompletion(r.body), viewFromCompletion(plain.json));
      assert.ok((r.body as { usage?: { completion_tokens?: number } }).usage?.completion_tokens! > 0);
    }
  });
  test('a truncated stream is marked incomplete; an in-stream error is surfaced', async () => {
    const t = await startMock({ faults: [{ fault: { kind: 'truncate' } }] });
    const e = await startMock({ faults: [{ fault: { kind: 'in-stream-error' } }] });
    try {
      const req = { ...sample[0]!, stream: true };
      assert.equal(completionFromSse((await ask(t, req)).text).complete, false);
      assert.ok(completionFromSse((await ask(e, req)).text).error?.message);
    } finally {
      await Promise.all([t.close(), e.close()]);
    }
  });
});
