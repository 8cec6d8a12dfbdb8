import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { parseEnv, printEnv, envValues } from '../../src/core/envfile/parse.js';
import { computePlan, DEFAULT_VARS, parseVarSpec } from '../../src/core/migrate/plan.js';
import { makeSnapshot, restorePlan, snapshotProblem } from '../../src/core/migrate/snapshot.js';
import { renderFormat, shQuote } from '../../src/core/migrate/formats.js';
import { ROOT } from '../helpers/ctx.js';

const FIX = join(ROOT, 'fixtures', 'env');
const fixtures = readdirSync(FIX).filter((f) => f.endsWith('.env'));
const RELAY = { baseURL: 'https://api.holysheep.ai/v1', key: 'hs-test-0000000000000000', addMissing: true };
const meta = { createdAt: '2026-01-01T00:00:00.000Z', envFile: '.env', to: 'holysheep' };

describe('migrate plan', () => {
  test('sets URL and key lines, adds missing OPENAI_BASE_URL, and leaves absent OPENAI_API_BASE absent', () => {
    const m = parseEnv('A=1\nOPENAI_API_KEY=sk-proj-fake-0000\n');
    const p = computePlan(m, RELAY, DEFAULT_VARS);
    assert.deepEqual(p.changes.map((c) => [c.key, c.action, c.line]), [['OPENAI_BASE_URL', 'add', 0], ['OPENAI_API_KEY', 'set', 2]]);
    assert.equal(printEnv(p.after), 'A=1\nOPENAI_API_KEY=hs-test-0000000000000000\nOPENAI_BASE_URL=https://api.holysheep.ai/v1\n');
    assert.equal(printEnv(m), 'A=1\nOPENAI_API_KEY=sk-proj-fake-0000\n', 'the input model is not mutated');
    assert.ok(p.changes.every((c) => c.key !== 'OPENAI_API_KEY' || c.secret));
  });

  test('legacy OPENAI_API_BASE is pointed at the target too', () => {
    const p = computePlan(parseEnv(readFileSync(join(FIX, 'legacy.env'), 'utf8')), RELAY, DEFAULT_VARS);
    assert.equal(envValues(p.after).OPENAI_API_BASE, RELAY.baseURL);
  });

  test('every assignment of a repeated key is set, with a note', () => {
    const p = computePlan(parseEnv(readFileSync(join(FIX, 'repeated.env'), 'utf8')), RELAY, DEFAULT_VARS);
    assert.equal(p.changes.filter((c) => c.key === 'OPENAI_API_KEY').length, 2);
    assert.equal(p.changes.filter((c) => c.key === 'OPENAI_BASE_URL').length, 2);
    assert.match(p.notes.join(' '), /assigned 2 times/);
  });

  test('a line inside a multi-line quoted value is not mistaken for a provider line', () => {
    const text = readFileSync(join(FIX, 'multiline.env'), 'utf8');
    const p = computePlan(parseEnv(text), RELAY, DEFAULT_VARS);
    assert.match(printEnv(p.after), /OPENAI_API_KEY=this-line-is-inside-a-quoted-value/);
    assert.equal(p.changes.filter((c) => c.key === 'OPENAI_API_KEY').length, 1);
  });

  test('rollback without addMissing only edits lines that exist', () => {
    const m = parseEnv('OPENAI_API_KEY=hs-test-0000000000000000\n');
    const p = computePlan(m, { baseURL: 'https://api.openai.com/v1', key: 'sk-proj-fake-0000', addMissing: false }, DEFAULT_VARS);
    assert.equal(printEnv(p.after), 'OPENAI_API_KEY=sk-proj-fake-0000\n');
  });

  test('--var specs: by name, explicit role, and a clear error for ambiguous names', () => {
    assert.deepEqual(parseVarSpec('LLM_BASE_URL'), { name: 'LLM_BASE_URL', role: 'url' });
    assert.deepEqual(parseVarSpec('LLM_TOKEN'), { name: 'LLM_TOKEN', role: 'key' });
    assert.deepEqual(parseVarSpec('X=key'), { name: 'X', role: 'key' });
    assert.match((parseVarSpec('LLM_THING') as { error: string }).error, /--var LLM_THING=key/);
    assert.match((parseVarSpec('1BAD') as { error: string }).error, /expected a variable name/);
  });
});

describe('snapshot: migrate then rollback restores the file byte for byte', () => {
  for (const f of fixtures) {
    test(`fixture ${f}`, () => {
      const text = readFileSync(join(FIX, f), 'utf8');
      const before = parseEnv(text);
      const plan = computePlan(before, RELAY, DEFAULT_VARS);
      const migrated = printEnv(plan.after);
      assert.notEqual(migrated, text, 'migrate changes something');
      // Only provider variables changed, as dotenv reads them.
      const a = dotenvParse(text);
      const b = dotenvParse(migrated);
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!DEFAULT_VARS.some((v) => v.name === k)) assert.equal(b[k], a[k], `${k} unchanged`);
      }
      const snap = JSON.parse(JSON.stringify(makeSnapshot(before, plan, meta)));
      assert.equal(snapshotProblem(snap), undefined);
      const back = restorePlan(parseEnv(migrated), snap);
      assert.equal(printEnv(back.after), text);
      assert.equal(back.notes.length, 0);
      // And a second restore changes nothing.
      assert.equal(printEnv(restorePlan(back.after, snap).after), text);
    });
  }

  test('edits made after migrate survive the rollback, with a note', () => {
    const text = 'A=1\nOPENAI_API_KEY=sk-proj-fake-0000\n';
    const before = parseEnv(text);
    const plan = computePlan(before, RELAY, DEFAULT_VARS);
    const snap = makeSnapshot(before, plan, meta);
    const edited = printEnv(plan.after).replace('A=1', 'A=2') + 'NEW=x\n';
    const back = restorePlan(parseEnv(edited), snap);
    assert.equal(printEnv(back.after), 'A=2\nOPENAI_API_KEY=sk-proj-fake-0000\nNEW=x\n');
    assert.match(back.notes[0]!, /changed since migrate/);
  });

  test('damaged snapshots are named precisely', () => {
    assert.match(snapshotProblem({ kind: 'x' })!, /"kind"/);
    assert.match(snapshotProblem({ kind: 'holy-migrate-snapshot', version: 1, finalEol: true, vars: [{ key: 'A' }] })!, /vars\[0\]/);
    assert.match(snapshotProblem(null)!, /not a JSON object/);
  });
});

describe('output formats', () => {
  const vars = [
    { name: 'OPENAI_BASE_URL', value: 'https://api.holysheep.ai/v1', secret: false },
    { name: 'OPENAI_API_KEY', value: "hs-te'st-0000000000", secret: true },
  ];
  test('sh quotes every value for POSIX shells', () => {
    assert.equal(shQuote("a'b"), `'a'\\''b'`);
    assert.match(renderFormat('sh', vars, 'x'), /^export OPENAI_API_KEY='hs-te'\\''st-0000000000'$/m);
  });
  test('compose renders an environment block', () => {
    assert.match(renderFormat('compose', vars, 'x'), /^environment:\n {2}OPENAI_BASE_URL: "https:\/\/api.holysheep.ai\/v1"\n/m);
  });
});
