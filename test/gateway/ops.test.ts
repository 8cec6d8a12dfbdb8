import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { HOLY_BIN, runHoly } from '../helpers/ctx.js';
import { defaultGateway, harness, runGateway, until, type Harness } from './helpers.js';
import { startGateway } from '../../src/gateway/server.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { createMetrics } from '../../src/gateway/metrics.js';
import { makeLog } from '../../src/gateway/log.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { Decimal } from '../../src/core/decimal.js';
import { KeyIndex, newTenantKey, keyPrefix } from '../../src/adapters/gateway-keys.js';
import { parseGatewayConfig } from '../../src/core/gateway/config.js';
import { upstreamFor } from '../../src/gateway/upstream.js';
import { Untrusted } from '../../src/core/untrusted.js';
import { Agent } from 'undici';
import { createHash } from 'node:crypto';
import type { Ledger, LedgerRow } from '../../src/core/gateway/types.js';
import { pricedRow } from '../../src/core/gateway/ledger-cost.js';

const msgs = [{ role: 'user' as const, content: 'hello' }];
const hs: Harness[] = [];
after(() => Promise.all(hs.map((h) => h.close())));
async function h0(o: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(o);
  hs.push(h);
  return h;
}

test('keys add prints the key once (hk- + 36 base62), stores only its hash; list shows prefixes; revoke by tenant or prefix', async () => {
  const h = await h0();
  const run = (...a: string[]) => runHoly(['--config', h.cfgPath, 'gateway', 'keys', ...a], { env: h.env, cwd: h.dir });
  const add = await run('add', 'acme');
  assert.equal(add.code, 0, add.stderr);
  const key = add.stdout.trim();
  assert.match(key, /^hk-[A-Za-z0-9]{36}$/);
  assert.match(add.stderr, /shown only now/);
  const json = await runHoly(['--json', '--config', h.cfgPath, 'gateway', 'keys', 'add', 'globex'], { env: h.env, cwd: h.dir });
  const doc = JSON.parse(json.stdout) as { tenant: string; key: string };
  assert.equal(doc.tenant, 'globex');
  assert.notEqual(doc.key, key);
  // Only the hash is on disk.
  const db = readFileSync(h.dir + '/holy-gateway.db');
  assert.ok(!db.includes(Buffer.from(key)) && !db.includes(Buffer.from(key.slice(3))), 'the key itself is not stored');
  assert.ok(db.includes(createHash('sha256').update(key).digest()), 'its SHA-256 is');
  const list = await runHoly(['--json', '--config', h.cfgPath, 'gateway', 'keys', 'list'], { env: h.env, cwd: h.dir });
  const rows = JSON.parse(list.stdout) as { tenant: string; prefix: string; created: string }[];
  assert.deepEqual(rows.map((r) => r.tenant).sort(), ['acme', 'globex']);
  assert.equal(rows.find((r) => r.tenant === 'acme')!.prefix, keyPrefix(key));
  assert.ok(!list.stdout.includes(key));
  const table = await run('list');
  assert.match(table.stdout, new RegExp(`acme\\t${keyPrefix(key)}…`));
  const byPrefix = await run('revoke', keyPrefix(key) + '…');
  assert.equal(byPrefix.code, 0, byPrefix.stderr);
  assert.match(byPrefix.stdout, /revoked 1 key/);
  const byTenant = await run('revoke', 'globex');
  assert.equal(byTenant.code, 0);
  const none = await run('revoke', 'hk-Zzzzzz');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no key matches/);
  const unknown = await run('add', 'acmee');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /did you mean acme/);
});

test('the key index compares hashes in constant time and only accepts well-formed keys', () => {
  const k = newTenantKey();
  const idx = new KeyIndex([{ tenant: 't', prefix: keyPrefix(k), hash: createHash('sha256').update(k).digest() }]);
  assert.equal(idx.tenantOf(k), 't');
  assert.equal(idx.tenantOf(k.slice(0, -1) + (k.endsWith('a') ? 'b' : 'a')), undefined);
  assert.equal(idx.tenantOf(k + 'x'), undefined);
  assert.equal(idx.tenantOf(''), undefined);
  // ≥160 bits: 36 base62 characters carry 214; the shown prefix (6) leaves 178.
  assert.ok(36 * Math.log2(62) >= 160 + 6 * Math.log2(62));
  const many = new Set(Array.from({ length: 2000 }, () => newTenantKey()));
  assert.equal(many.size, 2000);
});

