import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mocks, traffic, bench, chatRequests, arrivalSpan, OLD_KEY, NEW_KEY } from './helpers.js';

const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean);
const noKeys = (...texts: string[]) => {
  for (const t of texts) for (const k of [OLD_KEY, NEW_KEY]) assert.ok(!t.includes(k), `a key leaked: …${t.slice(Math.max(0, t.indexOf(k) - 80), t.indexOf(k) + 20)}`);
};

describe('holy bench against two mocks', () => {
  test('happy path: cycles traffic, --out/--csv/--json written, maps unserved models, no key anywhere', async () => {
    const m = await mocks({ models: ['gpt-4o-mini', 'gpt-4-turbo'], latency: { ttftMs: 5, perTokenMs: 1 } }, { latency: { ttftMs: 5, perTokenMs: 1 }, variant: 0.3 });
    try {
      const file = traffic(m.dir, 4, { stream: true });
      const t2 = traffic(m.dir, 1, { model: 'gpt-4-turbo' }, 'turbo.jsonl');
      const out = join(m.dir, 'results.jsonl');
      const csv = join(m.dir, 'results.csv');
      const r = await bench([file, t2, ...m.args, '-n', '10', '-c', '2', '--out', out, '--csv', csv, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.pairs, 10);
      assert.equal(doc.summary.old.requests, 10);
      assert.equal(doc.summary.new.ok, 10);
      assert.deepEqual(doc.plan.mapping, [{ from: 'gpt-4-turbo', to: 'gpt-4.1', why: 'built-in' }]);
      const rl = lines(out).map((l) => JSON.parse(l));
      assert.equal(rl.length, 20);
      assert.deepEqual(new Set(rl.map((x) => x.role)), new Set(['old', 'new']));
      const turboNew = rl.find((x) => x.model === 'gpt-4-turbo' && x.role === 'new');
      assert.equal(turboNew.mappedModel, 'gpt-4.1');
      assert.equal(turboNew.request.model, 'gpt-4.1');
      const streamed = rl.find((x) => x.stream);
      assert.equal(streamed.request.stream_options.include_usage, true);
      assert.equal(streamed.outputTokensSource, 'server');
      assert.ok(streamed.ttftMs > 0 && streamed.e2eMs >= streamed.ttftMs);
      for (const x of rl) for (const k of ['id', 'provider', 'file', 'line', 'status', 'errorClass', 'ttfbMs', 'itl', 'promptTokens', 'similarity', 'retries', 'request', 'response', 'timings']) assert.ok(k in x, k);
      assert.equal(lines(csv).length, 21);
      assert.match(lines(csv)[0]!, /^id,role,provider,file,line/);
      noKeys(r.stdout, r.stderr, readFileSync(out, 'utf8'), readFileSync(csv, 'utf8'));
      assert.deepEqual(readdirSync(m.dir).filter((f) => f.endsWith('.tmp')), []);
    } finally {
      await m.close();
    }
  });

  // How close these figures come to the injected 200 ms / 10 ms on an idle machine (±5 ms) is `npm run bench:timing`;
  // here only what holds on any machine: nothing measured early, and each figure measuring what it names.
  test('TTFT 200 ms and 10 ms/token: TTFT never under 200, E2E never under its tokens, TTFB before TTFT', async () => {
    const lat = { ttftMs: 200, perTokenMs: 10 };
    const m = await mocks({ latency: lat }, { latency: lat });
    try {
      const file = traffic(m.dir, 8);
      const out = join(m.dir, 'r.jsonl');
      const r = await bench([file, ...m.args, '--stream', 'on', '-c', '2', '--warmup', '2', '-n', '16', '--out', out, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).summary;
      for (const p of [s.old, s.new]) {
        assert.ok(p.ttftMs.p['50'] >= 199, `ttft p50 ${p.ttftMs.p['50']}`);
        // That TTFB is the headers (exactly 0 when they come 120 ms before the first token) is asserted on a virtual
        // clock in client.test.ts; here, where a descheduled client can read headers and first token together, only ≤.
        assert.ok(p.ttfbMs.p['50'] <= p.ttftMs.p['50'], 'TTFB is not after the first token');
        assert.ok(p.tpotMs.n > 0 && p.itlMs.n > 0, 'TPOT and ITL measured');
      }
      const rl = lines(out).map((l) => JSON.parse(l));
      assert.equal(rl.length, 32);
      for (const x of rl) {
        // The mock sends content chunk i at 200 + 10·i ms after it got the request, so these hold exactly.
        assert.ok(x.ttftMs >= 199, `ttft ${x.ttftMs}`);
        assert.ok(x.e2eMs >= 200 + 10 * x.itl.n - 1, `e2e ${x.e2eMs} for ${x.itl.n + 1} chunks`);
      }
      assert.ok(rl.some((x) => x.itl.n >= 5), 'streams of several chunks were timed');
    } finally {
      await m.close();
    }
  });

  test('every request accounted for under 500s, resets, stalls and malformed SSE', async () => {
    const m = await mocks({}, {
      faults: [
        { fault: { kind: 'status', status: 500 }, path: 'chat', every: 4 },
        { fault: { kind: 'reset', phase: 'body' }, path: 'chat', every: 5 },
        { fault: { kind: 'stall', ms: 60_000, phase: 'headers' }, path: 'chat', first: 1 },
        { fault: { kind: 'malformed-sse' }, path: 'chat', every: 6 },
      ],
    });
    try {
      const file = traffic(m.dir, 20, { stream: true });
      const out = join(m.dir, 'r.jsonl');
      // A --timeout a loaded machine's zero-latency answers never reach, and the stall (60 s) always does.
      const r = await bench([file, ...m.args, '--timeout', '3000', '-c', '4', '--out', out, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).summary;
      assert.equal(s.new.requests, 20);
      const errs = Object.values(s.new.errors as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.equal(s.new.ok + errs, 20);
      for (const cls of ['http_500', 'reset', 'timeout', 'malformed_stream']) assert.ok((s.new.errors[cls] ?? 0) >= 1, `${cls}: ${JSON.stringify(s.new.errors)}`);
      assert.equal(s.old.ok, 20);
      const rl = lines(out).map((l) => JSON.parse(l));
      assert.equal(rl.length, 40);
      assert.equal(rl.filter((x) => x.role === 'new' && !x.ok).length, errs);
    } finally {
      await m.close();
    }
  });

  test('Ctrl-C: stops sending, writes valid files and exits 130', async () => {
    const m = await mocks({ latency: { ttftMs: 30, perTokenMs: 5 } }, { latency: { ttftMs: 30, perTokenMs: 5 } });
    try {
      const file = traffic(m.dir, 10, { stream: true });
      const out = join(m.dir, 'r.jsonl');
      const csv = join(m.dir, 'r.csv');
      let sentAtAbort = -1;
      const r = await bench([file, ...m.args, '-n', '1000', '-c', '2', '--out', out, '--csv', csv], m.env, { abortWhen: () => chatRequests(m.neu) >= 10 && (sentAtAbort < 0 && (sentAtAbort = chatRequests(m.neu)), true) });
      assert.equal(r.code, 130, r.stderr);
      // At -c 2 at most two new-side requests can be on their way when Ctrl-C lands; nothing starts after it.
      assert.ok(chatRequests(m.neu) - sentAtAbort <= 2, `sent ${chatRequests(m.neu) - sentAtAbort} after Ctrl-C`);
      assert.match(r.stderr, /interrupted/);
      assert.match(r.stdout, /^error rate\t/m);
      const rl = lines(out).map((l) => JSON.parse(l));
      assert.ok(rl.length >= 2 && rl.length < 2000 && rl.length % 2 === 0, `lines ${rl.length}`);
      assert.equal(lines(csv).length, rl.length + 1);
      const sent = chatRequests(m.neu);
      assert.ok(sent < 1000, 'stopped sending');
    } finally {
      await m.close();
    }
  });

  test('gates: --p99 MS and --max-regression exit 3 after printing; passing gates exit 0', async () => {
    const m = await mocks({ latency: { ttftMs: 0, perTokenMs: 0 } }, { latency: { ttftMs: 80, perTokenMs: 0 } });
    try {
      const file = traffic(m.dir, 6);
      const a = await bench([file, ...m.args, '--p99', '20'], m.env);
      assert.equal(a.code, 3, a.stderr);
      assert.match(a.stdout, /E2E p99 ms/);
      assert.match(a.stderr, /gate missed: newp p99 E2E/);
      const b = await bench([file, ...m.args, '--max-regression', '10', '--json'], m.env);
      assert.equal(b.code, 3);
      assert.equal(JSON.parse(b.stdout).summary.gates[0].ok, false);
      const c = await bench([file, ...m.args, '--p99', '5000', '--max-regression', '100000'], m.env);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout.split('\n').find((l) => l.startsWith('E2E'))!, /^E2E p99 ms/, '--p99 puts p99 first');
    } finally {
      await m.close();
    }
  });

  test('cost guard refuses (exit 2) and --dry-run sends nothing', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 3, { model: 'gpt-4.1', max_tokens: 100_000 });
      const a = await bench([file, ...m.args, '-n', '10'], m.env);
      assert.equal(a.code, 2);
      assert.match(a.stderr, /above --max-cost \$1; pass --yes/);
      const b = await bench([file, ...m.args, '-n', '10', '--dry-run', '--json'], m.env);
      assert.equal(b.code, 0, b.stderr);
      const plan = JSON.parse(b.stdout).plan;
      assert.equal(plan.sends, 10);
      assert.equal(plan.new.outputTokens, 1_000_000);
      assert.ok(Number(plan.totalCostUSD) > 1);
      assert.deepEqual(plan.files.map((f: { format: string }) => f.format), ['chat-jsonl']);
      const c = await bench([file, ...m.args, '--dry-run'], {});
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /total cost/);
      assert.equal(m.old.requests.length + m.neu.requests.length, 0);
    } finally {
      await m.close();
    }
  });

  test('a key that does not belong to the host is refused before anything is sent', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 2);
      const r = await bench([file, ...m.args], { ...m.env, OLDP_API_KEY: 'sk-proj-FAKEFAKE' });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /refusing to send.*oldp.*not api\.openai\.com/);
      assert.ok(!r.stderr.includes('sk-proj-FAKEFAKE'));
      const none = await bench([file, ...m.args], { NEWP_API_KEY: NEW_KEY });
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no key for provider oldp.*OLDP_API_KEY/);
      assert.equal(m.old.requests.length + m.neu.requests.length, 0);
    } finally {
      await m.close();
    }
  });

  test('retries honour Retry-After and stay out of latency', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'rate-limit', retryAfterS: 0.3 }, path: 'chat', first: 2 }] });
    try {
      const file = traffic(m.dir, 1);
      const t0 = performance.now();
      const r = await bench([file, ...m.args, '--retries', '2', '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(performance.now() - t0 >= 550, 'waited for Retry-After twice');
      const s = JSON.parse(r.stdout).summary;
      assert.equal(s.new.ok, 1);
      assert.deepEqual(s.new.retries, { total: 2, requests: 1, waitMs: 600, capped: 0 });
      // Had the waits landed in latency, E2E would span from the first attempt to the answer, which the mock saw
      // take at least as long as its first and last arrivals are apart.
      assert.ok(s.new.e2eMs.max < arrivalSpan(m.neu), `e2e ${s.new.e2eMs.max} vs ${arrivalSpan(m.neu)} ms between attempts`);
      const off = await bench([file, ...m.args, '--json'], m.env);
      assert.equal(JSON.parse(off.stdout).summary.new.ok, 1, 'mock faults were used up; default has no retries');
    } finally {
      await m.close();
    }
  });

  test('--abort-after stops sending to a failing provider and says so', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'status', status: 503 }, path: 'chat' }] });
    try {
      const file = traffic(m.dir, 10);
      const r = await bench([file, ...m.args, '-c', '1', '--abort-after', '3', '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).summary;
      assert.equal(chatRequests(m.neu), 3);
      assert.deepEqual(s.new.errors, { http_503: 3, circuit_open: 7 });
      assert.ok(s.flags.some((f: string) => /stopped sending after 3/.test(f)));
    } finally {
      await m.close();
    }
  });

  test('integrity: over-counting, substitution and ignored include_usage are flagged', async () => {
    const m = await mocks({}, { usageScale: 1.5, echoModel: 'cheap-model', ignoreIncludeUsage: true });
    try {
      const file = traffic(m.dir, 4, { stream: true });
      const r = await bench([file, ...m.args, '--json'], m.env);
      const s = JSON.parse(r.stdout).summary;
      assert.ok(s.flags.some((f: string) => /substitution/.test(f)), s.flags.join('\n'));
      assert.ok(s.flags.some((f: string) => /include_usage/.test(f)));
      assert.equal(s.new.outputTokensSource.local, 4);
      assert.equal(s.old.outputTokensSource.server, 4);
    } finally {
      await m.close();
    }
  });

  test('open loop and --old recorded replay of a results file', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 6);
      const out = join(m.dir, 'first.jsonl');
      const t0 = performance.now();
      const a = await bench([file, ...m.args, '--rate', '40', '--seed', '3', '--out', out], m.env);
      assert.equal(a.code, 0, a.stderr);
      assert.ok(performance.now() - t0 >= 50);
      assert.equal(chatRequests(m.neu), 6);
      const oldBefore = chatRequests(m.old);
      const b = await bench([out, '--old', 'recorded', '--new', m.args[3]!, '--json'], m.env);
      assert.equal(b.code, 0, b.stderr);
      const s = JSON.parse(b.stdout).summary;
      assert.equal(chatRequests(m.old), oldBefore, 'no old calls');
      assert.ok(s.old.recorded);
      assert.ok(s.pairs >= 6);
      assert.ok(s.quality.pairs >= 6);
      assert.equal(existsSync(out), true);
    } finally {
      await m.close();
    }
  });
});

