import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHoly } from '../helpers/ctx.js';
import { BASE, OFFICIAL, bytesOf, envDir } from './helpers.js';

test('a second migrate records the variables only it changes, keeping the earliest original of each; rollback restores all', async () => {
  const original = `${BASE}LLM_BASE_URL=https://llm.internal/v1\nLLM_TOKEN=tok-original-1234\n`;
  const d = envDir(original);
  const first = await runHoly(['migrate', '--yes'], { cwd: d });
  assert.equal(first.code, 0, first.stderr);
  const second = await runHoly(['migrate', '--yes', '--var', 'LLM_BASE_URL', '--var', 'LLM_TOKEN=key'], { cwd: d });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /note: added LLM_BASE_URL, LLM_TOKEN to the snapshot from /);
  const snap = JSON.parse(readFileSync(join(d, '.env.holy-snapshot.json'), 'utf8'));
  const entry = (k: string) => snap.vars.find((v: { key: string }) => v.key === k)?.entries[0]?.text;
  assert.equal(entry('OPENAI_API_KEY'), `OPENAI_API_KEY=${OFFICIAL}`, 'the earliest original, not the relay key the first migrate wrote');
  assert.equal(entry('LLM_BASE_URL'), 'LLM_BASE_URL=https://llm.internal/v1');
  assert.equal(entry('LLM_TOKEN'), 'LLM_TOKEN=tok-original-1234');
  assert.ok(snap.updatedAt && snap.createdAt <= snap.updatedAt);
  const third = await runHoly(['migrate', '--yes', '--var', 'LLM_BASE_URL'], { cwd: d });
  assert.equal(third.code, 0, third.stderr);
  const back = await runHoly(['rollback', '--yes'], { cwd: d });
  assert.equal(back.code, 0, back.stderr);
  assert.doesNotMatch(back.stderr, /changed since migrate/, 'the snapshot tracks the file as the last migrate left it');
  assert.equal(bytesOf(d).toString(), original);
});
