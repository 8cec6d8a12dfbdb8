import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { fakeCtx, runHoly, HOLY_BIN, type FakeCtx } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

/** Start `holy mock` in-process; resolves once the URL (or JSON) is on stdout. */
async function startCli(argv: string[], env: Record<string, string> = {}): Promise<{ ctx: FakeCtx; done: Promise<number>; stdout: () => string }> {
  const ctx = fakeCtx({ env });
  const done = main(['mock', ...argv], ctx);
  // No deadline of its own: a mock that never prints is caught by the test runner's timeout, not by this machine's speed.
  while (!ctx.out().includes('\n')) {
    const early = await Promise.race([done, new Promise((r) => setTimeout(() => r(undefined), 10))]);
    if (early !== undefined) throw new Error(`holy mock exited ${early}: ${ctx.err()}`);
  }
  return { ctx, done, stdout: () => ctx.out() };
}

test('prints only the base URL on stdout, a simulator banner on stderr, serves it, and stops on abort with exit 0', async () => {
  const { ctx, done } = await startCli(['--models', 'm-one,m-two', '--label', 'staging-sim', '--fault', '503@path=chat']);
  const url = ctx.out().trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  assert.equal(ctx.out().split('\n').length, 2, 'exactly one stdout line');
  const err = ctx.err();
  assert.match(err, /LOCAL SIMULATOR/);
  assert.match(err, /staging-sim/);
  assert.match(err, /m-one, m-two/);
  assert.match(err, /503 path=chat/);
  assert.match(err, /auth\s+none/);
  const r = await fetch(url + '/models');
  assert.equal(r.headers.get('x-holy-mock'), 'staging-sim');
  assert.deepEqual(((await r.json()) as any).data.map((d: any) => d.id), ['m-one', 'm-two']);
  const c = await fetch(url + '/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm-one', messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(c.status, 503);
  ctx.abort();
  assert.equal(await done, 0);
  assert.match(ctx.err(), /stopped after 2 requests/);
  await assert.rejects(fetch(url + '/models'), 'the port is closed after stopping');
});

test('--json prints {url, port, label, models} as the one JSON document; the key comes from HOLY_MOCK_KEY and is never printed', async () => {
  const key = 'mock-key-from-env-0042';
  const { ctx, done } = await startCli(['--json'], { HOLY_MOCK_KEY: key });
  const doc = JSON.parse(ctx.out());
  assert.deepEqual(Object.keys(doc), ['url', 'port', 'label', 'models']);
  assert.equal(doc.url, `http://127.0.0.1:${doc.port}/v1`);
  assert.equal((await fetch(doc.url + '/models')).status, 401);
  assert.equal((await fetch(doc.url + '/models', { headers: { authorization: `Bearer ${key}` } })).status, 200);
  ctx.abort();
  assert.equal(await done, 0);
  assert.ok(!ctx.out().includes(key) && !ctx.err().includes(key));
  assert.match(ctx.err(), /Bearer key required \(env HOLY_MOCK_KEY/);
});

test('--key-env and --key-file mock=PATH supply the key', async () => {
  const dir = tempDir('holy-mock-');
  try {
    await writeFile(join(dir, 'mock.key'), 'file-key-123456\n');
    const a = await startCli(['--key-env', 'MY_MOCK_KEY'], { MY_MOCK_KEY: 'env-key-654321' });
    const ua = a.ctx.out().trim();
    assert.equal((await fetch(ua + '/models', { headers: { authorization: 'Bearer env-key-654321' } })).status, 200);
    a.ctx.abort();
    await a.done;
    const b = await startCli(['--key-file', `mock=${join(dir, 'mock.key')}`]);
    const ub = b.ctx.out().trim();
    assert.equal((await fetch(ub + '/models', { headers: { authorization: 'Bearer file-key-123456' } })).status, 200);
    assert.equal((await fetch(ub + '/models', { headers: { authorization: 'Bearer env-key-654321' } })).status, 401);
    b.ctx.abort();
    await b.done;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input is a usage error (exit 2) naming the flag', async () => {
  for (const [argv, msg] of [
    [['--fault', 'explode'], /--fault "explode": unknown fault kind "explode"; valid kinds: NNN/],
    [['--fault', '503@rate=5'], /--fault "503@rate=5": rate must be/],
    [['--host', '0.0.0.0'], /--host 0\.0\.0\.0: holy mock binds loopback only/],
    [['--port', '70000'], /--port "70000": expected a whole number from 0 to 65535/],
    [['--ttft', 'soon'], /--ttft "soon": expected a number/],
    [['--variant', '1.5'], /--variant "1.5"/],
    [['--models', ' , '], /--models is empty/],
    [['--key-env', 'NOPE_NOT_SET'], /--key-env NOPE_NOT_SET: that environment variable is not set/],
    [['--key-file', 'mock=/nonexistent/mock.key'], /--key-file mock=\/nonexistent\/mock.key: the file cannot be read \(ENOENT\)/],
  ] as const) {
    const r = await runHoly(['mock', ...argv]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, msg);
  }
});

test('a port already in use is a usage error', async () => {
  const { ctx, done } = await startCli([]);
  const port = new URL(ctx.out().trim()).port;
  const r = await runHoly(['mock', '--port', port]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
  ctx.abort();
  await done;
});

test('the real binary serves and stops promptly on SIGINT', async () => {
  const child = spawn(process.execPath, [HOLY_BIN, 'mock', '-q'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.on('close', (code) => reject(new Error(`holy mock exited ${code} before printing its URL: ${err}`)));
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      if (out.includes('\n')) resolve(out.trim());
    });
  });
  assert.equal(((await (await fetch(url + '/models')).json()) as any).object, 'list');
  const t0 = performance.now();
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  child.kill('SIGINT');
  const code = await exited;
  // The fetch above left a keep-alive socket open; had holy waited for the server's keep-alive timeout (5 s) instead
  // of closing it, this is the bound it would cross. Nothing else here depends on the machine's speed.
  assert.ok(performance.now() - t0 < 5000, 'stopped without waiting for the keep-alive timeout');
  assert.notEqual(code, 1);
  assert.equal(err, '', '-q hides the banner');
});