test('bad config: usage errors (exit 2) naming the field and the fix', async () => {
  const h = await h0();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...defaultGateway(), tenants: { acme: { plan: 'gold' } } }, /gateway\.tenants\.acme\.plan names plan "gold", which is not defined/],
    [{ ...defaultGateway(), route: { primary: 'nowhere' } }, /gateway\.route\.primary names provider "nowhere", which is not defined/],
    [{ ...defaultGateway(), route: { primary: 'a', fallback: 'bb' } }, /gateway\.route\.fallback names provider "bb".*did you mean "b"/],
    [{ ...defaultGateway(), plans: { free: { rpm: 10, models: ['*'] } }, tenants: {} }, /gateway\.plans\.free\.tpm is missing/],
    [{ ...defaultGateway(), plans: { free: { rpm: '10', tpm: 5 } }, tenants: {} }, /gateway\.plans\.free\.rpm must be a whole number/],
    [{ ...defaultGateway(), route: { primary: 'a', maxInFlight: 0 } }, /gateway\.route\.maxInFlight must be a whole number above 0/],
    [{ ...defaultGateway(), rotue: {} }, /gateway\.rotue is not a known field; did you mean "route"/],
    [{ ...defaultGateway(), storeDown: 'maybe' }, /gateway\.storeDown must be "closed"/],
  ];
  for (const [g, re] of cases) {
    h.writeConfig(g);
    const r = await runHoly(['--config', h.cfgPath, 'gateway', '--port', '0'], { env: h.env, cwd: h.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
  }
  writeFileSync(h.cfgPath, JSON.stringify({ providers: {} }));
  const none = await runHoly(['--config', h.cfgPath, 'gateway'], { env: h.env, cwd: h.dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /has no "gateway" section/);
  // A non-loopback provider without a key is refused at start-up.
  h.writeConfig({ ...defaultGateway(), route: { primary: 'official' } });
  const nokey = await runHoly(['--config', h.cfgPath, 'gateway', '--port', '0'], { env: {}, cwd: h.dir });
  assert.equal(nokey.code, 2);
  assert.match(nokey.stderr, /its key is not set/);
  const flag = await runHoly(['--config', h.cfgPath, 'gateway', '--max-body', 'lots'], { env: h.env, cwd: h.dir });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--max-body "lots"/);
});

test('SIGHUP (in-process): a new route applies to the next request; a bad file keeps the old config and logs why', async () => {
  const h = await h0();
  const key = await h.keyFor('acme');
  const gw = await runGateway(h);
  try {
    const first = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
    assert.equal(first.response.headers.get('x-holy-provider'), 'a');
    h.writeConfig({ ...defaultGateway(), route: { primary: 'b' } });
    gw.hangup();
    await until(() => gw.logs().some((l) => l.event === 'reloaded'));
    const second = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
    assert.equal(second.response.headers.get('x-holy-provider'), 'b');
    writeFileSync(h.cfgPath, '{ not json');
    gw.hangup();
    await until(() => gw.logs().some((l) => l.event === 'reload_failed'));
    assert.match(String(gw.logs().find((l) => l.event === 'reload_failed')!.error), /not valid JSON/);
    const third = await gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }).withResponse();
    assert.equal(third.response.headers.get('x-holy-provider'), 'b', 'the previous config is kept');
    // Revoking a key and reloading locks it out.
    h.writeConfig({ ...defaultGateway(), route: { primary: 'b' } });
    const rv = await runHoly(['--config', h.cfgPath, 'gateway', 'keys', 'revoke', 'acme'], { env: h.env, cwd: h.dir });
    assert.equal(rv.code, 0, rv.stderr);
    gw.hangup();
    await until(() => gw.logs().filter((l) => l.event === 'reloaded').length >= 2);
    await assert.rejects(gw.client(key).chat.completions.create({ model: 'gpt-4o', messages: msgs }), OpenAI.AuthenticationError);
  } finally {
    assert.equal(await gw.stop(), 0);
  }
});

/** Spawn the real bin; resolves the URL from its first stdout line. */
function spawnGateway(h: Harness, extra: string[] = []) {
  const child = spawn(process.execPath, ['--', HOLY_BIN, '--config', h.cfgPath, 'gateway', '--port', '0', ...extra], { cwd: h.dir, env: { PATH: process.env.PATH, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<number>((r) => child.on('close', (code, sig) => r(code ?? (sig ? 128 : 1))));
  return {
    child,
    exited,
    err: () => err,
    logs: () => err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    url: async () => {
      await until(() => out.includes('\n'), 3000);
      return out.split('\n')[0]!;
    },
  };
}

test('real bin: SIGHUP reloads without dropping a stream in flight; SIGTERM drains it and exits 0', async () => {
  const h = await h0({ a: { latency: { perTokenMs: 20 } }, b: { latency: { perTokenMs: 20 } } });
  const key = await h.keyFor('acme');
  const p = spawnGateway(h);
  const url = await p.url();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const client = new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0 });
  // A stream in flight across the reload.
  const s = await client.chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 30, stream: true });
  h.writeConfig({ ...defaultGateway(), route: { primary: 'b' } });
  p.child.kill('SIGHUP');
  await until(() => p.logs().some((l) => l.event === 'reloaded'), 3000);
  let text = '';
  for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
  assert.ok(text.length > 0, 'the stream survived the reload');
  const after = await client.chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 }).withResponse();
  assert.equal(after.response.headers.get('x-holy-provider'), 'b');
  // SIGTERM with a stream in flight: it finishes (drain), then exit 0.
  const s2 = await client.chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 30, stream: true });
  p.child.kill('SIGTERM');
  let n = 0;
  for await (const c of s2) n += c.choices.length;
  assert.ok(n >= 30, `the drained stream completed (${n} chunks)`);
  assert.equal(await p.exited, 0, p.err());
  const logs = p.logs();
  assert.ok(logs.some((l) => l.event === 'draining'));
  assert.equal(logs.find((l) => l.event === 'stopped')!.drained, true);
});

