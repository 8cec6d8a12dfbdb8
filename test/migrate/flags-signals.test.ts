import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { fakeCtx, HOLY_BIN, runHoly } from '../helpers/ctx.js';
import { BASE, RELAY, bytesOf, envDir, others, tempDir } from './helpers.js';

describe('every flag is checked before anything is touched', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--notify', 'not-a-url'], /^holy: --notify "not-a-url": expected an http\(s\) URL such as https:\/\/hooks\.slack\.com\/services\/…; nothing was changed\.$/m],
    [['--notify', 'ftp://example.com/x'], /--notify "ftp:\/\/example\.com\/x": expected an http\(s\) URL/],
    [['--restart', '  '], /^holy: --restart needs a command/m],
    [['--key-from-env', 'not a name', '--rollback'], /^holy: --key-from-env "not a name": expected a variable name/m],
    [['--out', 'sub'], /^holy: --out sub is a directory; give a file path, e.g\. --out sub\/relay\.env\.$/m],
    [['--out', 'missing/relay.env'], /^holy: --out missing\/relay\.env: directory missing does not exist/m],
    [['--var', '1BAD'], /^holy: --var "1BAD": expected a variable name/m],
  ];
  for (const [flags, msg] of bad) {
    const cmd = flags.includes('--rollback') ? 'rollback' : 'migrate';
    const rest = flags.filter((f) => f !== '--rollback');
    test(`${cmd} --yes ${rest.join(' ')}: exit 2, one sentence, .env untouched, no backup or snapshot`, async () => {
      const d = envDir(BASE);
      mkdirSync(join(d, 'sub'));
      const r = await runHoly([cmd, '--yes', ...rest], { cwd: d });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(bytesOf(d).toString(), BASE);
      assert.deepEqual(others(d), ['.env', 'sub']);
      assert.deepEqual(readdirSync(join(d, 'sub')), []);
    });
  }
});

describe('Ctrl-C', () => {
  test('the first Ctrl-C at "Write .env? [y/N]" exits 130 at once; nothing written', async () => {
    const d = envDir(BASE);
    const ctx = fakeCtx({ cwd: d, stdinTTY: true });
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    stdin.isTTY = true; // a terminal that never answers
    ctx.stdin = stdin;
    const done = main(['migrate'], ctx);
    while (!ctx.err().includes('Write .env? [y/N]')) await new Promise((r) => setTimeout(r, 10));
    ctx.abort();
    assert.equal(await done, 130);
    assert.match(ctx.err(), /\[y\/N\] \nholy: interrupted; \.env was not changed\.$/m);
    assert.equal(bytesOf(d).toString(), BASE);
    assert.deepEqual(others(d), ['.env']);
  });
});

const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

describe('Ctrl-C on a real terminal', { skip: !hasScript && 'needs util-linux script(1) for a pseudo-terminal' }, () => {
  test('a real ^C typed at "Write .env? [y/N]" exits 130 at once; nothing written, no lock left', async () => {
    const d = envDir(BASE);
    // exec: holy is the terminal's foreground process itself; script -e exits with its code.
    const cmd = `exec ${JSON.stringify(process.execPath)} -- ${JSON.stringify(HOLY_BIN)} migrate`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: d, env: { PATH: process.env.PATH, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await new Promise<void>((r) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c;
        if (out.includes('Write .env? [y/N]')) r();
      }),
    );
    child.stdin.write('\x03'); // what the terminal sends for Ctrl-C: the pty turns it into SIGINT
    await new Promise<void>((r) => child.stdout.on('end', () => r()));
    child.stdin.end();
    assert.equal(await closed, 130, out);
    assert.match(out, /holy: interrupted; \.env was not changed\./);
    assert.equal(bytesOf(d).toString(), BASE);
    assert.deepEqual(others(d), ['.env']);
  });
});

/** A relay that accepts the connection and never answers GET /models, so holy sits in the verify step. */
async function stalledRelay(): Promise<{ url: string; hit: Promise<string>; close(): Promise<void> }> {
  let onHit!: (auth: string) => void;
  const hit = new Promise<string>((r) => (onHit = r));
  const server = createServer((req: IncomingMessage, _res: ServerResponse) => onHit(String(req.headers.authorization ?? '')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    hit,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('migrate --verify keeps the key in memory', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} while verify waits on the relay: no key file anywhere in TMPDIR, .env untouched${sig === 'SIGINT' ? ', exit 130' : ''}`, async () => {
      const relay = await stalledRelay();
      const d = envDir(BASE);
      const tmp = tempDir('holy-verify-tmpdir-');
      try {
        const child = spawn(process.execPath, ['--', HOLY_BIN, 'migrate', '--yes', '--verify'], {
          cwd: d,
          env: { PATH: process.env.PATH, TMPDIR: tmp, HOLYSHEEP_BASE_URL: relay.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c));
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
        assert.equal(await relay.hit, `Bearer ${RELAY}`, 'verify sent the key about to be written');
        assert.deepEqual(readdirSync(tmp), [], 'no temp key file while verify runs');
        child.kill(sig);
        const end = await exited;
        if (sig === 'SIGINT') {
          assert.equal(end.code, 130, stderr);
          assert.match(stderr, /interrupted during verify; \.env was not changed/);
        }
        assert.deepEqual(readdirSync(tmp), []);
        assert.equal(bytesOf(d).toString(), BASE);
        assert.deepEqual(others(d).filter((f) => f !== '.env.holy-lock'), ['.env']);
      } finally {
        await relay.close();
      }
    });
  }
});
