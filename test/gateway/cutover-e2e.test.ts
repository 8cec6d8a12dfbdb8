/**
 * Cutover end to end: `holy gateway` in-process, the real openai SDK as the client, holy mocks as the
 * upstreams. A relay that starts failing is rolled back by the guard (reaction time measured on the
 * gateway's own clock); a stalled or failing shadow changes nothing a client sees; --record and the
 * shadow recording are read by holy bench; `holy gateway route` moves the share; SIGHUP does too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, runGateway, defaultGateway, until, UP_KEY_A, UP_KEY_B, type Harness } from './helpers.js';
import { spawn } from 'node:child_process';
import { HOLY_BIN, runHoly } from '../helpers/ctx.js';

const ADMIN = ['adm', 'key', 'e2e', 'x'.repeat(24)].join('-');

/** The simulated relay: passes requests through to a holy mock until told to fail, then answers 503 at once. */
async function toggleRelay(target: string): Promise<{ url: string; failing: boolean; chat: number; failedChat: number; close(): Promise<void> }> {
  const t = new URL(target);
  const state = { url: '', failing: false, chat: 0, failedChat: 0, close: async () => {} };
  const srv: Server = createServer((req, res) => {
    const isChat = (req.url ?? '').endsWith('/chat/completions');
    if (isChat) state.chat++;
    if (state.failing && isChat) {
      state.failedChat++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'relay overloaded', type: 'server_error', param: null, code: 'overloaded' } }));
      return;
    }
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: (t.pathname.replace(/\/+$/, '') + (req.url ?? '').replace(/^\/v1/, '')), headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  state.close = () => new Promise<void>((ok) => srv.close(() => ok()));
  return state;
}

function withRoute(route: Record<string, unknown>): Record<string, unknown> {
  const g = defaultGateway();
  return { ...g, route: { primary: 'a', maxInFlight: 16, ...route } };
}

async function routeStatus(url: string, key = ADMIN): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(url.replace(/\/v1$/, '/admin/route'), { headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

test('a relay that starts failing: the guard rolls the canary back by itself; no client ever sees an error; reaction time on the gateway’s clock', async (t) => {
  const h = await harness();
  const relay = await toggleRelay(h.b.url);
  let notified: unknown[] = [];
  const hook = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      notified.push(JSON.parse(b));
      res.end('ok');
    });
  });
  await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
  const hookURL = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  h.writeConfig(withRoute({ canary: { provider: 'b', percent: 50, sticky: 'none', guard: { maxErrorRate: 0.05, maxP99Ms: 5000, window: '1m', minRequests: 10 } } }), { a: { baseURL: h.a.url }, b: { baseURL: relay.url } });
  h.env.HOLY_GATEWAY_ADMIN_KEY = ADMIN;
  const key = await h.keyFor('acme');
  const gw = await runGateway(h, ['--notify', hookURL]);
  try {
    const client = gw.client(key);
    const ask = (i: number) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }], max_tokens: 8 }).withResponse();
    // Healthy: both sides serve.
    const served = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const { response } = await ask(i);
      const p = response.headers.get('x-holy-provider') ?? '?';
      served.set(p, (served.get(p) ?? 0) + 1);
    }
    assert.ok((served.get('b') ?? 0) > 5 && (served.get('a') ?? 0) > 5, JSON.stringify([...served]));
    assert.equal((await routeStatus(gw.url)).body.canary.state, 'canary');
    // The relay starts failing: from here every canary request fails before its first byte.
    relay.failing = true;
    let after = 0;
    let errors = 0;
    for (let i = 0; i < 200; i++) {
      const st = await routeStatus(gw.url);
      if (st.body.canary.state === 'rolled-back') break;
      try {
        const { data } = await ask(1000 + i);
        assert.ok(data.choices[0]!.message.content);
      } catch {
        errors++;
      }
      after++;
    }
    const st = (await routeStatus(gw.url)).body.canary;
    assert.equal(st.state, 'rolled-back');
    assert.equal(st.percent, 0);
    assert.equal(st.last.who, 'guard');
    assert.match(st.breach.reason, /candidate error rate .* over maxErrorRate 5\.0 %/);
    assert.equal(errors, 0, 'every canary failure was served by the primary: no client saw an error');
    // After the rollback nothing more goes to the relay.
    const before = relay.chat;
    for (let i = 0; i < 20; i++) await ask(5000 + i);
    assert.equal(relay.chat, before, 'no request reaches the candidate after the rollback');
    await until(() => notified.length > 0);
    const n = notified[0] as { text: string; holy: { event: string } };
    assert.match(n.text, /canary b rolled back from 50 % to 0 %/);
    assert.equal(n.holy.event, 'canary_rollback');
    assert.ok(gw.logs().some((l) => l.event === 'canary_rollback' && l.level === 'error'));
    t.diagnostic(`rollback reaction: ${st.breach.failuresSeen} failed candidate answers, ${st.breach.reactionMs} ms on the gateway's clock from the first failure to the rollback; ${relay.failedChat} requests reached the failing relay, ${after} client requests sent after the breach began (all answered by the primary)`);
    assert.ok(st.breach.failuresSeen >= 1 && st.breach.failuresSeen <= relay.failedChat);
  } finally {
    await gw.stop();
    await relay.close();
    await new Promise<void>((ok) => hook.close(() => ok()));
    await h.close();
    notified = [];
  }
});

