import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, chmodSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startMock } from '../../src/mock/server.js';
import { runHoly, spawnHoly, ROOT } from '../helpers/ctx.js';
import { pathToFileURL } from 'node:url';

const POWER_CUT = pathToFileURL(join(ROOT, 'dist', 'test', 'helpers', 'power-cut.js')).href;
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'fixtures', 'env');
const RELAY = 'hs-test-0000000000000000';
const OFFICIAL = 'sk-proj-fake-0000';
const posix = process.platform !== 'win32';

function workdir(): string {
  const d = tempDir('holy-steps-');
  copyFileSync(join(FIX, 'sample.env'), join(d, '.env'));
  chmodSync(join(d, '.env'), 0o600);
  return d;
}
const read = (d: string) => readFileSync(join(d, '.env'), 'utf8');
const original = () => readFileSync(join(FIX, 'sample.env'), 'utf8');
const noKeys = (s: string) => !s.includes(RELAY) && !s.includes(OFFICIAL);

/** A local webhook receiver on 127.0.0.1 that records bodies and answers with `status`. */
async function receiver(status = 200): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c));
    req.on('end', () => {
      bodies.push(b);
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('migrate --verify against a local mock', () => {
  test('passes with the right key: verify runs first, then the file is written', async () => {
    const mock = await startMock({ key: RELAY, label: 'relay' });
    try {
      const d = workdir();
      const r = await runHoly(['migrate', '--yes', '--verify', '--json'], { cwd: d, env: { HOLYSHEEP_BASE_URL: mock.url } });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`), ['plan:ok', 'verify:ok', 'backup:ok', 'write:ok']);
      assert.ok(mock.requests.some((q) => q.path.endsWith('/models') && q.authorized), 'verify called the mock with the key being written');
      assert.match(read(d), new RegExp(`^OPENAI_BASE_URL=${mock.url.replace(/[/.]/g, '\\$&')}$`, 'm'));
      assert.ok(noKeys(r.stdout) && noKeys(r.stderr));
    } finally {
      await mock.close();
    }
  });

  test('fails with a rejected key: exit 3, file untouched; --force writes anyway', async () => {
    const mock = await startMock({ key: 'hs-other-1111111111111111', label: 'relay' });
    try {
      const d = workdir();
      const r = await runHoly(['migrate', '--yes', '--verify'], { cwd: d, env: { HOLYSHEEP_BASE_URL: mock.url } });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /verify\tfailed/);
      assert.match(r.stderr, /verify failed for holysheep, so \.env was not changed/);
      assert.equal(read(d), original());
      assert.ok(noKeys(r.stdout) && noKeys(r.stderr));
      const f = await runHoly(['migrate', '--yes', '--verify', '--force'], { cwd: d, env: { HOLYSHEEP_BASE_URL: mock.url } });
      assert.equal(f.code, 0, f.stderr);
      assert.match(f.stdout, /verify\twarn/);
      assert.match(read(d), /OPENAI_API_KEY=hs-test/);
    } finally {
      await mock.close();
    }
  });
});

describe('rollback --verify', () => {
  test('verifies the key about to be written against an ad-hoc --to NAME=URL target', async () => {
    const mock = await startMock({ key: 'sk-proj-fake-0000', label: 'official-ish' });
    try {
      const d = tempDir('holy-rbv-');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(d, '.env'), `OPENAI_API_KEY=${RELAY}\nOPENAI_BASE_URL=https://api.holysheep.ai/v1\n`, { mode: 0o600 });
      const bad = await runHoly(['rollback', '--yes', '--verify', '--to', `mock=${mock.url}`, '--key-from-env', 'K', '--force'], { cwd: d, env: { K: 'sk-proj-fake-9999' } });
      assert.match(bad.stdout, /verify\twarn/, bad.stderr);
      const ok = await runHoly(['rollback', '--yes', '--verify', '--to', `mock=${mock.url}`, '--key-from-env', 'K', '--force'], { cwd: d, env: { K: OFFICIAL } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /verify\tok\t\d+\tmock passed/);
      assert.equal(readFileSync(join(d, '.env'), 'utf8'), `OPENAI_API_KEY=${OFFICIAL}\nOPENAI_BASE_URL=${mock.url}\n`);
    } finally {
      await mock.close();
    }
  });
});

describe('--restart', () => {
  test('a successful restart shows its output on stderr and exit 0', async () => {
    const d = workdir();
    const r = await runHoly(['migrate', '--yes', '--restart', 'echo restarted-api; exit 0'], { cwd: d, env: { PATH: process.env.PATH } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /restarted-api/);
    assert.doesNotMatch(r.stdout, /^restarted-api$/m);
    assert.match(r.stdout, /restart\tok\t\d+\techo restarted-api; exit 0 exited 0/);
  });

  test('a failing restart exits 1 naming the command and code; the file stays applied with a rollback hint', { skip: !posix }, async () => {
    const d = workdir();
    const r = await runHoly(['migrate', '--yes', '--restart', 'echo boom >&2; exit 7'], { cwd: d, env: { PATH: process.env.PATH } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /boom/);
    assert.match(r.stdout, /restart\tfailed\t\d+\techo boom >&2; exit 7 exited 7/);
    assert.match(r.stderr, /stays applied.*holy rollback --env-file \.env --yes/);
    assert.match(read(d), /OPENAI_API_KEY=hs-test/);
  });
});

describe('--notify', () => {
  test('POSTs a Slack-compatible summary without keys and reports the HTTP status', async () => {
    const hook = await receiver(200);
    try {
      const d = workdir();
      const r = await runHoly(['migrate', '--yes', '--notify', hook.url, '--json'], { cwd: d });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(hook.bodies.length, 1);
      const body = JSON.parse(hook.bodies[0]!);
      assert.match(body.text, /^holy migrate succeeded: \.env → holysheep/);
      assert.ok(noKeys(hook.bodies[0]!), 'no key in the webhook body');
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.steps.at(-1), { ...doc.steps.at(-1), step: 'notify', status: 'ok', detail: 'HTTP 200' });
    } finally {
      await hook.close();
    }
  });

  test('a failing notify is a warning, not a failure', async () => {
    const hook = await receiver(500);
    try {
      const d = workdir();
      assert.equal((await runHoly(['migrate', '--yes'], { cwd: d })).code, 0);
      const r = await runHoly(['rollback', '--yes', '--notify', hook.url], { cwd: d });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: --notify: the summary was not delivered \(HTTP 500\)/);
      assert.match(r.stdout, /notify\twarn/);
      assert.equal(read(d), original(), 'the rollback itself happened');
      assert.equal(hook.bodies.length, 1);
    } finally {
      await hook.close();
    }
  });
});

describe('an interrupted write', () => {
  test('a crash between the temp write and the rename leaves .env intact, no snapshot, and says so (exit 1)', async () => {
    // The real binary, with rename(2) onto .env failing in that process only (see helpers/power-cut.ts).
    const d = workdir();
    const r = await spawnHoly(['migrate', '--yes'], { cwd: d, nodeArgs: ['--import', POWER_CUT] });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /could not write \.env \(EIO\); the original is unchanged\.\nhint: a backup is at \.env\.bak\./);
    assert.equal(read(d), original());
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(d).filter((f) => !f.startsWith('.env.bak.')), ['.env']);
  });
});
