import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMock } from '../../src/mock/server.js';
import { runHoly } from '../helpers/ctx.js';

const OFFICIAL = 'sk-proj-fake-0000';
const RELAY = 'hs-test-0000000000000000';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
function envDir(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'holy-app-pair-'));
  made.push(d);
  writeFileSync(join(d, '.env'), text);
  chmodSync(join(d, '.env'), 0o600);
  return d;
}
type Row = { provider: string; check: string; status: string; detail: string };
const rows = (stdout: string): Row[] => JSON.parse(stdout).checks;
const status = (rs: Row[], p: string) => rs.filter((r) => r.provider === p).map((r) => `${r.check}:${r.status}`);

describe('holy verify --env-file checks the pair the app will use', () => {
  test('after migrate: the official row is skipped (its key is the app relay key), the app rows pass, exit 0', async () => {
    const mock = await startMock({ key: RELAY, label: 'relay' });
    try {
      const d = envDir(`OPENAI_API_KEY=${OFFICIAL}\nOPENAI_BASE_URL=https://api.openai.com/v1\nHOLYSHEEP_API_KEY=${RELAY}\n`);
      const env = { HOLYSHEEP_BASE_URL: mock.url };
      assert.equal((await runHoly(['migrate', '--yes'], { cwd: d, env })).code, 0);
      const r = await runHoly(['verify', '--env-file', '.env', '--json'], { cwd: d, env });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const rs = rows(r.stdout);
      assert.deepEqual(status(rs, 'official'), ['key:skip']);
      assert.match(rs.find((x) => x.provider === 'official')!.detail, /^skipped: \.env OPENAI_API_KEY is the app's key for http:\/\/127\.0\.0\.1:\d+\/v1 \(checked in the app rows\)/);
      assert.deepEqual(status(rs, 'app'), ['key:pass', 'url:pass', 'network:pass', 'models:pass']);
      assert.match(rs.find((x) => x.provider === 'app' && x.check === 'url')!.detail, new RegExp(mock.url.replace(/[/.]/g, '\\$&')));
      assert.ok(mock.requests.filter((q) => q.path.endsWith('/models')).every((q) => q.authorized), 'the app key reached the relay');
      assert.ok(!r.stdout.includes(RELAY) && !r.stderr.includes(RELAY));
    } finally {
      await mock.close();
    }
  });

  test('an official key paired with the relay URL fails the app key check before anything is sent (exit 3)', async () => {
    const mock = await startMock({ key: RELAY, label: 'relay' });
    try {
      const d = envDir(`OPENAI_API_KEY=${OFFICIAL}\nOPENAI_BASE_URL=${mock.url}\n`);
      const r = await runHoly(['verify', '--env-file', '.env', '--provider', 'app', '--json'], { cwd: d });
      assert.equal(r.code, 3);
      assert.deepEqual(status(rows(r.stdout), 'app'), ['key:fail', 'url:pass', 'network:pass', 'models:skip']);
      assert.equal(mock.requests.length, 0, 'the official key was never sent to the relay');
    } finally {
      await mock.close();
    }
  });

  test('OPENAI_API_BASE (older SDKs) pointing elsewhere than OPENAI_BASE_URL is a warning row', async () => {
    const mock = await startMock({ key: RELAY, label: 'relay' });
    try {
      const d = envDir(`OPENAI_API_KEY=${RELAY}\nOPENAI_BASE_URL=${mock.url}\nOPENAI_API_BASE=https://api.openai.com/v1\n`);
      const r = await runHoly(['verify', '--env-file', '.env', '--provider', 'app', '--json'], { cwd: d });
      assert.equal(r.code, 0, r.stdout);
      const warn = rows(r.stdout).find((x) => x.status === 'warn')!;
      assert.equal(`${warn.provider}:${warn.check}`, 'app:url');
      assert.match(warn.detail, /\.env OPENAI_API_BASE \(older SDKs\) is https:\/\/api\.openai\.com\/v1, but \.env OPENAI_BASE_URL is http/);
    } finally {
      await mock.close();
    }
  });
});

test('a terminal escape in the env file never reaches the terminal through the app rows', async () => {
  const d = envDir(`OPENAI_API_KEY=${RELAY}\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\nOPENAI_API_BASE="http://x/\u001b]0;pwned\u0007"\n`);
  const r = await runHoly(['verify', '--env-file', '.env', '--provider', 'app', '--json'], { cwd: d });
  const warn = rows(r.stdout).find((x) => x.check === 'url' && x.status === 'warn')!;
  assert.ok(!warn.detail.includes('\u001b') && !warn.detail.includes('\u0007'), warn.detail);
  assert.match(warn.detail, /\\u001b\]0;pwned\\u0007/);
});
