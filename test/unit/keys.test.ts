import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKeyHost, keyFormat, keyHygiene } from '../../src/core/keys.js';
import { maskKey, redact } from '../../src/core/redact.js';

const ONE_API = 'sk-' + 'a1B2c3D4e5'.repeat(4) + 'f6G7h8I9'; // 48 alphanumerics after sk-, no OpenAI marker

test('key hygiene finds whitespace, newlines and quotes and cleans them', () => {
  assert.deepEqual(keyHygiene('hs-abc\n').issues.map((i) => i.kind), ['newline', 'trailing-whitespace']);
  assert.equal(keyHygiene('  "hs-abc"  ').cleaned, 'hs-abc');
  assert.deepEqual(keyHygiene('  "hs-abc"  ').issues.map((i) => i.kind), ['leading-whitespace', 'trailing-whitespace', 'quotes']);
  assert.deepEqual(keyHygiene('hs-abc').issues, []);
});

test('key formats: OpenAI project/legacy keys are official; one-api and hs- keys are relay', () => {
  assert.equal(keyFormat('sk-proj-fake-0000'), 'official');
  assert.equal(keyFormat('sk-abcT3BlbkFJxyz'), 'official');
  assert.equal(keyFormat('sk-short'), 'official');
  assert.equal(keyFormat(ONE_API), 'relay');
  assert.equal(keyFormat('hs-test-0000000000'), 'relay');
  assert.equal(keyFormat('acme_123456'), 'unknown');
  assert.equal(keyFormat('acme_123456', ['^acme_']), 'relay');
});

test('key/host mismatches are refused both ways, loopback included', () => {
  assert.equal(checkKeyHost('sk-proj-fake-0000', 'https://api.openai.com/v1').ok, true);
  const loop = checkKeyHost('sk-proj-fake-0000', 'http://127.0.0.1:8080/v1');
  assert.equal(loop.ok, false);
  assert.match(loop.reason!, /OpenAI-format key would be sent to 127\.0\.0\.1:8080/);
  assert.equal(checkKeyHost('sk-proj-fake-0000', 'https://api.holysheep.ai/v1').ok, false);
  assert.equal(checkKeyHost('hs-test-0000000000', 'https://api.openai.com/v1').ok, false);
  assert.equal(checkKeyHost('hs-test-0000000000', 'https://api.holysheep.ai/v1').ok, true);
  assert.equal(checkKeyHost(ONE_API, 'https://api.holysheep.ai/v1').ok, true);
});

test('masking never reveals a usable key; redact finds keys in free text', () => {
  const key = 'hs-live-abcdefghijklmnop';
  assert.equal(maskKey(key), 'hs-…mnop');
  assert.equal(maskKey('short'), '*****');
  // A short project key: prefix and last four would have been the whole key.
  const shortProjectKey = 'sk-proj-' + 'wxyz';
  assert.equal(maskKey(shortProjectKey), '************');
  const text = `Incorrect API key provided: ${key}. Authorization: Bearer ${key}`;
  const r = redact(text, [key]);
  assert.ok(!r.includes(key));
  const fakeProjectKey = 'sk-proj-' + 'abcdefghijklmnopqrstuvwxyz'; // built at run time: no key-shaped literal in the repo
  assert.ok(!redact(`token ${fakeProjectKey} in body`).includes('abcdefghijklmnopqrstuvwxyz'));
});
