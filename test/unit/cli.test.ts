import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHoly, spawnHoly } from '../helpers/ctx.js';

test('--help lists every command and exits 0', async () => {
  const r = await runHoly(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['verify', 'models', 'bench', 'traffic', 'roi', 'migrate', 'mock', 'tour', 'gateway']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  assert.match(r.stdout, /^  traffic +real traffic for bench/m, 'holy traffic is listed with its summary');
});

test('an unknown command is a usage error (exit 2) with a suggestion on stderr', async () => {
  const r = await runHoly(['verfy']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "holy: unknown command 'verfy'; did you mean verify?\nhint: add --help to see the usage and examples.\n");
});

test('usage errors in a command and a nested one are caught (exit 2) and written to the Ctx stderr', async () => {
  for (const argv of [['verify', '--bogus'], ['models', 'check']]) {
    const r = await runHoly(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^holy: [^\n]+\nhint: add --help to see the usage and examples\.\n$/, argv.join(' '));
  }
});

test('the real binary prints the version and exits 0', async () => {
  const r = await spawnHoly(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});
