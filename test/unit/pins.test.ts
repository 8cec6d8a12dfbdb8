/**
 * Dependencies holy reaches into (a private path) or copies behaviour from are pinned to an exact
 * version in package.json. These tests fail when an upgrade moves or changes what holy relies on:
 * upgrade on purpose, re-check the code named in each test, then update the expected values here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../helpers/ctx.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const require = createRequire(join(ROOT, 'package.json'));
const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const PINNED: Record<string, string> = {
  // src/adapters/http.ts imports undici/lib/dispatcher/agent.js (not part of undici's public API).
  undici: '7.30.2',
  // src/core/tokens.ts requires gpt-tokenizer/cjs/encoding/<encoding> (a build-output path).
  'gpt-tokenizer': '3.4.0',
  // src/core/envfile/parse.ts copies dotenv's LINE pattern and value processing.
  dotenv: '17.4.2',
};

test('packages holy reaches into are pinned exactly, and the installed copy is that version', () => {
  for (const [name, version] of Object.entries(PINNED)) {
    assert.equal(pkg.dependencies[name], version, `${name} must be pinned to exactly ${version} in package.json`);
    assert.equal(installed(name), version, `node_modules has ${name} ${installed(name)}, not the pinned ${version}`);
  }
});

test('undici: the private agent path is the public Agent class', () => {
  assert.equal(require('undici/lib/dispatcher/agent.js'), (require('undici') as typeof import('undici')).Agent);
});

test('gpt-tokenizer: the cjs encoding paths load and count as they did when holy was written', () => {
  const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as { encode(s: string): number[] };
  const cl100k = require('gpt-tokenizer/cjs/encoding/cl100k_base') as { encode(s: string): number[] };
  assert.deepEqual(o200k.encode('hello world, 你好'), [24912, 2375, 11, 220, 177519]);
  assert.deepEqual(cl100k.encode('hello world, 你好'), [15339, 1917, 11, 220, 57668, 53901]);
});

test("dotenv: the LINE pattern core/envfile/parse.ts copies is unchanged", () => {
  const main = readFileSync(join(ROOT, 'node_modules', 'dotenv', 'lib', 'main.js'), 'utf8');
  const line = /^const LINE = (\/.*\/[a-z]*)$/m.exec(main)?.[1];
  assert.equal(line, String.raw`/(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*` + '`' + String.raw`(?:\\` + '`' + String.raw`|[^` + '`' + String.raw`])*` + '`' + String.raw`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/mg`);
});
