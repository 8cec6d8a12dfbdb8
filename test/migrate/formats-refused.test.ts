import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHoly } from '../helpers/ctx.js';
import { BASE, OFFICIAL, RELAY, bytesOf, envDir, others } from './helpers.js';

const COMPOSE = `services:\n  api:\n    image: app\n    environment:\n      OPENAI_BASE_URL: https://api.openai.com/v1\n      OPENAI_API_KEY: ${OFFICIAL}\n`;
const cases: Array<[string, string, string, RegExp]> = [
  ["docker-compose.yml", COMPOSE, "line 1", /it opens a YAML mapping \("services:"\), so it looks like YAML/],
  ['compose-list.yml', `services:\n  api:\n    environment:\n      - OPENAI_BASE_URL=https://api.openai.com/v1\n`, 'line 1', /looks like YAML/],
  ['env-only.yml', `      OPENAI_BASE_URL: https://api.openai.com/v1\n      OPENAI_API_KEY: ${OFFICIAL}\n`, 'line 1', /indented YAML "key: value" line/],
  ['secret.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  OPENAI_API_KEY: ${OFFICIAL}\n`, 'line 1', /looks like YAML/],
  ['k8s-doc.yaml', `---\nOPENAI_BASE_URL: https://api.openai.com/v1\n`, 'line 1', /YAML document marker/],
  ['mapping.yaml', `OPENAI_BASE_URL: https://api.openai.com/v1\nOPENAI_API_KEY: ${OFFICIAL}\nHOLYSHEEP_API_KEY: ${RELAY}\n`, 'line 1', /looks like YAML/],
  ['config.json', `{\n  "OPENAI_BASE_URL": "https://api.openai.com/v1",\n  "OPENAI_API_KEY": "${OFFICIAL}"\n}\n`, 'line 1', /looks like JSON/],
  ['shell.env', `${BASE}if [ -n "$X" ]; then\n  echo hi\nfi\n`, 'line 5', /neither a KEY=value assignment nor a comment, so holy is not sure it is a dotenv file/],
];

describe('files that are not dotenv are refused untouched', () => {
  for (const [name, content, line, why] of cases) {
    test(`${name}: exit 2 naming ${line}, pointing at --format compose|k8s; nothing written or appended`, async () => {
      const d = envDir(content, name);
      const r = await runHoly(['migrate', '--yes', '--env-file', name], { cwd: d, env: { HOLYSHEEP_API_KEY: RELAY } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^holy: ${name.replace('.', '\\.')} ${line}: `, 'm'));
      assert.match(r.stderr, why);
      assert.match(r.stderr, /--format compose\|k8s --out FILE/);
      assert.equal(bytesOf(d, name).toString(), content);
      assert.deepEqual(others(d), [name]);
      const dry = await runHoly(['migrate', '--env-file', name], { cwd: d, env: { HOLYSHEEP_API_KEY: RELAY } });
      assert.equal(dry.code, 2, 'a dry run refuses too, rather than show a plan it could not apply');
    });
  }

  test("dotenv's own KEY: value form among KEY=value lines is still dotenv (and round-trips)", async () => {
    const content = `${BASE}YAML_STYLE: colon value\n`;
    const d = envDir(content);
    assert.equal((await runHoly(['migrate', '--yes'], { cwd: d })).code, 0);
    assert.match(bytesOf(d).toString(), /^YAML_STYLE: colon value$/m);
    assert.equal((await runHoly(['rollback', '--yes'], { cwd: d })).code, 0);
    assert.equal(bytesOf(d).toString(), content);
  });

  test('the hinted way works: --format compose --out FILE with no env file at all writes a fragment', async () => {
    const d = envDir(COMPOSE, 'docker-compose.yml');
    const r = await runHoly(['migrate', '--format', 'compose', '--out', 'relay.yaml', '--yes'], { cwd: d, env: { HOLYSHEEP_API_KEY: RELAY } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseYaml(readFileSync(join(d, 'relay.yaml'), 'utf8')).environment.OPENAI_API_KEY, RELAY);
    assert.equal(bytesOf(d, 'docker-compose.yml').toString(), COMPOSE);
  });
});

test('no false alarm: every fixture env file (CRLF, export, quotes, multi-line, BOM-less/with comments, KEY: value…) is dotenv', async () => {
  const { readdirSync } = await import('node:fs');
  const { ROOT } = await import('../helpers/ctx.js');
  const { parseEnv } = await import('../../src/core/envfile/parse.js');
  const { formatProblem } = await import('../../src/core/envfile/sniff.js');
  const dir = join(ROOT, 'fixtures', 'env');
  const names = readdirSync(dir).filter((f) => f.endsWith('.env'));
  assert.ok(names.length >= 10);
  for (const n of names) assert.equal(formatProblem(parseEnv(readFileSync(join(dir, n), 'utf8'))), undefined, n);
  assert.equal(formatProblem(parseEnv('\uFEFF# bom\r\nA=1\r\n\r\nexport B="x\ny"\n')), undefined);
});

test('a terminal escape in a value holy replaces is shown escaped in the plan, never raw', async () => {
  const d = envDir(`${BASE.replace('https://api.openai.com/v1', '"https://evil/\u001b]0;pwned\u0007"')}`);
  const r = await runHoly(['migrate', '--dry-run'], { cwd: d });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('\u001b') && !r.stdout.includes('\u0007'), r.stdout);
  assert.match(r.stdout, /^-OPENAI_BASE_URL=https:\/\/evil\/\\u001b\]0;pwned\\u0007$/m);
});