test('real bin: a stream longer than --drain is cut at the deadline and the gateway still exits 0', async () => {
  const h = await h0({ a: { latency: { perTokenMs: 200 } } });
  const key = await h.keyFor('acme');
  const p = spawnGateway(h, ['--drain', '0.2']);
  const client = new OpenAI({ apiKey: key, baseURL: await p.url(), maxRetries: 0 });
  const s = await client.chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 100, stream: true });
  p.child.kill('SIGTERM');
  try {
    for await (const _ of s) void _;
  } catch {
    // cut off: expected
  }
  assert.equal(await p.exited, 0, p.err());
  assert.equal(p.logs().find((l) => l.event === 'stopped')!.drained, false);
});

test('ledger loss: requests are still served when every row is lost', async () => {
  const h = await h0();
  const k = newTenantKey();
  const lost: LedgerRow[] = [];
  // Priced as the real ledger's writer prices what the gateway hands it (core/gateway/ledger-cost.ts).
  const ledger: Ledger = { add: (r) => void lost.push(pricedRow(r)), written: () => 0, lost: () => lost.length, close: async () => {} };
  const broken: Ledger = { ...ledger, add: (r) => { lost.push(pricedRow(r)); throw new Error('disk full'); } };
  const lines: string[] = [];
  const config = parseGatewayConfig({ gateway: defaultGateway() }, 'test.json', ['a', 'b']);
  const u = new Untrusted();
  const gw = await startGateway({
    setup: {
      config,
      upstreams: new Map([
        ['a', upstreamFor({ name: 'a', baseURL: h.a.url, key: h.env.A_API_KEY, headers: {}, timeoutMs: 5000, untrusted: u })],
        ['b', upstreamFor({ name: 'b', baseURL: h.b.url, key: h.env.B_API_KEY, headers: {}, timeoutMs: 5000, untrusted: u })],
      ]),
      keys: new KeyIndex([{ tenant: 'acme', prefix: keyPrefix(k), hash: createHash('sha256').update(k).digest() }]),
    },
    dispatcher: new Agent(),
    store: embeddedStore(),
    ledger: broken,
    metrics: createMetrics(),
    prices: builtinPriceTable(),
    log: makeLog((l) => void lines.push(l), 'info'),
    clock: () => performance.now(),
    now: () => Date.now(),
  });
  try {
    const c = new OpenAI({ apiKey: k, baseURL: gw.url, maxRetries: 0 });
    for (let i = 0; i < 3; i++) assert.ok((await c.chat.completions.create({ model: 'gpt-4o', messages: msgs, max_tokens: 2 })).choices.length);
    await until(() => lost.length >= 3);
    assert.equal(lost[0]!.tenant, 'acme');
    const r = lost[0]!;
    assert.equal(r.outputTokens, 2);
    assert.ok(r.inputTokens > 0);
    // gpt-4o list price, exactly: $2.50/M input, $10/M output; CNY at the relay rate 1.
    assert.equal(r.costUSD, new Decimal(r.inputTokens).times('2.5').plus(new Decimal(r.outputTokens).times(10)).div(1e6).toFixed());
    assert.equal(r.costCNY, r.costUSD);
    assert.ok(lines.some((l) => l.includes('"event":"request"')), 'requests are still logged');
  } finally {
    await gw.close(1000);
  }
});

test('state file: listing creates none, an unusable path is a usage error naming "state", keys of a removed tenant are warned about', async () => {
  const h = await h0();
  const list = await runHoly(['--config', h.cfgPath, 'gateway', 'keys', 'list'], { env: h.env, cwd: h.dir });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(!existsSync(h.dir + '/holy-gateway.db'), 'keys list made no state file');
  h.writeConfig({ ...defaultGateway(), state: 'no/such/folder/state.db' });
  const bad = await runHoly(['--config', h.cfgPath, 'gateway', 'keys', 'add', 'acme'], { env: h.env, cwd: h.dir });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /state file .*no\/such\/folder\/state\.db cannot be opened.*fix "state"/);
  h.writeConfig();
  await h.keyFor('globex');
  const g = defaultGateway();
  delete (g.tenants as Record<string, unknown>).globex;
  h.writeConfig(g);
  const gw = await runGateway(h);
  try {
    const w = gw.logs().find((l) => l.event === 'keys_without_tenant');
    assert.deepEqual(w?.tenants, ['globex']);
  } finally {
    await gw.stop();
  }
});
