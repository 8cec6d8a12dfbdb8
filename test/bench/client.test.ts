import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { closedPort } from '../verify/setup.js';
import { sendChat, type CallOptions } from '../../src/adapters/provider/index.js';

// A scripted SSE server: each path plays one script, so timings are known exactly.
// `wait` moves a virtual clock that the client reads (clock()); the server writes each step only once the client
// has read the clock for the previous one (it does so on the headers and on every chunk it receives), so the
// timings the client reports are the script's, exactly, however fast or loaded the machine is.
// A step marked `real` waits on a real timer instead (the timeout test), and the virtual clock does not move.
type Step = { wait: number; data?: string; raw?: string; destroy?: boolean; real?: boolean };
const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra });
const finish = JSON.stringify({ id: 'c1', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = JSON.stringify({ id: 'c1', model: 'm', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } });

const scripts: Record<string, Step[]> = {
  '/ok/chat/completions': [
    { wait: 0, data: chunk({ role: 'assistant' }) }, // role-only, immediately: must not count as TTFT
    { wait: 120, data: chunk({ content: 'Hello' }) },
    { wait: 40, data: chunk({ content: ' wor' }) },
    { wait: 40, data: chunk({ content: 'ld' }) },
    { wait: 0, data: finish },
    { wait: 0, data: usage },
    { wait: 0, data: '[DONE]' },
  ],
  '/tools/chat/completions': [
    { wait: 0, data: chunk({ role: 'assistant', content: '' }) },
    { wait: 60, data: chunk({ tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'lookup', arguments: '' } }] }) },
    { wait: 10, data: chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }) },
    { wait: 0, data: JSON.stringify({ id: 'c1', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) },
    { wait: 0, data: '[DONE]' },
  ],
  '/malformed/chat/completions': [{ wait: 0, data: chunk({ content: 'a' }) }, { wait: 0, raw: 'data: {not json\n\n' }, { wait: 0, data: '[DONE]' }],
  '/instream/chat/completions': [{ wait: 0, data: chunk({ content: 'a' }) }, { wait: 0, data: JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }) }],
  '/truncated/chat/completions': [{ wait: 0, data: chunk({ content: 'a' }) }, { wait: 0, data: chunk({ content: 'b' }) }],
  '/reset/chat/completions': [{ wait: 0, data: chunk({ content: 'a' }) }, { wait: 10, destroy: true }],
  '/stall/chat/completions': [{ wait: 0, data: chunk({ content: 'a' }) }, { wait: 5000, data: '[DONE]', real: true }],
};

let server: Server;
let base: string;
const agent = new Agent();
const timers = new Set<NodeJS.Timeout>();
/** The virtual clock: `now` is moved by the script; `reads` counts the client's reads of it. */
const vt = { now: 0, reads: 0 };
const vclock = () => (vt.reads++, vt.now);
/** What the server actually wrote, per path (the stall test checks the stalled step never went out). */
const written = new Map<string, number>();

/** Resolve once the client has read the clock since `since` reads (or the response is gone). */
async function clientRead(res: ServerResponse, since: number): Promise<void> {
  while (vt.reads <= since && !res.destroyed) await new Promise((r) => setImmediate(r));
}

async function play(res: ServerResponse, url: string, steps: Step[]) {
  let seen = vt.reads;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
  await clientRead(res, seen);
  for (const s of steps) {
    if (s.real) await new Promise((r) => { const t = setTimeout(r, s.wait); timers.add(t); });
    else vt.now += s.wait;
    if (res.destroyed) return;
    if (s.destroy) return void res.socket?.destroy();
    seen = vt.reads;
    res.write(s.raw ?? `data: ${s.data}\n\n`);
    written.set(url, (written.get(url) ?? 0) + 1);
    await clientRead(res, seen);
  }
  res.end();
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = req.url ?? '';
      if (url === '/json/chat/completions') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
      }
      if (url === '/err/chat/completions') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        return void res.end(JSON.stringify({ error: { message: `quota for key ${req.headers.authorization}`, code: 'insufficient_quota', type: 'insufficient_quota' } }));
      }
      if (url === '/html/chat/completions') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html>login</html>');
      }
      const s = scripts[url];
      if (!s) {
        res.writeHead(404);
        return void res.end();
      }
      void play(res, url, s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const t of timers) clearTimeout(t);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await agent.close();
});