test('shadow: a stalled, erroring or absent shadow changes nothing the client sees; pairs recorded (0600) and benched without sending', async (t) => {
  for (const kind of ['stall', 'error'] as const) {
    const h: Harness = await harness({ b: { faults: [{ fault: kind === 'stall' ? { kind: 'stall', ms: 30_000, phase: 'headers' } : { kind: 'status', status: 500 }, path: 'chat' }] } });
    h.writeConfig(withRoute({ shadow: { provider: 'b', percent: 100, maxInFlight: 2, record: 'shadow.jsonl' } }));
    h.env.HOLY_GATEWAY_ADMIN_KEY = ADMIN;
    const key = await h.keyFor('acme');
    const gw = await runGateway(h);
    try {
      const client = gw.client(key);
      const texts: string[] = [];
      for (let i = 0; i < 12; i++) {
        const stream = i % 2 === 1;
        if (stream) {
          let s = '';
          for await (const c of await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `s${i}` }], stream: true })) s += c.choices[0]?.delta?.content ?? '';
          texts.push(s);
        } else {
          const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `s${i}` }] }).withResponse();
          assert.equal(response.headers.get('x-holy-provider'), 'a');
          texts.push(data.choices[0]!.message.content ?? '');
        }
      }
      assert.equal(texts.filter((x) => x.length > 0).length, 12, 'every answer arrived whole');
      const st = (await routeStatus(gw.url)).body;
      if (kind === 'stall') {
        assert.equal(st.shadow.inFlight, 2, 'at most maxInFlight stalled copies');
        assert.ok(st.shadow.dropped.in_flight >= 8, JSON.stringify(st.shadow));
      } else {
        await until(() => h.b.requests.filter((r) => r.path.endsWith('/chat/completions')).length >= 12);
      }
      t.diagnostic(`shadow ${kind}: ${JSON.stringify({ sent: st.shadow.sent, inFlight: st.shadow.inFlight, dropped: st.shadow.dropped })}`);
    } finally {
      assert.equal(await gw.stop(), 0, 'the gateway stops cleanly with shadow copies stalled');
      await h.close();
    }
    if (kind === 'error') {
      const file = join(h.dir, 'shadow.jsonl');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 24);
      assert.ok(lines.filter((l) => l.role === 'new').every((l) => l.ok === false && l.errorClass === 'http_500'));
      assert.ok(lines.filter((l) => l.role === 'old').every((l) => l.ok === true && l.provider === 'a'));
      const b = await runHoly(['bench', 'shadow.jsonl', '--old', 'recorded', '--new', 'recorded', '--json'], { cwd: h.dir });
      assert.equal(b.code, 0, b.stderr);
      const doc = JSON.parse(b.stdout);
      assert.equal(doc.summary.pairs, 12);
      assert.equal(doc.summary.new.ok, 0);
      assert.equal(doc.verdict.decision, 'no-go', 'a shadow that fails every request is a no-go');
    }
  }
});

