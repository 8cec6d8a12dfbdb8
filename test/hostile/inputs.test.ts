/** Hostile settings and inputs: proxies, URLs with credentials or controls, prototype names, deep traffic, webhooks that never answer. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeCtx, runHoly, ROOT } from '../helpers/ctx.js';
import { main } from '../../src/cli.js';
import { postNotify } from '../../src/adapters/notify.js';
// A fake official-format key, built at run time so no key-shaped literal is tracked.
const FAKE_OFFICIAL_KEY = ['sk', 'proj', 'a'.repeat(24)].join('-');

const KEY = 'hs-inputstestkey0000000000000001';
const dir = mkdtempSync(join(tmpdir(), 'holy-inputs-'));
let proxy: Server;
let proxyPort = 0;
let silent: Server;
let silentURL = '';
let hits = 0;
let onHit: (() => void) | undefined;

before(async () => {
  // A proxy that wants credentials: 407 to CONNECT (https targets) and to plain requests.
  proxy = createServer((_req, res) => res.writeHead(407, { 'proxy-authenticate': 'Basic realm="corp"' }).end());
  proxy.on('connect', (_req, sock) => sock.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as AddressInfo).port;
  // A webhook that takes the request and never answers.
  silent = createServer(() => {
    hits++;
    onHit?.();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentURL = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
  writeFileSync(join(dir, 't.jsonl'), JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) + '\n');
});
after(async () => {
  for (const s of [proxy, silent]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('a proxy that answers 407, given without a scheme', () => {
  const env = () => ({ HTTPS_PROXY: `127.0.0.1:${proxyPort}`, HOLYSHEEP_API_KEY: KEY, B_API_KEY: KEY });
  test('verify: HTTPS_PROXY=host:port is taken as http:// (as curl does) and a 407 is proxy_auth with the fix', async () => {
    const r = await runHoly(['verify', '--provider', 'holysheep', '--json'], { env: env(), cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    const models = (JSON.parse(r.stdout) as { checks: Array<{ check: string; detail: string; fix?: string }> }).checks.find((c) => c.check === 'models')!;
    assert.equal(models.detail, 'proxy_auth');
    assert.match(models.fix!, /HTTPS_PROXY=http:\/\/user:pass@/);
    assert.doesNotMatch(r.stderr, /Invalid URL protocol/);
  });
  test('bench: requests through it are classed proxy_auth, not reset', async () => {
    const r = await runHoly(['bench', 't.jsonl', '--old', 'b=https://relay-b.example.com/v1', '--force', '--yes', '--json'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"proxy_auth"/);
    assert.doesNotMatch(r.stdout, /"reset"/);
  });
});

describe('base URLs with credentials or control characters: one usage error in every command', () => {
  const cfg = (baseURL: string) => {
    const d = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(d, 'holy.config.json'), JSON.stringify({ providers: { relay: { baseURL } }, new: 'relay' }));
    return d;
  };
  for (const argv of [['verify'], ['models'], ['bench', join('..', 't.jsonl'), '--yes']]) {
    test(`${argv[0]}: http://user:s3cretpass@host/v1 is refused (exit 2) naming the fix, the password never shown`, async () => {
      const d = cfg('http://user:s3cretpass@127.0.0.1:9/v1');
      const r = await runHoly(argv, { cwd: d, env: { RELAY_API_KEY: KEY, OPENAI_API_KEY: FAKE_OFFICIAL_KEY } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /carries credentials \(http:\/\/\*\*\*@127\.0\.0\.1:9\/v1\)/);
      assert.match(r.stderr, /remove the user:password@ part/);
      assert.doesNotMatch(r.stdout + r.stderr, /s3cretpass/);
    });
  }
  test('a newline inside a base URL is refused, shown escaped', async () => {
    const d = cfg('http://127.0.0.1:9/v1\nINJECTED=1');
    const r = await runHoly(['verify'], { cwd: d, env: { RELAY_API_KEY: KEY } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /contains a control character \(http:\/\/127\.0\.0\.1:9\/v1\\x0aINJECTED=1\)/);
  });
  test('migrate never writes such a base URL: refused, the env file untouched', async () => {
    const d = cfg('https://relay.example.com/v1\nINJECTED=1');
    copyFileSync(join(ROOT, 'fixtures', 'env', 'sample.env'), join(d, '.env'));
    chmodSync(join(d, '.env'), 0o600);
    const before = readFileSync(join(d, '.env'), 'utf8');
    const r = await runHoly(['migrate', '--yes', '--to', 'relay'], { cwd: d, env: { RELAY_API_KEY: KEY } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /contains a control character/);
    assert.equal(readFileSync(join(d, '.env'), 'utf8'), before);
  });
});

describe('environment names that are Object.prototype members', () => {
  for (const name of ['constructor', '__proto__', 'toString']) {
    test(`apiKeyEnv "${name}" reads as unset, not as a function`, async () => {
      const d = mkdtempSync(join(dir, 'proto-'));
      writeFileSync(join(d, 'holy.config.json'), JSON.stringify({ providers: { relay: { baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: name } }, new: 'relay' }));
      const r = await runHoly(['verify', '--provider', 'relay'], { cwd: d });
      assert.equal(r.code, 3, r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, /trim is not a function|unexpected error/);
      assert.match(r.stdout, /relay\tkey\tfail/);
    });
  }
  test('--key-from-env constructor is a usage error naming the variable', async () => {
    const d = mkdtempSync(join(dir, 'rb-'));
    copyFileSync(join(ROOT, 'fixtures', 'env', 'sample.env'), join(d, '.env'));
    chmodSync(join(d, '.env'), 0o600);
    assert.equal((await runHoly(['migrate', '--yes'], { cwd: d })).code, 0);
    rmSync(join(d, '.env.holy-snapshot.json'), { force: true });
    const r = await runHoly(['rollback', '--yes', '--key-from-env', 'constructor'], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--key-from-env constructor: that variable is not set/);
  });
});

describe('traffic nested too deep', () => {
  const deepLine = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).replace(/}$/, `,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  test('is a bad line with file:line in --dry-run, fatal under --strict, skipped (never a stack overflow) with --out', async () => {
    const d = mkdtempSync(join(dir, 'deep-'));
    writeFileSync(join(d, 'deep.jsonl'), [JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ok' }] }), deepLine].join('\n') + '\n');
    const strict = await runHoly(['bench', 'deep.jsonl', '--old', `a=http://127.0.0.1:9/v1`, '--new', `b=http://127.0.0.1:9/v1`, '--strict', '--dry-run'], { cwd: d, env: { A_API_KEY: KEY, B_API_KEY: KEY } });
    assert.equal(strict.code, 2, strict.stderr);
    assert.match(strict.stderr, /deep\.jsonl:2: nested 10001 levels deep, more than the 64/);
    const dry = await runHoly(['bench', 'deep.jsonl', '--old', `a=http://127.0.0.1:9/v1`, '--new', `b=http://127.0.0.1:9/v1`, '--dry-run', '--json'], { cwd: d, env: { A_API_KEY: KEY, B_API_KEY: KEY } });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /"line":\s*2/);
    const run = await runHoly(['bench', 'deep.jsonl', '--old', `a=http://127.0.0.1:9/v1`, '--new', `b=http://127.0.0.1:9/v1`, '--out', 'r.jsonl', '--yes'], { cwd: d, env: { A_API_KEY: KEY, B_API_KEY: KEY } });
    assert.doesNotMatch(run.stderr, /call stack/);
    assert.equal(readFileSync(join(d, 'r.jsonl'), 'utf8').trim().split('\n').length, 2, 'the good line was sent and written');
  });
});

describe('a HAR entry nested too deep', () => {
  test('is a bad entry with file:entry under --strict, not a stack overflow', async () => {
    const d = mkdtempSync(join(dir, 'har-'));
    const har = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'traffic', 'recorded.har'), 'utf8')) as { log: { entries: Array<{ request: { postData?: { text: string } } }> } };
    const first = har.log.entries.find((e) => e.request.postData)!;
    const body = JSON.parse(first.request.postData!.text) as Record<string, unknown>;
    first.request.postData!.text = JSON.stringify(body).replace(/}$/, `,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    writeFileSync(join(d, 'deep.har'), JSON.stringify(har));
    const n = har.log.entries.indexOf(first) + 1;
    const r = await runHoly(['bench', 'deep.har', '--old', 'a=http://127.0.0.1:9/v1', '--new', 'b=http://127.0.0.1:9/v1', '--strict', '--dry-run'], { cwd: d, env: { A_API_KEY: KEY, B_API_KEY: KEY } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`deep\\.har:${n}: the request body is nested more than 64 levels deep`));
  });
});

describe('--notify against a webhook that never answers', () => {
  test('gives up after its timeout with a plain timer', async () => {
    const r = await postNotify(fakeCtx(), silentURL, { text: 'x' }, { timeoutMs: 300 });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'no answer within 300 ms');
  });
  test('Ctrl-C there exits 130, after the env file was written', async () => {
    const d = mkdtempSync(join(dir, 'notify-'));
    copyFileSync(join(ROOT, 'fixtures', 'env', 'sample.env'), join(d, '.env'));
    chmodSync(join(d, '.env'), 0o600);
    const ctx = fakeCtx({ cwd: d });
    onHit = () => ctx.abort();
    const code = await main(['migrate', '--yes', '--notify', silentURL], ctx);
    onHit = undefined;
    assert.equal(code, 130, ctx.err());
    assert.match(readFileSync(join(d, '.env'), 'utf8'), /holysheep/i, 'the migration itself was written');
    assert.ok(hits >= 1);
  });
});

describe('control characters in keys holy sends or writes', () => {
  test('bench refuses a key with ESC inside it, naming where it came from', async () => {
    const r = await runHoly(['bench', 't.jsonl', '--old', 'a=http://127.0.0.1:9/v1', '--new', 'b=http://127.0.0.1:9/v1', '--yes'], { cwd: dir, env: { A_API_KEY: 'hs-abcdefgh1234\u001b[2J5678', B_API_KEY: KEY } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the key from env A_API_KEY contains a control character \(\\x1b at position 16\)/);
    assert.doesNotMatch(r.stderr, /\u001b/);
  });
  test('migrate refuses to write a key with a control character; the env file is untouched', async () => {
    const d = mkdtempSync(join(dir, 'key-'));
    copyFileSync(join(ROOT, 'fixtures', 'env', 'sample.env'), join(d, '.env'));
    chmodSync(join(d, '.env'), 0o600);
    writeFileSync(join(d, 'k'), 'hs-abcdefgh1234\u00005678\n');
    const before = readFileSync(join(d, '.env'), 'utf8');
    const r = await runHoly(['migrate', '--yes', '--key-file', 'holysheep=k'], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the key from file k contains a control character \(\\x00/);
    assert.equal(readFileSync(join(d, '.env'), 'utf8'), before);
  });
});