const KEY = 'hs-secretkeyvalue123456';
/** One request on the virtual clock, which starts at 0 for each call. */
function call(path: string, o: Partial<CallOptions> = {}) {
  vt.now = 0;
  return sendChat({ dispatcher: agent, baseURL: base + path, key: KEY, body: { model: 'm', messages: [], stream: true }, timeoutMs: 2000, clock: vclock, now: () => Date.now(), ...o });
}

describe('bench client timing', () => {
  test('TTFT waits for content (the role-only chunk does not count); ITL gaps; usage honoured', async () => {
    const r = await call('/ok');
    assert.equal(r.ok, true, r.errorMessage);
    assert.equal(r.ttfbMs, 0, 'TTFB is the headers');
    assert.equal(r.ttftMs, 120, 'TTFT is the first content, not the role-only chunk at 0 ms');
    assert.deepEqual(r.itl, [40, 40]);
    assert.equal(r.e2eMs, 200);
    assert.equal(r.usageSeen, true);
    assert.deepEqual(r.usage, { prompt_tokens: 7, completion_tokens: 3 });
    assert.equal(r.completion!.choices[0]!.message.content, 'Hello world');
    assert.equal(r.completion!.choices[0]!.finish_reason, 'stop');
  });
  test('latency counts from the intended send time (open loop)', async () => {
    const r = await call('/ok', { intendedAt: -500 });
    assert.equal(r.ttftMs, 620);
    assert.equal(r.e2eMs, 700);
  });
  test('a tool-call delta counts as the first token; arguments are reassembled', async () => {
    const r = await call('/tools');
    assert.equal(r.ok, true);
    assert.equal(r.ttftMs, 60);
    assert.deepEqual(r.itl, [10]);
    assert.deepEqual(r.completion!.choices[0]!.message.tool_calls, [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"a":1}' } }]);
    assert.equal(r.usageSeen, false);
  });
  test('stream faults are classified', async () => {
    assert.equal((await call('/malformed')).errorClass, 'malformed_stream');
    assert.equal((await call('/instream')).errorClass, 'in_stream_error');
    assert.equal((await call('/truncated')).errorClass, 'truncated_stream');
    assert.equal((await call('/reset')).errorClass, 'reset');
    // Real clock here: the timeout is a real timer. It must end the call before the stalled step goes out.
    const t = await call('/stall', { timeoutMs: 200, clock: () => (vt.reads++, performance.now()) });
    assert.equal(t.errorClass, 'timeout');
    assert.ok(t.e2eMs! >= 200, `e2e ${t.e2eMs}`);
    assert.equal(written.get('/stall/chat/completions'), 1, 'gave up before the server sent the stalled step');
  });
  test('non-streaming, HTTP errors (key redacted), HTML and refused connections', async () => {
    const j = await call('/json', { body: { model: 'm', messages: [] } });
    assert.equal(j.ok, true);
    assert.equal(j.ttftMs, undefined);
    assert.equal(j.usage!.completion_tokens, 1);
    const e = await call('/err');
    assert.equal(e.errorClass, 'insufficient_quota');
    assert.equal(e.retryAfterMs, 3000);
    assert.ok(!e.errorMessage!.includes(KEY), e.errorMessage);
    assert.equal((await call('/html', { body: { model: 'm', messages: [] } })).errorClass, 'malformed_response');
    assert.equal((await call('/nope', { body: { model: 'm', messages: [] } })).errorClass, 'http_404');
    const dead = await sendChat({ dispatcher: agent, baseURL: `http://127.0.0.1:${await closedPort()}`, body: { model: 'm', messages: [] }, timeoutMs: 2000, clock: () => performance.now(), now: () => Date.now() });
    assert.equal(dead.errorClass, 'connect_error');
  });
});