test('shadow: the copy starts only once the client has read the whole answer (a slow reader of a large answer is not raced by its copy)', async () => {
  // The primary answers 24 MB at once: more than the loopback socket buffers hold, so while the client does
  // not read, the rest waits in the gateway's own buffers. The shadow counts what reaches it.
  const content = 'x'.repeat(24 * 1024 * 1024);
  const answer = JSON.stringify({ id: 'chatcmpl-big', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
  let copies = 0;
  const servers = [
    createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer));
    }),
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if ((req.url ?? '').endsWith('/chat/completions')) copies++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'small' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
      });
    }),
  ];
  for (const srv of servers) await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const url = (i: number) => `http://127.0.0.1:${(servers[i]!.address() as AddressInfo).port}/v1`;
  const h = await harness();
  h.writeConfig(withRoute({ shadow: { provider: 'b', percent: 100, maxInFlight: 2 } }), { a: { baseURL: url(0) }, b: { baseURL: url(1) } });
  const key = await h.keyFor('acme');
  const gw = await runGateway(h);
  try {
    const u = new URL(`${gw.url}/chat/completions`);
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'big' }] });
    let received = 0;
    let ended!: () => void;
    const end = new Promise<void>((ok) => (ended = ok));
    const res = await new Promise<import('node:http').IncomingMessage>((ok, fail) => {
      const rq = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, ok);
      rq.on('error', fail);
      rq.end(body);
    });
    res.pause(); // a slow reader: nothing more is read until resume()
    res.on('data', (c: Buffer) => (received += c.length));
    res.on('end', () => ended());
    assert.equal(res.statusCode, 200);
    // The gateway has finished with the request (its log line is written just before the copy would start)…
    await until(() => gw.logs().some((l) => l.event === 'request' && l.http === 200), 1000);
    await new Promise((r) => setTimeout(r, 150));
    // …but the answer has not all left: no copy yet.
    assert.equal(copies, 0, 'the shadow copy waited for the client to read the answer');
    res.resume();
    await end;
    assert.equal(received, Buffer.byteLength(answer), 'the whole answer arrived');
    await until(() => copies === 1, 1000);
  } finally {
    await gw.stop();
    await h.close();
    for (const srv of servers) await new Promise<void>((ok) => srv.close(() => ok()));
  }
});

test('--record: served requests written 0600 with redaction; holy bench replays the recording against the other provider', async () => {
  const h = await harness();
  const key = await h.keyFor('acme');
  const gw = await runGateway(h, ['--record', 'traffic.jsonl', '--record-redact', '\\b\\d{3}-\\d{2}-\\d{4}\\b']);
  try {
    const client = gw.client(key);
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `my id is 123-45-678${i}, question ${i}` }], max_tokens: 8 });
    await until(() => {
      try {
        return readFileSync(join(h.dir, 'traffic.jsonl'), 'utf8').trim().split('\n').length === 6;
      } catch {
        return false;
      }
    });
  } finally {
    await gw.stop();
  }
  try {
    const file = join(h.dir, 'traffic.jsonl');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const raw = readFileSync(file, 'utf8');
    assert.doesNotMatch(raw, /123-45-678/);
    assert.ok(!raw.includes(key), 'no tenant key in the recording');
    const first = JSON.parse(raw.split('\n')[0]!);
    assert.equal(first.request.messages[0].content, 'my id is [redacted], question 0');
    assert.ok(first.timings.e2eMs > 0);
    const before = h.a.requests.length;
    const r = await runHoly(['--config', h.cfgPath, 'bench', 'traffic.jsonl', '--old', 'recorded', '--new', 'b', '--json'], { cwd: h.dir, env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.summary.pairs, 6);
    assert.equal(doc.summary.new.ok, 6);
    assert.equal(h.a.requests.length, before, 'the recorded side is not called');
  } finally {
    await h.close();
  }
});

