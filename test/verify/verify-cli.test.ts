/** holy verify end to end (in-process) against loopback mocks: each failure's classified cause, fix and exit code. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMock } from '../../src/mock/server.js';
import { ESC, NEW_KEY, OLD_KEY, checksOf, closedPort, run, tempConfig, world, type World } from './setup.js';

describe('holy verify: happy path and output modes', () => {
  let w: World;
  before(async () => (w = await world({ new: { latency: { ttftMs: 60 } } })));
  after(() => w.close());

  test('--json: every check passes for both providers, exit 0, one JSON document', async () => {
    const r = await run(['verify', '--config', w.config, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { ok, by, doc } = checksOf(r.stdout);
    assert.equal(ok, true);
    for (const p of ['official', 'holysheep']) for (const c of ['key', 'url', 'network', 'models']) assert.equal(by.get(`${p}/${c}`)?.status, 'pass', `${p}/${c}`);
    assert.equal(by.get('holysheep/models')!.data!.count, 7);
    assert.match(by.get('holysheep/models')!.data!.requestId, /^req_/);
    assert.deepEqual(doc.providers.map((p: any) => [p.name, p.keySource, p.keyMasked]), [
      ['official', 'env OPENAI_API_KEY', 'hs-…0000'],
      ['holysheep', 'env HOLYSHEEP_API_KEY', 'hs-…1111'],
    ]);
    assert.equal(w.old.requests.filter((q) => q.path === '/v1/models').length >= 1, true);
  });

  test('--model: a 1-token chat proves access and reports TTFT from the first content chunk', async () => {
    const r = await run(['verify', '--config', w.config, '--provider', 'holysheep', '--model', 'gpt-4o-mini', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = checksOf(r.stdout).by.get('holysheep/model')!;
    assert.equal(m.status, 'pass');
    assert.ok(Number.isFinite(m.data!.ttftMs) && m.data!.ttftMs >= 55, `ttft ${m.data!.ttftMs}`);
    assert.match(m.detail, /TTFT \d+ ms/);
    assert.ok(w.new.requests.some((q) => q.path === '/v1/chat/completions' && q.model === 'gpt-4o-mini' && q.stream));
  });

  test('piped: TSV with a header, words for statuses, no escape codes', async () => {
    const r = await run(['verify', '--config', w.config]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'provider\tcheck\tstatus\tms\tdetail\tcause\tfix');
    assert.equal(lines.length, 9);
    assert.ok(lines.slice(1).every((l) => l.split('\t')[2] === 'pass'));
    assert.doesNotMatch(r.stdout + r.stderr, ESC);
  });

  test('TTY: ✓ marks, coloured only when colour is on; NO_COLOR and --no-color turn it off', async () => {
    const coloured = await run(['verify', '--config', w.config], { stdoutTTY: true, env: { FORCE_COLOR: '1' } });
    assert.match(coloured.stdout, /✓/);
    assert.match(coloured.stdout, ESC);
    assert.match(coloured.stdout, /all checks passed/);
    const nc = await run(['verify', '--config', w.config], { stdoutTTY: true, env: { NO_COLOR: '1' } });
    assert.match(nc.stdout, /✓/);
    assert.doesNotMatch(nc.stdout + nc.stderr, ESC);
    const flag = await run(['--no-color', 'verify', '--config', w.config], { stdoutTTY: true });
    assert.doesNotMatch(flag.stdout, ESC);
  });
});

describe('holy verify: keys', () => {
  let w: World;
  before(async () => (w = await world()));
  after(() => w.close());

  test('missing key: key fails naming the variable, nothing is sent, exit 3', async () => {
    const before = w.new.requests.length;
    const r = await run(['verify', '--config', w.config, '--provider', 'holysheep', '--json'], { env: { HOLYSHEEP_API_KEY: undefined } });
    assert.equal(r.code, 3);
    const { by } = checksOf(r.stdout);
    assert.equal(by.get('holysheep/key')!.status, 'fail');
    assert.match(by.get('holysheep/key')!.cause!, /HOLYSHEEP_API_KEY is not set/);
    assert.match(by.get('holysheep/key')!.fix!, /--key-file holysheep=PATH/);
    assert.equal(by.get('holysheep/models')!.status, 'skip');
    assert.equal(w.new.requests.length, before);
  });

  test('quoted key: the raw key fails, the trimmed one works, and the fix says what to remove', async () => {
    const r = await run(['verify', '--config', w.config, '--provider', 'holysheep', '--json'], { env: { HOLYSHEEP_API_KEY: `"${NEW_KEY}"` } });
    assert.equal(r.code, 3);
    const { by } = checksOf(r.stdout);
    const k = by.get('holysheep/key')!;
    assert.equal(k.status, 'fail');
    assert.match(k.cause!, /fails \(401\) but works once trimmed/);
    assert.equal(k.fix, 'remove the quotes from HOLYSHEEP_API_KEY in the environment.');
    assert.equal(k.data!.worked, 'trimmed');
    assert.equal(by.get('holysheep/models')!.status, 'pass');
  });

  test('leading space in .env: works once trimmed; the fix names the variable and the file', async () => {
    const env = join(w.dir, '.env');
    writeFileSync(env, `HOLYSHEEP_API_KEY=" ${NEW_KEY}"\n`);
    const r = await run(['verify', '--config', w.config, '--env-file', env, '--provider', 'holysheep', '--json'], { cwd: w.dir });
    assert.equal(r.code, 3);
    const k = checksOf(r.stdout).by.get('holysheep/key')!;
    assert.equal(k.status, 'fail');
    assert.match(k.cause!, /works once trimmed/);
    assert.equal(k.fix, 'remove the leading whitespace from HOLYSHEEP_API_KEY in .env.');
  });

  test('trailing newline in .env: reported with the fix even though this server accepts it', async () => {
    const env = join(w.dir, '.env');
    writeFileSync(env, `HOLYSHEEP_API_KEY="${NEW_KEY}\\n"\n`);
    const r = await run(['verify', '--config', w.config, '--env-file', env, '--provider', 'holysheep', '--json'], { cwd: w.dir });
    const k = checksOf(r.stdout).by.get('holysheep/key')!;
    assert.notEqual(k.status, 'pass');
    assert.equal(k.fix, 'remove the trailing newline from HOLYSHEEP_API_KEY in .env.');
    assert.deepEqual(k.data!.hygiene.includes('newline'), true);
  });

  test('an OpenAI-format key aimed at a non-OpenAI host (loopback too) is refused before any request; --force overrides', async () => {
    const m = await startMock({ key: 'sk-proj-fake-0000', label: 'forced' });
    const cfg = tempConfig({ holysheep: m.url });
    try {
      const r = await run(['verify', '--config', cfg.file, '--provider', 'holysheep', '--json'], { env: { HOLYSHEEP_API_KEY: 'sk-proj-fake-0000' } });
      assert.equal(r.code, 3);
      const { by } = checksOf(r.stdout);
      assert.equal(by.get('holysheep/key')!.status, 'fail');
      assert.match(by.get('holysheep/key')!.cause!, /OpenAI-format key would be sent to 127\.0\.0\.1:\d+.*refused before any request/);
      assert.equal(by.get('holysheep/models')!.status, 'skip');
      assert.equal(m.requests.length, 0, 'no request may reach the host');
      assert.match(r.stdout, /sk-proj-…0000/);

      const f = await run(['verify', '--config', cfg.file, '--provider', 'holysheep', '--force', '--json'], { env: { HOLYSHEEP_API_KEY: 'sk-proj-fake-0000' } });
      assert.equal(f.code, 0, f.stdout);
      const fb = checksOf(f.stdout).by;
      assert.equal(fb.get('holysheep/key')!.status, 'warn');
      assert.match(fb.get('holysheep/key')!.cause!, /--force/);
      assert.equal(fb.get('holysheep/models')!.status, 'pass');
      assert.ok(m.requests.length >= 1);
    } finally {
      await m.close();
      cfg.cleanup();
    }
  });

  test('401: a wrong key is classified as rejected, with the key source in the fix', async () => {
    const r = await run(['verify', '--config', w.config, '--provider', 'holysheep', '--json'], { env: { HOLYSHEEP_API_KEY: 'hs-test-9999999999999999' }, secrets: ['hs-test-9999999999999999'] });
    assert.equal(r.code, 3);
    const m = checksOf(r.stdout).by.get('holysheep/models')!;
    assert.equal(m.status, 'fail');
    assert.match(m.detail, /^401/);
    assert.match(m.cause!, /rejected the key \(401 invalid_api_key\)/);
    assert.match(m.fix!, /HOLYSHEEP_API_KEY in the environment/);
  });
});

describe('holy verify: base URLs and the network', () => {
  let w: World;
  before(async () => (w = await world()));
  after(() => w.close());

  test('a pasted /chat/completions endpoint fails the URL check; the corrected URL is probed', async () => {
    const cfg = tempConfig({ holysheep: `${w.new.url}/chat/completions` });
    try {
      const r = await run(['verify', '--config', cfg.file, '--provider', 'holysheep', '--json']);
      assert.equal(r.code, 3);
      const { by } = checksOf(r.stdout);
      assert.equal(by.get('holysheep/url')!.status, 'fail');
      assert.match(by.get('holysheep/url')!.cause!, /ends in \/chat\/completions/);
      assert.match(by.get('holysheep/url')!.fix!, new RegExp(`set .* to ${w.new.url.replace(/\./g, '\\.')};`));
      assert.equal(by.get('holysheep/models')!.status, 'pass');
    } finally {
      cfg.cleanup();
    }
  });

  test('missing /v1: the 404 is classified as a wrong base URL with the /v1 hint', async () => {
    const root = w.new.url.replace(/\/v1$/, '');
    const cfg = tempConfig({ holysheep: root });
    try {
      const r = await run(['verify', '--config', cfg.file, '--provider', 'holysheep', '--json']);
      assert.equal(r.code, 3);
      const m = checksOf(r.stdout).by.get('holysheep/models')!;
      assert.equal(m.status, 'fail');
      assert.match(m.cause!, /returned 404.*the base URL is wrong/);
      assert.ok(m.fix!.startsWith(`add /v1: set the base URL to ${root}/v1 (`), m.fix);
      assert.match(m.fix!, /providers\.holysheep\.baseURL/);
    } finally {
      cfg.cleanup();
    }
  });

  test('connection refused on a closed port: network fails, later checks are skipped', async () => {
    const port = await closedPort();
    const r = await run(['verify', '--provider', `dead=http://127.0.0.1:${port}/v1`, '--json'], { env: { DEAD_API_KEY: NEW_KEY } });
    assert.equal(r.code, 3);
    const { by } = checksOf(r.stdout);
    const n = by.get('dead/network')!;
    assert.equal(n.status, 'fail');
    assert.equal(n.data!.phase, 'connect');
    assert.match(n.cause!, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`));
    assert.equal(by.get('dead/models')!.status, 'skip');
  });

  test('TLS error: https:// aimed at the plain-HTTP mock is a TLS failure, not a refusal', async () => {
    const r = await run(['verify', '--provider', `tls=https://127.0.0.1:${w.new.port}/v1`, '--json'], { env: { TLS_API_KEY: NEW_KEY } });
    assert.equal(r.code, 3);
    const n = checksOf(r.stdout).by.get('tls/network')!;
    assert.equal(n.status, 'fail');
    assert.equal(n.data!.phase, 'tls');
    assert.match(n.cause!, /TLS handshake .* failed/);
    assert.match(n.fix!, /plain HTTP|scheme|port/);
  });

  test('plain http to a non-loopback host is a URL warning (and DNS failure is told apart)', async () => {
    const r = await run(['verify', '--provider', 'far=http://nonexistent.invalid/v1', '--json', '--timeout', '3000'], { env: { FAR_API_KEY: NEW_KEY } });
    assert.equal(r.code, 3);
    const { by } = checksOf(r.stdout);
    assert.equal(by.get('far/url')!.status, 'warn');
    assert.match(by.get('far/url')!.cause!, /plain http to nonexistent\.invalid/);
    const n = by.get('far/network')!;
    assert.equal(n.data!.phase, 'dns');
    assert.match(n.cause!, /does not resolve|did not answer/);
  });

  test('unknown provider and bad --timeout are usage errors (exit 2)', async () => {
    const a = await run(['verify', '--config', w.config, '--provider', 'nope']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--provider nope: no such provider; known: official, holysheep/);
    const b = await run(['verify', '--config', w.config, '--timeout', 'soon']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--timeout "soon"/);
    // Beyond a Node timer's range every request would "time out" after 1 ms, reported as the huge number.
    const c = await run(['verify', '--config', w.config, '--timeout', '3000000000']);
    assert.equal(c.code, 2);
    // One message for every command that takes --timeout (core/flags.ts).
    assert.match(c.stderr, /--timeout 3000000000 is above the largest value holy can wait for \(2147483647\)/);
  });
});

describe('holy verify: proxy, and the real binary', () => {
  test('the proxy that applies is shown, and a dead proxy is blamed rather than the provider', async () => {
    const port = await closedPort();
    const r = await run(['verify', '--provider', 'far=https://relay.example.invalid/v1', '--json'], { env: { FAR_API_KEY: NEW_KEY, HTTPS_PROXY: `http://user:secret@127.0.0.1:${port}` } });
    assert.equal(r.code, 3);
    const { by, doc } = checksOf(r.stdout);
    assert.equal(doc.providers[0].proxy, `http://user:***@127.0.0.1:${port}/`);
    const n = by.get('far/network')!;
    assert.equal(n.status, 'fail');
    assert.match(n.detail, /via proxy/);
    assert.match(n.cause!, /the proxy http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/ refused the connection/);
    assert.match(n.fix!, /HTTPS_PROXY/);
    assert.doesNotMatch(r.stdout, /secret/);
  });

  test('through a working CONNECT proxy: the probe stops at the proxy and GET /models goes through it', async () => {
    const http = await import('node:http');
    const net = await import('node:net');
    const w = await world();
    const seen: string[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, socket, head) => {
      seen.push(req.url ?? '');
      const up = net.connect(w.new.port, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const pport = (proxy.address() as { port: number }).port;
    try {
      const r = await run(['verify', '--provider', `via=http://relay.example.test:${w.new.port}/v1`, '--json'], { env: { VIA_API_KEY: NEW_KEY, HTTP_PROXY: `http://127.0.0.1:${pport}` } });
      const { by, doc } = checksOf(r.stdout);
      assert.equal(doc.providers[0].proxy, `http://127.0.0.1:${pport}/`);
      assert.equal(by.get('via/network')!.status, 'pass');
      assert.match(by.get('via/network')!.detail, new RegExp(`^127\\.0\\.0\\.1:${pport} .*via proxy`));
      assert.equal(by.get('via/models')!.status, 'pass', JSON.stringify(by.get('via/models')));
      assert.deepEqual(seen, [`relay.example.test:${w.new.port}`]);
      assert.equal(by.get('via/url')!.status, 'warn', 'plain http to a non-loopback name');
      assert.equal(r.code, 0);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((res) => proxy.close(() => res()));
      await w.close();
    }
  });

  test('spawned bin/holy.js: exit 0 when all pass, 3 with a wrong key, TSV on a pipe, no key in output', async () => {
    const { spawnHoly } = await import('../helpers/ctx.js');
    const w = await world();
    try {
      const ok = await spawnHoly(['verify', '--model', 'gpt-4o'], { cwd: w.dir, env: { OPENAI_API_KEY: OLD_KEY, HOLYSHEEP_API_KEY: NEW_KEY } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim().split('\n').length, 11);
      assert.doesNotMatch(ok.stdout, ESC);
      const bad = await spawnHoly(['verify', '--provider', 'holysheep'], { cwd: w.dir, env: { HOLYSHEEP_API_KEY: 'hs-test-7777777777777777' } });
      assert.equal(bad.code, 3);
      assert.match(bad.stdout, /holysheep\tmodels\tfail\t\d+\t401 invalid_api_key/);
      assert.ok(!(bad.stdout + bad.stderr).includes('hs-test-7777777777777777'));
    } finally {
      await w.close();
    }
  });
});
