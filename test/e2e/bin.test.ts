import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

import { join } from 'node:path';
import { HOLY_BIN, spawnHoly } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

test('--env-file naming a missing file is holy\'s usage error (exit 2), not Node\'s own flag', async () => {
  const cwd = tempDir('holy-bin-');
  const r = await spawnHoly(['verify', '--env-file', 'missing.env'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /holy: env file missing\.env does not exist/);
});

test('run as an executable (through its shebang), the bin keeps --env-file for holy', async () => {
  const cwd = tempDir('holy-bin-');
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(HOLY_BIN, ['migrate', '--env-file', 'missing.env', '--dry-run'], { cwd, env: { PATH: process.env.PATH } }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /missing\.env/);
  assert.doesNotMatch(r.stderr, /^node:/m);
});

test('the tour runs end to end offline and leaves the env file byte for byte', async () => {
  const r = await spawnHoly(['tour', '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { ok: boolean; simulated: boolean; steps: Array<{ step: string; exitCode: number; expected: boolean }> };
  assert.equal(doc.ok, true);
  assert.equal(doc.simulated, true);
  assert.deepEqual([...new Set(doc.steps.map((s) => s.step))], ['verify', 'models', 'bench', 'traffic', 'roi', 'migrate', 'gateway', 'cutover']);
  // The cutover step: the guard rolled the failing relay back with no client error, and the promotion served.
  const rollback = (doc.steps as unknown as Array<{ step: string; argv: string[]; result?: any }>).find((s) => s.argv[0] === '(relay fails: automatic rollback)');
  assert.equal(rollback?.result.rolledBack, true);
  assert.equal(rollback?.result.clientErrors, 0);
  // The traffic step: 200 stored completions pulled, 40 sampled, and bench says what population they stand for.
  const traffic = (doc.steps as unknown as Array<{ step: string; result?: any }>).filter((s) => s.step === 'traffic');
  assert.equal(traffic[0]!.result.inFile, 200);
  assert.equal(traffic[1]!.result.sample, 40);
  assert.match(traffic[2]!.result.plan.population, /stratified sample of 40 out of 200/);
  assert.equal(traffic[2]!.result.summary.pairs, 40);
  assert.ok(doc.steps.every((s) => s.expected), JSON.stringify(doc.steps.filter((s) => !s.expected)));
  assert.doesNotMatch(r.stdout + r.stderr, /tour-(official|holysheep)-key-000[12]/, 'the fake keys are never printed');
});
