import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runHoly, fakeCtx } from '../helpers/ctx.js';
import { readTraffic } from '../../src/adapters/traffic/read.js';
import { startStoredServer, KEY, type StoredServer } from './stored-server.js';
import { getJson, MAX_WAIT_MS, StoredApiError } from '../../src/adapters/provider/index.js';
import { makeHttp } from '../../src/adapters/http.js';

let tmp: string;
let srv: StoredServer;
const env = { STORE_KEY: KEY };

function config(dir: string, url: string): void {
  writeFileSync(join(dir, 'holy.config.json'), JSON.stringify({ providers: { store: { baseURL: url, apiKeyEnv: 'STORE_KEY' } } }));
}
function pull(args: string[], cwd = tmp) {
  return runHoly(['traffic', 'pull', '--provider', 'store', ...args], { env, cwd });
}
function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(join(tmp, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}
const ids = (ls: Array<Record<string, unknown>>) => ls.filter((l) => typeof l.id === 'string').map((l) => l.id as string);

before(async () => {
  srv = await startStoredServer(250);
});
after(async () => {
  await srv.close();
});
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'holy-pull-'));
  config(tmp, srv.url);
  srv.fault = () => undefined;
  srv.seen.length = 0;
});

describe('traffic pull', () => {
  test('pulls every page newest first into holy results lines that bench reads as recorded baselines', async () => {
    const r = await pull(['--out', 't.jsonl']);
    assert.equal(r.code, 0, r.stderr);
    const ls = lines('t.jsonl');
    assert.equal((ls[0]!._holy as { kind: string }).kind, 'traffic-pull');
    assert.equal((ls.at(-1)!._holy as { kind: string; pulled: number }).pulled, 250);
    const got = ids(ls);
    assert.deepEqual(got, srv.items.map((x) => x.completion.id), 'all 250, newest first, no duplicates');
    // 3 list pages of 100 + one messages request per completion; the key went only as a bearer header.
    assert.equal(srv.seen.filter((s) => s.path === '/v1/chat/completions').length, 3);
    assert.equal(srv.seen.filter((s) => s.path.endsWith('/messages')).length, 250);
    assert.ok(srv.seen.every((s) => s.auth === `Bearer ${KEY}` && !s.query.toString().includes(KEY)));
    assert.ok(!readFileSync(join(tmp, 't.jsonl'), 'utf8').includes(KEY), 'the key is never written');
    const { items } = readTraffic(fakeCtx({ cwd: tmp }), ['t.jsonl'], { strict: true });
    const list = [];
    for await (const it of items) list.push(it);
    assert.equal(list.length, 250);
    const first = list[0]!;
    const src = srv.items[0]!;
    assert.deepEqual(first.body.messages, [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: src.messages[1]!.content }]);
    assert.equal(first.body.model, src.completion.model);
    assert.equal(first.body.temperature, 1);
    assert.equal(first.body.stream, undefined, 'stream is not stored: replayed as non-streaming');
    assert.equal(first.recorded!.status, 200);
    assert.deepEqual((first.recorded!.body as { usage: unknown }).usage, src.completion.usage);
    assert.equal(first.recordedAt, src.completion.created * 1000);
    assert.match(r.stdout, /completions in file\t250/);
    assert.match(r.stderr, /max_tokens, max_completion_tokens: not stored/);
  });

  test('--model and --metadata go to the API as filters; --since/--until cut by created time, stopping at --since', async () => {
    const end = srv.items[0]!.completion.created;
    const since = new Date((end - 99 * 60) * 1000).toISOString();
    const until = new Date((end - 9 * 60) * 1000).toISOString();
    const r = await pull(['--out', 'f.jsonl', '--model', 'gpt-4o', '--metadata', 'app=support', '--since', since, '--until', until]);
    assert.equal(r.code, 0, r.stderr);
    const expected = srv.items.filter((x, i) => i >= 9 && i <= 99 && x.completion.model === 'gpt-4o' && x.completion.metadata.app === 'support').map((x) => x.completion.id);
    assert.ok(expected.length > 3);
    assert.deepEqual(ids(lines('f.jsonl')), expected);
    const list = srv.seen.filter((s) => s.path === '/v1/chat/completions');
    assert.ok(list.every((s) => s.query.get('model') === 'gpt-4o' && s.query.get('metadata[app]') === 'support' && s.query.get('order') === 'desc'));
    assert.equal(list.length, 1, 'older pages are never asked for once --since is passed');
    assert.match(r.stdout, /skipped: created after --until\t\d+/);
  });

  test('429 with Retry-After is waited out (server clock), 500 is retried, and the pull completes', async () => {
    srv.fault = (n) => (n === 1 ? { status: 429, headers: { 'retry-after-ms': '40', 'retry-after': '1' } } : n === 5 ? { status: 500 } : undefined);
    const r = await pull(['--out', 'r.jsonl', '--limit', '30']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ids(lines('r.jsonl')).length, 30);
    assert.ok(srv.seen[1]!.at - srv.seen[0]!.at >= 39, `waited ${srv.seen[1]!.at - srv.seen[0]!.at} ms`);
    assert.equal(srv.seen[1]!.path, '/v1/chat/completions');
  });

  test('a connection cut mid-pull exits 1 keeping what was pulled; the same command resumes after it without duplicates', async () => {
    srv.fault = (_n, path, q) => (path === '/v1/chat/completions' && q.get('after') ? 'cut' : undefined);
    const r1 = await pull(['--out', 'c.jsonl']);
    assert.equal(r1.code, 1, r1.stderr);
    assert.match(r1.stderr, /the 100 completion\(s\) pulled so far are in c\.jsonl: run the same command again to resume/);
    const half = ids(lines('c.jsonl'));
    assert.equal(half.length, 100);
    assert.equal(srv.seen.filter((s) => s.query.get('after')).length, 4, 'one try and 3 retries, then give up');
    srv.fault = () => undefined;
    srv.seen.length = 0;
    const r2 = await pull(['--out', 'c.jsonl']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(srv.seen[0]!.query.get('after'), half.at(-1), 'continues after the last completion written');
    const all = ids(lines('c.jsonl'));
    assert.equal(new Set(all).size, 250);
    assert.deepEqual(all, srv.items.map((x) => x.completion.id));
    assert.match(r2.stdout, /pulled now\t150 \(resumed after 100\)/);
  });

  test('a half-written last line (killed mid-write) is cut off and pulled again', async () => {
    assert.equal((await pull(['--out', 'p.jsonl', '--limit', '3'])).code, 0);
    appendFileSync(join(tmp, 'p.jsonl'), '{"id":"chatcmpl-half","role":"old","req');
    const r = await pull(['--out', 'p.jsonl', '--limit', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /half-written line/);
    assert.deepEqual(ids(lines('p.jsonl')), srv.items.slice(0, 5).map((x) => x.completion.id));
  });

  for (const status of [404, 405] as const) {
    test(`a provider without the endpoint (a relay answering ${status}) gets one sentence, exit 2, and no file`, async () => {
      const relay = await startStoredServer(1, { relay: status });
      try {
        config(tmp, relay.url);
        const r = await pull(['--out', 'x.jsonl']);
        assert.equal(r.code, 2);
        assert.match(r.stderr, new RegExp(`^holy: store \\(http://127\\.0\\.0\\.1:\\d+/v1\\) has no stored-completions endpoint \\(GET /chat/completions answered ${status}\\); .*--provider official\\.\\n$`));
        assert.equal(relay.seen.length, 1, 'one request, no retries');
        assert.equal(existsSync(join(tmp, 'x.jsonl')), false);
      } finally {
        await relay.close();
      }
    });
  }

  test('refusals: foreign --out untouched, other filters, official key to a local host, bad flags', async () => {
    writeFileSync(join(tmp, 'mine.jsonl'), 'my notes\n');
    let r = await pull(['--out', 'mine.jsonl']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out mine\.jsonl already exists and is not a holy traffic pull/);
    assert.equal(readFileSync(join(tmp, 'mine.jsonl'), 'utf8'), 'my notes\n');
    assert.equal((await pull(['--out', 'o.jsonl', '--limit', '2'])).code, 0);
    r = await pull(['--out', 'o.jsonl', '--model', 'gpt-4o']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds a pull with other filters \(--provider store\); .*--restart/);
    r = await pull(['--out', 'o.jsonl', '--model', 'gpt-4o', '--restart', '--limit', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(tmp, 'o.jsonl.bak')));
    srv.seen.length = 0;
    r = await runHoly(['traffic', 'pull', '--provider', 'store', '--out', 'k.jsonl'], { env: { STORE_KEY: 'sk-proj-' + 'a'.repeat(40) }, cwd: tmp });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to send: for provider store, an OpenAI-format key would be sent to 127\.0\.0\.1/);
    assert.equal(srv.seen.length, 0, 'nothing was sent');
    for (const [args, re] of [
      [[], /--out is required/],
      [['--out', 'a.jsonl', '--since', 'last week'], /--since "last week": expected an ISO 8601 date/],
      [['--out', 'a.jsonl', '--metadata', 'app'], /--metadata "app": expected KEY=VALUE/],
      [['--out', 'a.jsonl', '--limit', '0'], /--limit "0": expected a whole number of at least 1/],
      [['--out', 'a.jsonl', '--since', '2026-11-02', '--until', '2026-11-01'], /--until 2026-11-01 is not after --since/],
    ] as Array<[string[], RegExp]>) {
      const x = await pull(args);
      assert.equal(x.code, 2, args.join(' '));
      assert.match(x.stderr, re);
    }
  });

  test('a rejected key is a failed check (exit 3) naming holy verify', async () => {
    const r = await runHoly(['traffic', 'pull', '--provider', 'store', '--out', 'k.jsonl'], { env: { STORE_KEY: 'test-wrong-key-000000' }, cwd: tmp });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /refused the key .*HTTP 401/);
    assert.match(r.stderr, /holy verify/);
  });

  test('a Retry-After beyond the cap is waited for at most MAX_WAIT_MS (60 s), and error text from the server is redacted and printable', async () => {
    srv.fault = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 400, body: JSON.stringify({ error: { message: `bad \u001b[31mrequest\u0007 for ${KEY} and sk-proj-${'x'.repeat(30)}` } }) });
    const ctx = fakeCtx();
    const http = makeHttp(ctx);
    const ac = new AbortController();
    const waits: number[] = [];
    try {
      const p = getJson({ dispatcher: http.dispatcher, baseURL: srv.url, key: KEY, headers: {}, timeoutMs: 5000, signal: ac.signal, now: () => Date.now(), onWait: (ms) => { waits.push(ms); ac.abort(); } }, '/chat/completions', []);
      await assert.rejects(p, (e: unknown) => e instanceof StoredApiError && e.message === 'interrupted');
      assert.deepEqual(waits, [MAX_WAIT_MS]);
      assert.equal(MAX_WAIT_MS, 60_000);
      const q = getJson({ dispatcher: http.dispatcher, baseURL: srv.url, key: KEY, headers: {}, timeoutMs: 5000, signal: new AbortController().signal, now: () => Date.now() }, '/chat/completions', []);
      await assert.rejects(q, (e: unknown) => {
        const m = (e as Error).message;
        assert.ok(!m.includes(KEY) && !m.includes('x'.repeat(30)), m);
        assert.doesNotMatch(m, /[\u0000-\u001f]/);
        return (e as StoredApiError).status === 400;
      });
    } finally {
      await http.close();
    }
  });

  test('a provider that cannot be reached: exit 1, nothing written, no talk of resuming', async () => {
    writeFileSync(join(tmp, 'holy.config.json'), JSON.stringify({ providers: { store: { baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'STORE_KEY', timeoutMs: 2000 } } }));
    const r = await pull(['--out', 'n.jsonl']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /listing stored completions on store failed: .*nothing was written/);
    assert.equal(existsSync(join(tmp, 'n.jsonl')), false);
  });
});