test('holy gateway route: reads and moves the share with the admin key; tenant keys, wrong keys and a gateway without the admin key are refused; SIGHUP changes the share', async () => {
  const h = await harness();
  h.writeConfig(withRoute({ canary: { provider: 'b', percent: 5, guard: { window: '5m', minRequests: 50 } } }));
  h.env.HOLY_GATEWAY_ADMIN_KEY = ADMIN;
  const key = await h.keyFor('acme');
  const gw = await runGateway(h);
  const base = gw.url.replace(/\/v1$/, '');
  const route = (args: string[], env: Record<string, string> = { HOLY_GATEWAY_ADMIN_KEY: ADMIN, USER: 'alice' }) => runHoly(['gateway', 'route', '--url', base, ...args], { env, cwd: h.dir });
  try {
    let r = await route([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /canary {4}b — 5 % of requests \(sticky by tenant\)/);
    r = await route(['--percent', '25', '--why', 'shadow bench was a go']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /b — 25 %/);
    assert.match(r.stdout, /alice: percent 5 → 25 — shadow bench was a go/);
    r = await route(['--json', '--promote']);
    assert.equal(JSON.parse(r.stdout).canary.state, 'promoted');
    const client = gw.client(key);
    const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.headers.get('x-holy-provider'), 'b', 'promoted: the candidate serves');
    r = await route(['--rollback', '--why', 'test']);
    assert.match(r.stdout, /rolled back: share 0/);
    assert.ok(gw.logs().some((l) => l.event === 'canary_change' && l.who === 'alice' && l.why === 'test'), 'the change is logged with who/what/why');
    // Refusals.
    assert.equal((await routeStatus(gw.url, key)).status, 401, 'a tenant key is not an admin key');
    r = await route(['--percent', '10'], { HOLY_GATEWAY_ADMIN_KEY: 'wrong-' + 'k'.repeat(20) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refused the admin key/);
    r = await route(['--percent', '10'], {});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HOLY_GATEWAY_ADMIN_KEY is not set/);
    r = await route(['--percent', '101']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--percent "101"/);
    r = await route(['--percent', '5', '--promote']);
    assert.equal(r.code, 2);
    // SIGHUP with an edited percent.
    h.writeConfig(withRoute({ canary: { provider: 'b', percent: 40, guard: { window: '5m', minRequests: 50 } } }));
    gw.hangup();
    await until(() => gw.logs().some((l) => l.event === 'cutover_reconfigured'));
    const st = (await routeStatus(gw.url)).body.canary;
    assert.equal(st.percent, 40);
    assert.equal(st.state, 'canary');
    assert.equal(st.last.who, 'config');
  } finally {
    await gw.stop();
  }
  // A gateway started without HOLY_GATEWAY_ADMIN_KEY: the endpoint is off.
  delete h.env.HOLY_GATEWAY_ADMIN_KEY;
  const gw2 = await runGateway(h);
  try {
    assert.equal((await routeStatus(gw2.url)).status, 403);
    const r = await runHoly(['gateway', 'route', '--url', gw2.url], { env: { HOLY_GATEWAY_ADMIN_KEY: ADMIN }, cwd: h.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /admin endpoint is off/);
  } finally {
    await gw2.stop();
    await h.close();
  }
  writeFileSync(join(h.dir, 'done'), '');
});

/** `holy mock` in a child process (so its work is not on the gateway's event loop); resolves with its URL and a stop. */
async function childMock(key: string, args: string[] = []): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--', HOLY_BIN, 'mock', ...args], { env: { PATH: process.env.PATH, HOLY_MOCK_KEY: key }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  await until(() => out.includes('\n'), 1000);
  return {
    url: out.split('\n')[0]!.trim(),
    stop: () => new Promise<void>((ok) => {
      child.once('exit', () => ok());
      child.kill('SIGTERM');
    }),
  };
}

