/** The pure parts of verify (URL and key checks, classification) and verifyProviders with an injected resolver. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBaseURL, checkKey, hygieneFix } from '../../src/core/verify/checks.js';
import { classifyNetwork, classifyHttp, rateLimitInfo, suggestV1, type Where } from '../../src/core/verify/classify.js';
import { isModelNotFound, modelNotFound } from '../../src/core/verify/model.js';
import { keyHygiene } from '../../src/core/keys.js';
import { verifyProviders } from '../../src/commands/verify/verify.js';
import { fakeCtx } from '../helpers/ctx.js';
import { NEW_KEY, tempConfig } from './setup.js';

const W: Where = { provider: 'holysheep', url: 'https://relay.example/v1/models', baseURL: 'https://relay.example/v1', baseURLSource: 'env HOLYSHEEP_BASE_URL', keySource: 'HOLYSHEEP_API_KEY in .env', timeoutMs: 1000 };

describe('checkBaseURL', () => {
  test('clean https URL passes; whitespace warns and is trimmed', () => {
    assert.equal(checkBaseURL('https://api.holysheep.ai/v1', 's').status, 'pass');
    const v = checkBaseURL(' https://api.holysheep.ai/v1\n', 'env HOLYSHEEP_BASE_URL');
    assert.equal(v.status, 'warn');
    assert.equal(v.url, 'https://api.holysheep.ai/v1');
    assert.match(v.problems[0]!.fix, /env HOLYSHEEP_BASE_URL/);
  });
  test('pasted endpoints fail and are stripped for probing', () => {
    for (const ep of ['chat/completions', 'completions', 'models', 'embeddings', 'responses']) {
      const v = checkBaseURL(`https://relay.example/v1/${ep}`, 's');
      assert.equal(v.status, 'fail', ep);
      assert.equal(v.url, 'https://relay.example/v1', ep);
    }
  });
  test('http is fine on loopback, a warning elsewhere; garbage and ftp fail', () => {
    assert.equal(checkBaseURL('http://127.0.0.1:8080/v1', 's').status, 'pass');
    assert.equal(checkBaseURL('http://localhost:8080/v1', 's').status, 'pass');
    assert.equal(checkBaseURL('http://relay.example/v1', 's').status, 'warn');
    assert.equal(checkBaseURL('relay.example/v1', 's').status, 'fail');
    assert.equal(checkBaseURL('relay.example/v1', 's').url, undefined);
    assert.equal(checkBaseURL('ftp://relay.example/v1', 's').status, 'fail');
  });
  test('suggestV1 only when the path has no version', () => {
    assert.equal(suggestV1('https://relay.example'), 'https://relay.example/v1');
    assert.equal(suggestV1('https://relay.example/api'), 'https://relay.example/api/v1');
    assert.equal(suggestV1('https://relay.example/v1'), undefined);
  });
});

describe('checkKey', () => {
  const k = (raw: string | undefined, source = 'env HOLYSHEEP_API_KEY') => ({ provider: 'holysheep', raw, source, apiKeyEnv: 'HOLYSHEEP_API_KEY', keyPatterns: [] });
  test('missing and empty keys fail and send nothing', () => {
    assert.equal(checkKey(k(undefined, 'HOLYSHEEP_API_KEY'), 'https://api.holysheep.ai/v1', false).send, false);
    assert.equal(checkKey(k('   '), 'https://api.holysheep.ai/v1', false).status, 'fail');
  });
  test('an empty key file: the fix names that file, not an env var the file overrides', () => {
    const v = checkKey({ provider: 'my-relay', raw: '', source: 'file relay.key', keyPatterns: [] }, 'https://relay.example/v1', false);
    assert.equal(v.problem!.cause, 'the key in the key file relay.key is empty.');
    assert.equal(v.problem!.fix, "put my-relay's key in relay.key, or pass --key-file my-relay=PATH naming another file.");
    const s = checkKey({ ...k(''), source: 'stdin' }, 'https://api.holysheep.ai/v1', false);
    assert.match(s.problem!.fix, /^pipe holysheep's key in on stdin/);
  });
  test('relay key to api.openai.com is refused; official key to the relay is refused; --force sends', () => {
    const a = checkKey(k(NEW_KEY), 'https://api.openai.com/v1', false);
    assert.equal(a.status, 'fail');
    assert.equal(a.send, false);
    assert.match(a.problem!.cause, /relay key would be sent to api\.openai\.com/);
    const b = checkKey(k('sk-proj-fake-0000'), 'https://api.holysheep.ai/v1', false);
    assert.equal(b.send, false);
    const c = checkKey(k('sk-proj-fake-0000'), 'https://api.holysheep.ai/v1', true);
    assert.equal(c.send, true);
    assert.equal(c.status, 'warn');
    assert.equal(checkKey(k('sk-proj-fake-0000'), 'https://api.openai.com/v1', false).status, 'pass');
  });
  test('hygiene: raw then trimmed are tried; the fix names what to remove and where', () => {
    const v = checkKey(k(`${NEW_KEY}\n`, '.env HOLYSHEEP_API_KEY'), 'https://api.holysheep.ai/v1', false);
    assert.deepEqual(v.candidates.map((c) => c.label), ['raw', 'trimmed']);
    assert.equal(v.candidates[1]!.key, NEW_KEY);
    assert.equal(v.problem!.fix, 'remove the trailing newline from HOLYSHEEP_API_KEY in .env.');
    assert.equal(hygieneFix(keyHygiene(`'${NEW_KEY}'`).issues, 'file k.txt', `'${NEW_KEY}'`), 'remove the quotes from the key file k.txt');
    assert.ok(!v.detail.includes(NEW_KEY));
  });
  test('unknown format is a hint in the detail, not a failure', () => {
    const v = checkKey(k('abcdefghijklmnop'), 'https://api.holysheep.ai/v1', false);
    assert.equal(v.status, 'pass');
    assert.match(v.detail, /unrecognised format/);
  });
});

describe('classification', () => {
  test('network codes are told apart', () => {
    assert.match(classifyNetwork('ENOTFOUND', 'getaddrinfo ENOTFOUND relay.example', W).cause, /does not resolve/);
    assert.match(classifyNetwork('EAI_AGAIN', 'x', W).label, /^DNS/);
    assert.match(classifyNetwork('ECONNREFUSED', 'x', W).cause, /refused the connection/);
    assert.match(classifyNetwork('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', W).cause, /plain HTTP/);
    assert.match(classifyNetwork('CERT_HAS_EXPIRED', 'certificate has expired', W).fix, /NODE_EXTRA_CA_CERTS/);
    assert.match(classifyNetwork('UND_ERR_CONNECT_TIMEOUT', 'x', W).cause, /did not answer within 1000 ms/);
    assert.match(classifyNetwork('ECONNRESET', 'socket hang up', W).cause, /closed the connection/);
    assert.match(classifyNetwork('ECONNREFUSED', 'x', { ...W, proxy: 'http://proxy.local:3128/' }).cause, /the proxy http:\/\/proxy\.local:3128\/ refused/);
  });
  test('HTTP statuses map to causes; 429 quota vs rate limit by code', () => {
    const h = (status: number, extra: object = {}) => classifyHttp({ kind: 'http', status, headers: {}, ...extra }, W, 'GET /models');
    assert.equal(h(401).status, 'fail');
    assert.equal(h(429).status, 'warn');
    assert.equal(h(429, { errorCode: 'insufficient_quota' }).status, 'fail');
    assert.equal(h(429, { errorMessage: 'You exceeded your current quota, please check your plan and billing details.' }).label, '429 insufficient_quota');
    assert.match(h(502, { contentType: 'text/html', body: '<html>bad gateway</html>' }).cause, /HTML error page/);
    assert.match(h(404).fix, /set the base URL to/);
    assert.match(h(418).cause, /was refused \(418\)/);
  });
  test('rate-limit headers are summarised', () => {
    const r = rateLimitInfo({ 'retry-after': '3', 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s', other: 'x' });
    assert.equal(r.text, 'Retry-After 3 s; requests 0/60 left, reset 1s');
    assert.deepEqual(Object.keys(r.headers).sort(), ['retry-after', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests']);
  });
  test('model-not-found recognition and alternatives', () => {
    assert.equal(isModelNotFound({ kind: 'http', status: 404, errorCode: 'model_not_found', headers: {} }), true);
    assert.equal(isModelNotFound({ kind: 'http', status: 400, errorMessage: 'The model `gpt-9` does not exist', headers: {} }), true);
    assert.equal(isModelNotFound({ kind: 'http', status: 404, errorMessage: 'Invalid URL (POST /v1/chat/completions)', headers: {} }), false);
    const d = modelNotFound('claude-3-opus-20240229', 'holysheep', ['claude-sonnet-4-5', 'gpt-4o'], '404');
    assert.deepEqual(d.data!.mapping, { to: 'claude-sonnet-4.5', served: 'claude-sonnet-4-5' });
    assert.match(d.fix, /claude-sonnet-4\.5 \(served as claude-sonnet-4-5\)/);
  });
});

describe('verifyProviders with an injected resolver', () => {
  test('DNS failure is classified without touching real DNS, and nothing is sent', async () => {
    const cfg = tempConfig({ holysheep: 'https://relay.nonexistent.invalid/v1' });
    const ctx = fakeCtx({ env: { HOLYSHEEP_API_KEY: NEW_KEY } });
    let asked = '';
    try {
      const rep = await verifyProviders(ctx, { config: cfg.file }, {
        providers: ['holysheep'],
        lookup: async (h) => {
          asked = h;
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
        },
      });
      assert.equal(asked, 'relay.nonexistent.invalid');
      assert.equal(rep.ok, false);
      const n = rep.checks.find((c) => c.check === 'network')!;
      assert.equal(n.status, 'fail');
      assert.equal(n.detail, 'dns: DNS ENOTFOUND (direct)');
      assert.match(n.cause!, /relay\.nonexistent\.invalid does not resolve/);
      assert.equal(rep.checks.find((c) => c.check === 'models')!.status, 'skip');
      assert.deepEqual(rep.providers, [{ name: 'holysheep', baseURL: 'https://relay.nonexistent.invalid/v1', keySource: 'env HOLYSHEEP_API_KEY', keyMasked: 'hs-…1111' }]);
    } finally {
      cfg.cleanup();
    }
  });

  test('a DNS lookup that hangs is a timeout in the dns phase', async () => {
    const ctx = fakeCtx({ env: { SLOW_API_KEY: NEW_KEY } });
    const rep = await verifyProviders(ctx, {}, { providers: ['slow=https://slow.invalid/v1'], timeoutMs: 100, lookup: () => new Promise(() => {}) });
    const n = rep.checks.find((c) => c.check === 'network')!;
    assert.equal(n.status, 'fail');
    assert.equal(n.data!.phase, 'dns');
    assert.match(n.cause!, /did not answer within 100 ms/);
  });

  test('an unknown provider throws a usage error', async () => {
    await assert.rejects(verifyProviders(fakeCtx(), {}, { providers: ['nope'] }), /no such provider/);
  });
});
