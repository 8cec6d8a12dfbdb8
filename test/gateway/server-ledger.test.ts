/** One ledger row per request, in the real SQLite file, through `holy gateway`: ok, streamed, refused, client_closed, fallback. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { harness, parseFaultSpec, runGateway, until } from './helpers.js';
import { openDatabase } from '../../src/adapters/sqlite.js';
import { Decimal } from '../../src/core/decimal.js';

const msgs = [{ role: 'user' as const, content: 'hello ledger' }];

test('every request becomes one ledger row with tokens, exact cost, status and arm', async () => {
  const h = await harness({ a: { faults: [parseFaultSpec('503@first=1')], latency: { perTokenMs: 20 } } });
  const acme = await h.keyFor('acme');
  const globex = await h.keyFor('globex');
  const gw = await runGateway(h);
  try {
    // 1: primary 503 → fallback b serves.
    const r1 = await gw.client(acme).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 5 });
    // 2: streamed on a.
    const s = await gw.client(acme).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs, max_tokens: 4, stream: true });
    for await (const _ of s) void _;
    // 3: refused by the plan.
    await assert.rejects(gw.client(globex).chat.completions.create({ model: 'gpt-4o', messages: msgs }), OpenAI.PermissionDeniedError);
    // 4: the client leaves mid-stream.
    const ac = new AbortController();
    const s2 = await gw.client(acme).chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 200, stream: true }, { signal: ac.signal });
    let n = 0;
    try {
      for await (const _ of s2) if (++n === 3) ac.abort();
    } catch {
      // the SDK's own abort
    }
    await until(() => gw.logs().filter((l) => l.event === 'request').length >= 4);
    void r1;
  } finally {
    assert.equal(await gw.stop(), 0);
    await h.close();
  }
  const db = openDatabase(h.dir + '/holy-ledger.db', { readonly: true });
  const rows = db.prepare('SELECT * FROM usage_records ORDER BY id').all() as Record<string, unknown>[];
  db.close();
  assert.equal(rows.length, 4, JSON.stringify(rows));
  const [fb, streamed, refused, closed] = rows as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  assert.equal(fb.provider, 'b');
  assert.equal(fb.fallback, 1);
  assert.equal(fb.arm, 'fallback');
  assert.equal(fb.status, 'ok');
  assert.equal(fb.output_tokens, 5);
  assert.equal(fb.cost_usd, new Decimal(fb.input_tokens as number).times('2.5').plus(new Decimal(5).times(10)).div(1e6).toFixed());
  assert.equal(streamed.stream, 1);
  assert.equal(streamed.output_tokens, 4);
  assert.equal(streamed.estimated, 0);
  assert.equal(streamed.model, 'gpt-4o-mini');
  assert.ok(typeof streamed.ttft_ms === 'number');
  assert.equal(refused.status, 'refused');
  assert.equal(refused.http_status, 403);
  assert.equal(refused.tenant_id, 'globex');
  assert.equal(refused.cost_usd, '0');
  assert.equal(closed.status, 'client_closed');
  assert.ok((closed.output_tokens as number) < 200, 'the upstream call was cut short');
  for (const r of rows) assert.match(String(r.request_id), /^req_[0-9a-f]{24,}$/);
});
