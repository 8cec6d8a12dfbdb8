import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProviders } from '../../src/adapters/profiles.js';
import { pickProfile } from '../../src/core/profiles.js';
import { UsageError } from '../../src/errors.js';
import { fakeCtx } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

function dir(files: Record<string, string>): string {
  const d = tempDir('holy-prof-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

test('built-ins: official is fixed, holysheep base URL comes from HOLYSHEEP_BASE_URL', async () => {
  const p = await loadProviders(fakeCtx({ env: { HOLYSHEEP_BASE_URL: 'https://relay.example/v1' }, cwd: dir({}) }), {});
  assert.equal(p.providers.get('official')!.baseURL, 'https://api.openai.com/v1');
  assert.equal(p.providers.get('holysheep')!.baseURL, 'https://relay.example/v1');
  assert.equal(p.providers.get('holysheep')!.baseURLSource, 'env HOLYSHEEP_BASE_URL');
  assert.equal([p.old, p.new].join('→'), 'official→holysheep');
});

test('--env-file values win over the process env and are not copied into it', async () => {
  const cwd = dir({ '.env': '# app\nHOLYSHEEP_API_KEY="hs-from-file-0000"\nOPENAI_API_KEY=\n' });
  const ctx = fakeCtx({ env: { HOLYSHEEP_API_KEY: 'hs-from-env-1111' }, cwd });
  const p = await loadProviders(ctx, { envFile: '.env' });
  const k = await p.key(p.providers.get('holysheep')!);
  assert.deepEqual(k, { raw: 'hs-from-file-0000', source: '.env HOLYSHEEP_API_KEY' });
  assert.equal(ctx.env.HOLYSHEEP_API_KEY, 'hs-from-env-1111');
});

test('keys from --key-file and from stdin; a missing key says where it was looked for', async () => {
  const cwd = dir({ 'relay.key': 'hs-file-key-2222\n' });
  const p = await loadProviders(fakeCtx({ cwd, stdin: 'hs-stdin-key-3333\n' }), { keyFile: ['holysheep=relay.key', 'official=-'] });
  assert.deepEqual(await p.key(p.providers.get('holysheep')!), { raw: 'hs-file-key-2222', source: 'file relay.key' });
  assert.deepEqual(await p.key(p.providers.get('official')!), { raw: 'hs-stdin-key-3333', source: 'stdin' });
  const none = await loadProviders(fakeCtx({ cwd }), {});
  assert.deepEqual(await none.key(none.providers.get('official')!), { raw: undefined, source: 'OPENAI_API_KEY' });
});

test('a key read from stdin belongs to that run: another Ctx in the same process reads its own stdin', async () => {
  const cwd = dir({});
  const first = await loadProviders(fakeCtx({ cwd, stdin: 'hs-first-stdin-4444' }), { keyFile: ['holysheep=-'] });
  assert.equal((await first.key(first.providers.get('holysheep')!)).raw, 'hs-first-stdin-4444');
  const second = await loadProviders(fakeCtx({ cwd, stdin: 'hs-second-stdin-5555' }), { keyFile: ['holysheep=-'] });
  assert.equal((await second.key(second.providers.get('holysheep')!)).raw, 'hs-second-stdin-5555');
});

test('a config file adds providers and picks old/new', async () => {
  const cwd = dir({ 'holy.config.json': JSON.stringify({ providers: { staging: { baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'STAGING_KEY', timeoutMs: 500 } }, old: 'holysheep', new: 'staging' }) });
  const p = await loadProviders(fakeCtx({ cwd }), {});
  assert.equal(p.old, 'holysheep');
  assert.equal(p.new, 'staging');
  assert.equal(p.providers.get('staging')!.timeoutMs, 500);
  assert.equal(p.configFile, 'holy.config.json');
  assert.equal(pickProfile(p, 'adhoc=http://127.0.0.1:1/v1', '--provider').apiKeyEnv, 'ADHOC_API_KEY');
  assert.throws(() => pickProfile(p, 'nope', '--provider'), /--provider nope: no such provider; known: official, holysheep, staging/);
});

test('config errors name the file and the field, as usage errors', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{ not json', /holy\.config\.json is not valid JSON/],
    ['{"providers": {"x": {"apiKeyEnv": "X"}}}', /holy\.config\.json: providers\.x has no "baseURL"/],
    ['{"providers": {"x": {"baseURL": 5}}}', /providers\.x\.baseURL must be a string/],
    ['{"providers": {"x": {"baseURL": "https://a/v1", "headers": {"Authorization": "Bearer x"}}}}', /must not carry Authorization/],
    ['{"new": "ghost"}', /"new" names provider "ghost", which is not defined/],
    ['[1]', /top level must be a JSON object/],
    ['{"providers": {"x": {"baseURL": "https://a/v1", "timeoutMs": 3000000000}}}', /providers\.x\.timeoutMs must be at most 2147483647 ms/],
  ];
  for (const [text, re] of cases) {
    const cwd = dir({ 'holy.config.json': text });
    await assert.rejects(loadProviders(fakeCtx({ cwd }), {}), (e: unknown) => e instanceof UsageError && re.test(e.message));
  }
  await assert.rejects(loadProviders(fakeCtx({ cwd: dir({}) }), { config: 'missing.json' }), /config file missing\.json does not exist/);
  await assert.rejects(loadProviders(fakeCtx({ cwd: dir({}) }), { envFile: 'nope.env' }), /env file nope\.env does not exist/);
  await assert.rejects(loadProviders(fakeCtx({ cwd: dir({}) }), { keyFile: ['oops'] }), /--key-file "oops": expected PROVIDER=PATH/);
});