describe('holy bench: more modes and bad inputs', () => {
  test('--html writes a self-contained report without keys; --duration stops starting pairs', async () => {
    const m = await mocks({ latency: { ttftMs: 20, perTokenMs: 2 } }, { latency: { ttftMs: 10, perTokenMs: 2 } });
    try {
      const file = traffic(m.dir, 5, { stream: true });
      const html = join(m.dir, 'report.html');
      // holy's clock jumps past the 60 s duration once six pairs have gone out: from then on no pair may start,
      // however fast or slow this machine sent the first six.
      let skew = 0;
      let sentAtExpiry = -1;
      const clock = () => {
        if (!skew && chatRequests(m.neu) >= 6) (skew = 61_000), (sentAtExpiry = chatRequests(m.neu));
        return performance.now() + skew;
      };
      const r = await bench([file, ...m.args, '--duration', '60', '--html', html, '--json'], m.env, { clock });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(sentAtExpiry >= 6);
      const c = 4;
      assert.ok(chatRequests(m.neu) - sentAtExpiry <= c, `${chatRequests(m.neu) - sentAtExpiry} sent after the duration was up`);
      const doc = JSON.parse(r.stdout);
      assert.ok(doc.summary.pairs > 5, 'cycled through the traffic');
      assert.deepEqual(doc.written, [html]);
      const page = readFileSync(html, 'utf8');
      assert.match(page, /<svg/);
      assert.match(page, /TTFT/);
      assert.doesNotMatch(page, /<script[^>]+src=/i);
      noKeys(page);
    } finally {
      await m.close();
    }
  });

  test('an --html path that is a folder, or in a missing folder, is refused before anything is sent', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 3);
      mkdirSync(join(m.dir, 'reports'));
      const a = await bench([file, ...m.args, '--html', join(m.dir, 'reports')], m.env);
      assert.equal(a.code, 2, a.stderr);
      assert.match(a.stderr, /--html .*reports is a folder/);
      const b = await bench([file, ...m.args, '--html', join(m.dir, 'nowhere', 'r.html')], m.env);
      assert.equal(b.code, 2, b.stderr);
      assert.match(b.stderr, /the folder .*nowhere does not exist/);
      assert.equal(chatRequests(m.neu), 0);
      assert.equal(chatRequests(m.old), 0);
    } finally {
      await m.close();
    }
  });

  test('--replay-timing follows the recorded timestamps; traffic without them is refused', async () => {
    const m = await mocks();
    try {
      const lines: string[] = [];
      const base = Date.parse('2026-11-01T10:00:00Z');
      for (let i = 0; i < 4; i++) lines.push(JSON.stringify({ id: `r${i}`, role: 'old', startedAt: new Date(base + i * 200).toISOString(), model: 'gpt-4o-mini', request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] }, response: { status: 200, body: null, error: null }, timings: { ttfbMs: 1, ttftMs: null, e2eMs: 5 } }));
      const file = join(m.dir, 'timed.jsonl');
      writeFileSync(file, lines.join('\n') + '\n');
      const t0 = performance.now();
      const r = await bench([file, ...m.args, '--replay-timing', '--speed', '2', '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const took = performance.now() - t0;
      assert.ok(took >= 300, `600 ms of recorded time at speed 2 takes ≥ 300 ms, took ${took}`);
      // Request i is due 100·i ms (200 ms recorded, speed 2) after the run started, so it cannot reach the mock earlier.
      // (The spread between arrivals is not asserted: a late first arrival shrinks it on a loaded machine.)
      const at = m.neu.requests.filter((x) => x.path.endsWith('/chat/completions')).map((x) => x.at - (performance.timeOrigin + t0));
      assert.equal(at.length, 4);
      at.forEach((a, i) => assert.ok(a >= i * 100 - 2, `request ${i} arrived ${a.toFixed(1)} ms after the start, due at ${i * 100}`));
      const plain = traffic(m.dir, 2);
      const bad = await bench([plain, ...m.args, '--replay-timing'], m.env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /traffic\.jsonl:1: no recorded timestamp/);
    } finally {
      await m.close();
    }
  });

  test('--judge asks the judge model twice per pair (order swapped) and tallies', async () => {
    const m = await mocks();
    const { startMock } = await import('../../src/mock/server.js');
    const judge = await startMock({ key: 'hs-judgetestkey01', label: 'judge' });
    try {
      const file = traffic(m.dir, 3);
      const r = await bench([file, ...m.args, '--judge', `judgep=${judge.url}:gpt-4.1`, '--json'], { ...m.env, JUDGEP_API_KEY: 'hs-judgetestkey01' });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      const t = doc.judge;
      assert.equal(t.old + t.new + t.tie + t.failed, 3, JSON.stringify(t));
      assert.ok(judge.requests.filter((x) => x.path.endsWith('/chat/completions')).length >= 3);
    } finally {
      await judge.close();
      await m.close();
    }
  });

  test('Ctrl-C does not wait for a slow --judge', async () => {
    const m = await mocks();
    // A judge that answers only when its own 20 s timer fires, and notes whether the caller hung up
    // before that: judged by the server's timer, not by how long the run took on this machine.
    const { createServer } = await import('node:http');
    const calls = { arrived: 0, closedBeforeAnswer: 0, answered: 0 };
    const judge = createServer((req, res) => {
      if (!req.url?.endsWith('/chat/completions')) return void res.writeHead(404).end();
      calls.arrived++;
      const timer = setTimeout(() => {
        calls.answered++;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"late"}}');
      }, 20_000);
      res.on('close', () => {
        if (!res.writableEnded) calls.closedBeforeAnswer++;
        clearTimeout(timer);
      });
    });
    await new Promise<void>((ok) => judge.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(judge.address() as { port: number }).port}/v1`;
    try {
      const file = traffic(m.dir, 3);
      const r = await bench([file, ...m.args, '-c', '1', '--judge', `judgep=${url}:gpt-4.1`, '--json'], { ...m.env, JUDGEP_API_KEY: 'hs-judgetestkey01' }, { abortWhen: () => calls.arrived >= 2 });
      assert.equal(r.code, 130, r.stderr);
      // holy hung up on the judge before the judge's own timer answered: Ctrl-C did not wait for it.
      assert.equal(calls.answered, 0, JSON.stringify(calls));
      assert.ok(calls.closedBeforeAnswer >= 1, JSON.stringify(calls));
    } finally {
      judge.closeAllConnections();
      await new Promise<void>((ok) => judge.close(() => ok()));
      await m.close();
    }
  });

  test('terminal table with colour on a TTY, none with NO_COLOR; --model-map is applied and stated', async () => {
    const m = await mocks({ models: ['gpt-4o-mini'] }, {});
    try {
      const file = traffic(m.dir, 2);
      const { fakeCtx } = await import('../helpers/ctx.js');
      const { main } = await import('../../src/cli.js');
      const ctx = fakeCtx({ env: { ...m.env, FORCE_COLOR: '1' }, stdoutTTY: true });
      const code = await main(['bench', file, ...m.args, '--model-map', 'gpt-4o-mini=gpt-4.1'], ctx);
      assert.equal(code, 0, ctx.err());
      assert.match(ctx.out(), /┌|─/);
      assert.match(ctx.out(), /model map: gpt-4o-mini → gpt-4.1 \(--model-map\)/);
      assert.ok(m.neu.requests.some((x) => x.model === 'gpt-4.1'));
      assert.ok(!m.old.requests.some((x) => x.model === 'gpt-4.1'));
      const plain = fakeCtx({ env: { ...m.env, NO_COLOR: '1' }, stdoutTTY: true });
      await main(['bench', file, ...m.args], plain);
      assert.doesNotMatch(plain.out(), /\u001b\[/);
    } finally {
      await m.close();
    }
  });

  test('bad inputs: missing file, unwritable --out folder, bad flags — exit 2, nothing sent', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 2);
      const a = await bench([join(m.dir, 'nope.jsonl'), ...m.args], m.env);
      assert.equal(a.code, 2);
      assert.match(a.stderr, /nope\.jsonl does not exist/);
      const b = await bench([file, ...m.args, '--out', join(m.dir, 'no/such/dir/r.jsonl')], m.env);
      assert.equal(b.code, 2);
      assert.match(b.stderr, /--out .*does not exist; create it/);
      const c = await bench([file, ...m.args, '--percentiles', '50,abc'], m.env);
      assert.equal(c.code, 2);
      const d = await bench([file, '--old', `same=${m.old.url}`, '--new', 'same'], m.env);
      assert.equal(d.code, 2);
      assert.equal(chatRequests(m.old) + chatRequests(m.neu), 0);
    } finally {
      await m.close();
    }
  });
});

describe('holy bench: spending', () => {
  test('an open-ended --duration run stops when the estimated spend reaches --max-cost', async () => {
    const m = await mocks();
    try {
      // gpt-4.1 at 2000 output tokens ≈ $0.016 per request per side: 2 passes of 10 fit under $0.7.
      const file = traffic(m.dir, 10, { model: 'gpt-4.1', max_tokens: 2000 });
      // --duration is an hour so that only --max-cost can end the run, however slow this machine is.
      const r = await bench([file, ...m.args, '--duration', '3600', '--max-cost', '0.7', '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stopping early: the estimated spend would pass --max-cost \$0\.7/);
      const pairs = JSON.parse(r.stdout).summary.pairs;
      assert.ok(pairs >= 10 && pairs < 30, `pairs ${pairs}`);
    } finally {
      await m.close();
    }
  });
});

describe('holy bench: every input format from fixtures', () => {
  test('--dry-run reads Batch input+output, HAR, holy results, chat JSONL and reports bad lines with line numbers', async () => {
    const { ROOT } = await import('../helpers/ctx.js');
    const t = (f: string) => join(ROOT, 'fixtures', 'traffic', f);
    const r = await bench([t('batch-input.jsonl'), t('batch-output.jsonl'), t('recorded.har'), t('results.jsonl'), t('sample.jsonl'), t('bad-lines.jsonl'), '--dry-run', '--json'], {});
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout).plan;
    assert.deepEqual(new Set(plan.files.map((f: { format: string }) => f.format)), new Set(['batch-input', 'batch-output', 'har', 'holy-results', 'chat-jsonl']));
    assert.ok(plan.items >= 29, `items ${plan.items}`);
    assert.equal(plan.skippedEndpoints['POST /v1/embeddings'], 1);
    assert.ok(plan.problems.some((p: { file: string; line: number }) => p.file.endsWith('bad-lines.jsonl') && p.line === 2));
    const tsv = await bench([t('bad-lines.jsonl'), '--dry-run'], {});
    assert.match(tsv.stdout, /bad-lines\.jsonl:3: no "messages"/);
    const strict = await bench([t('bad-lines.jsonl'), '--dry-run', '--strict'], {});
    assert.equal(strict.code, 2);
    assert.match(strict.stderr, /bad-lines\.jsonl:2: not valid JSON/);
  });

  test('a live run warns about skipped bad lines and still sends the good ones', async () => {
    const m = await mocks();
    try {
      const { ROOT } = await import('../helpers/ctx.js');
      const r = await bench([join(ROOT, 'fixtures', 'traffic', 'bad-lines.jsonl'), ...m.args, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /6 bad traffic line\(s\) skipped, first .*bad-lines\.jsonl:2/);
      assert.equal(JSON.parse(r.stdout).summary.pairs, 2);
    } finally {
      await m.close();
    }
  });
});

describe('holy bench: errors that echo the key', () => {
  test('a 401 for a wrong key is counted as http_401 and the key never reaches the files', async () => {
    const m = await mocks();
    try {
      const file = traffic(m.dir, 3);
      const out = join(m.dir, 'r.jsonl');
      const csv = join(m.dir, 'r.csv');
      const wrong = 'hs-wrongkeyvalue12345';
      const r = await bench([file, ...m.args, '--out', out, '--csv', csv, '--json'], { ...m.env, NEWP_API_KEY: wrong });
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).summary;
      assert.deepEqual(s.new.errors, { http_401: 3 });
      for (const t of [r.stdout, r.stderr, readFileSync(out, 'utf8'), readFileSync(csv, 'utf8')]) assert.ok(!t.includes(wrong), 'wrong key leaked');
      noKeys(r.stdout, r.stderr, readFileSync(out, 'utf8'));
      const line = lines(out).map((l) => JSON.parse(l)).find((x) => x.role === 'new');
      assert.equal(line.errorClass, 'http_401');
      assert.equal(line.response.status, 401);
      assert.match(line.error, /HTTP 401/);
    } finally {
      await m.close();
    }
  });

  test('5xx retried with exponential backoff when there is no Retry-After', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'status', status: 502 }, path: 'chat', first: 1 }] });
    try {
      const file = traffic(m.dir, 1);
      const r = await bench([file, ...m.args, '--retries', '1', '--json'], m.env);
      const s = JSON.parse(r.stdout).summary;
      assert.equal(s.new.ok, 1);
      assert.deepEqual(s.new.retries, { total: 1, requests: 1, waitMs: 250, capped: 0 });
      assert.ok(s.new.e2eMs.max < arrivalSpan(m.neu), `e2e ${s.new.e2eMs.max} vs ${arrivalSpan(m.neu)} ms between attempts`);
    } finally {
      await m.close();
    }
  });
});