test('shadowing’s cost on the primary path: the same requests with the shadow off and at 100 % (a figure for the closing note, no bound asserted)', async (t) => {
  const h = await harness();
  const a = await childMock(UP_KEY_A, ['--ttft', '5']);
  const b = await childMock(UP_KEY_B, ['--ttft', '5']);
  const providers = { a: { baseURL: a.url }, b: { baseURL: b.url } };
  h.writeConfig(withRoute({}), providers);
  const key = await h.keyFor('acme');
  h.env.HOLY_GATEWAY_ADMIN_KEY = ADMIN;
  const gw = await runGateway(h);
  try {
    const post = async (i: number) => {
      const t0 = performance.now();
      const r = await fetch(gw.url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `overhead ${i}` }], max_tokens: 16 }) });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      return performance.now() - t0;
    };
    const pct = (x: number[], p: number) => [...x].sort((m, n) => m - n)[Math.min(x.length - 1, Math.ceil((p / 100) * x.length) - 1)]!;
    const gwMs = (from: number) => gw.logs().slice(from).filter((l) => l.event === 'request').map((l) => l.ms as number);
    const N = 200;
    for (let i = 0; i < 30; i++) await post(i);
    const runs: Record<'off' | 'on', { client: number[]; gw: number[] }> = { off: { client: [], gw: [] }, on: { client: [], gw: [] } };
    // Off, on, off, on: a drift of the shared machine lands on both.
    for (const mode of ['off', 'on', 'off', 'on'] as const) {
      h.writeConfig(withRoute(mode === 'on' ? { shadow: { provider: 'b', percent: 100, maxInFlight: 64, record: 'overhead-shadow.jsonl' } } : {}), providers);
      const n = gw.logs().filter((l) => l.event === 'cutover_reconfigured').length;
      gw.hangup();
      await until(() => gw.logs().filter((l) => l.event === 'cutover_reconfigured').length > n);
      const mark = gw.logs().length;
      for (let i = 0; i < N / 2; i++) runs[mode].client.push(await post(i));
      await new Promise((r) => setTimeout(r, 50));
      runs[mode].gw.push(...gwMs(mark));
    }
    const st = (await routeStatus(gw.url)).body.shadow;
    assert.ok(st.sent >= (N / 2) * 0.9, `the last shadowed run copied its requests: ${JSON.stringify(st)}`);
    const f = (x: number) => x.toFixed(2);
    const r = (k: 'client' | 'gw', p: number) => `${f(pct(runs.off[k], p))} → ${f(pct(runs.on[k], p))} ms (×${f(pct(runs.on[k], p) / pct(runs.off[k], p))})`;
    t.diagnostic(`shadow overhead on the primary path (upstreams in child processes, ${N} sequential requests each way): client p50 ${r('client', 50)}, p99 ${r('client', 99)}; gateway's own clock p50 ${r('gw', 50)}, p99 ${r('gw', 99)}; shadow ${JSON.stringify({ sent: st.sent, dropped: st.dropped })}`);
  } finally {
    await gw.stop();
    await a.stop();
    await b.stop();
    await h.close();
  }
});

test('bad cutover flags and files are usage errors (exit 2) naming the flag, before the gateway listens', async () => {
  const h = await harness();
  try {
    const run = (args: string[]) => runHoly(['--config', h.cfgPath, 'gateway', '--port', '0', ...args], { env: h.env, cwd: h.dir });
    let r = await run(['--record', '/nonexistent-holy-dir/traffic.jsonl']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--record \/nonexistent-holy-dir\/traffic\.jsonl cannot be written \(ENOENT\)/);
    assert.equal(r.stdout, '', 'no URL: it never listened');
    r = await run(['--record-sample', '0.5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--record-sample only applies with --record FILE/);
    r = await run(['--record', 't.jsonl', '--record-redact', '(']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--record-redact "\(" is not a valid regular expression/);
    r = await run(['--notify', 'ftp://x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--notify "ftp:\/\/x" is not an http\(s\) URL/);
    h.writeConfig(withRoute({ shadow: { provider: 'b', percent: 10, record: 'no-such-dir/s.jsonl' } }));
    r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /gateway\.route\.shadow\.record .*no-such-dir\/s\.jsonl cannot be written/);
    h.writeConfig(withRoute({ canary: { provider: 'b', percent: 5, guard: { window: '5 minutes' } } }));
    r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /gateway\.route\.canary\.guard\.window must be a duration from 1s to 24h such as "5m"/);
  } finally {
    await h.close();
  }
});
