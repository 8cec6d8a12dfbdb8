/** `holy bench FILE --old recorded --new recorded`: a shadow recording (or a bench --out file) compared without sending anything. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { mocks, traffic, bench, chatRequests } from '../bench/helpers.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { Shadow } from '../../src/gateway/cutover/shadow.js';
import { RotatingFile } from '../../src/gateway/cutover/recorder.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { sendChat } from '../../src/adapters/provider/index.js';
import { completionText } from '../../src/core/chat.js';
import type { Served } from '../../src/gateway/contract.js';

const NEW_KEY_ENV = 'NEWP_API_KEY';

test('a shadow recording: bench --old recorded --new recorded sends nothing and prints summary, quality A/B, verdict and the HTML report', async () => {
  const m = await mocks({ latency: { ttftMs: 5, perTokenMs: 1 } }, { latency: { ttftMs: 8, perTokenMs: 1 }, variant: 0.2 });
  const agent = new Agent();
  try {
    const file = await RotatingFile.open(join(m.dir, 'shadow.jsonl'), { maxBytes: 1e9, keep: 1 });
    const shadow = new Shadow({
      config: { provider: 'holysheep', percent: 100, maxInFlight: 4 }, store: embeddedStore(), prices: builtinPriceTable(),
      metrics: { count: () => {}, gauge: () => {} }, log: () => {}, clock: () => performance.now(), now: () => Date.now(), file,
      upstreams: new Map([['holysheep', { baseURL: m.neu.url, key: m.env[NEW_KEY_ENV]!, dispatcher: agent, timeoutMs: 5000 }]]),
    });
    // The primary's answers: real calls to the old mock, served as the gateway would describe them.
    for (let i = 0; i < 8; i++) {
      const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question ${i}: how do I rotate an API key?` }], max_tokens: 12, ...(i % 2 ? { stream: true } : {}) };
      const t0 = Date.now();
      const c = await sendChat({ dispatcher: agent, baseURL: m.old.url, key: m.env.OLDP_API_KEY!, body: i % 2 ? { ...request, stream_options: { include_usage: true } } : request, timeoutMs: 5000, clock: () => performance.now(), now: () => Date.now() });
      assert.equal(c.ok, true);
      const s: Served = {
        requestId: `gw-${i}`, tenant: 'acme', endpoint: 'chat', request, provider: 'official', arm: 'primary', modelServed: 'gpt-4o-mini', ok: true, httpStatus: 200,
        text: completionText(c.completion, 'display'), finishReason: 'stop', usage: { inputTokens: c.usage?.prompt_tokens ?? 0, cachedTokens: 0, outputTokens: c.usage?.completion_tokens ?? 0, estimated: false },
        ...(c.ttfbMs !== undefined ? { ttfbMs: c.ttfbMs } : {}), ...(c.ttftMs !== undefined ? { ttftMs: c.ttftMs } : {}), e2eMs: c.e2eMs!, startedAt: t0,
      };
      shadow.mirror(s);
    }
    await shadow.idle();
    await shadow.close();
    const before = { old: chatRequests(m.old), neu: chatRequests(m.neu) };
    const html = join(m.dir, 'shadow.html');
    const r = await bench(['shadow.jsonl', '--old', 'recorded', '--new', 'recorded', '--html', 'shadow.html', '--json'], {}, { cwd: m.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual({ old: chatRequests(m.old), neu: chatRequests(m.neu) }, before, 'bench sent nothing');
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.summary.pairs, 8);
    assert.equal(doc.summary.old.name, 'official (recorded)');
    assert.equal(doc.summary.new.name, 'holysheep (recorded)');
    assert.equal(doc.summary.old.ok, 8);
    assert.equal(doc.summary.new.ok, 8);
    assert.ok(doc.summary.old.e2eMs.n === 8 && doc.summary.new.e2eMs.n === 8, 'both sides carry their recorded timings');
    assert.ok(doc.summary.new.ttftMs.n >= 4, 'the streamed shadow copies have TTFTs');
    assert.equal(doc.summary.quality.pairs, 8, 'quality A/B over every pair');
    assert.ok(['go', 'no-go', 'inconclusive'].includes(doc.verdict.decision), JSON.stringify(doc.verdict).slice(0, 200));
    assert.equal(doc.verdict.simulated, true, 'answers from holy mock are marked simulated');
    assert.equal(existsSync(html), true);
    assert.match(readFileSync(html, 'utf8'), /holysheep \(recorded\)/);
    // Text output too.
    const t = await bench(['shadow.jsonl', '--old', 'recorded', '--new', 'recorded'], {}, { cwd: m.dir });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /official \(recorded\)/);
  } finally {
    await agent.close();
    await m.close();
  }
});

test('a bench --out file replays both recorded sides; a missing new line is not_recorded; --new recorded alone is refused', async () => {
  const m = await mocks();
  try {
    const file = traffic(m.dir, 5);
    const out = join(m.dir, 'first.jsonl');
    const a = await bench([file, ...m.args, '-c', '1', '--out', out], m.env);
    assert.equal(a.code, 0, a.stderr);
    const sent = chatRequests(m.old) + chatRequests(m.neu);
    const rl = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const b = await bench([out, '--old', 'recorded', '--new', 'recorded', '--json'], {});
    assert.equal(b.code, 0, b.stderr);
    const s = JSON.parse(b.stdout).summary;
    assert.equal(chatRequests(m.old) + chatRequests(m.neu), sent);
    assert.equal(s.pairs, 5);
    assert.equal(s.old.name, 'oldp (recorded)');
    assert.equal(s.new.name, 'newp (recorded)');
    const e2e = (role: string) => rl.filter((x) => x.role === role).map((x) => x.e2eMs as number).sort((p, q) => p - q);
    assert.equal(s.new.e2eMs.n, 5);
    assert.ok(Math.abs(s.new.e2eMs.max - e2e('new')[4]!) < 0.01, 'the new side’s figures are the recorded ones');
    // Drop one new line: that request's new side is not_recorded.
    const cut = join(m.dir, 'cut.jsonl');
    const dropped = rl.find((x) => x.role === 'new')!.id;
    writeFileSync(cut, rl.filter((x) => !(x.role === 'new' && x.id === dropped)).map((x) => JSON.stringify(x)).join('\n') + '\n');
    const c = await bench([cut, '--old', 'recorded', '--new', 'recorded', '--json'], {});
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /--new recorded: 1 of 5 request\(s\) have no recorded new response/);
    const cs = JSON.parse(c.stdout).summary;
    assert.equal(cs.new.ok, 4);
    assert.equal(cs.new.errors.not_recorded, 1);
    const d = await bench([out, '--new', 'recorded', ...m.args.slice(0, 2)], m.env);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /--new recorded needs --old recorded too/);
    const oldOnly = join(m.dir, 'old-only.jsonl');
    writeFileSync(oldOnly, rl.filter((x) => x.role === 'old').map((x) => JSON.stringify(x)).join('\n') + '\n');
    const e = await bench([oldOnly, '--old', 'recorded', '--new', 'recorded'], {});
    assert.equal(e.code, 2);
    assert.match(e.stderr, /none of the 5 request\(s\) .* has a recorded new response/);
  } finally {
    await m.close();
  }
});
