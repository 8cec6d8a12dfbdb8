// scripts/test.mjs (what `npm test` and CI run): a test file that never exits fails the run within its bound,
// with one sentence, and leaves no test process behind; a bad bound is a usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/test.mjs', import.meta.url));
/** This process's environment without NODE_TEST_CONTEXT: with it, a nested `node --test` skips its files. */
function env(timeout: string): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...rest } = process.env;
  return { ...rest, HOLY_TEST_TIMEOUT_S: timeout };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a test file that leaves a handle open: the run stops at HOLY_TEST_TIMEOUT_S with one sentence, exit 1, its process gone', async () => {
  const dir = tempDir('holy-runner-');
  const pidFile = join(dir, 'pid');
  const file = join(dir, 'hangs.test.js');
  writeFileSync(file, `import { test } from 'node:test';\nimport { writeFileSync } from 'node:fs';\ntest('passes, then keeps its process alive', () => { writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000); });\n`);
  const r = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', env: env('3'), timeout: 60_000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /holy tests: stopped after 3 s: a test file did not finish or did not exit/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(alive(pid), false, 'the hanging test process was ended with the run');
});

test('HOLY_TEST_TIMEOUT_S that is not a positive number: exit 2 naming it', () => {
  const dir = tempDir('holy-runner-');
  const file = join(dir, 'ok.test.js');
  writeFileSync(file, `import { test } from 'node:test';\ntest('ok', () => {});\n`);
  for (const bad of ['abc', '0', '-5']) {
    const r = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', env: env(bad), timeout: 60_000 });
    assert.equal(r.status, 2, bad);
    assert.match(r.stderr, new RegExp(`HOLY_TEST_TIMEOUT_S must be a number of seconds above 0, got ${bad}`));
  }
  const ok = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', env: env('60'), timeout: 60_000 });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /pass 1/, 'the file ran');
});
