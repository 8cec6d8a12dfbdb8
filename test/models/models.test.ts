/** holy models: listing with prices, --prices, --diff with normalisation and mappings, `models check`, failures. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { diffModels, suggestionText } from '../../src/core/models-diff.js';
import { ROOT } from '../helpers/ctx.js';
import { ESC, run, world, type World } from '../verify/setup.js';

const OLD_MODELS = ['gpt-4-turbo', 'gpt-3.5-turbo', 'claude-3-opus-20240229', 'gemini-pro', 'gpt-4o-2024-08-06', 'mystery-1'];
const NEW_MODELS = ['gpt-4.1', 'gpt-4o-mini', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'gpt-4o', 'deepseek-v3.2'];
const fx = (f: string) => join(ROOT, 'fixtures', 'models', f);

describe('diffModels (pure)', () => {
  test('categories, normalisation and the seeds mapping', () => {
    const rows = diffModels(OLD_MODELS, NEW_MODELS);
    const by = new Map(rows.map((r) => [r.model, r]));
    assert.equal(by.get('gpt-4o')!.status, 'both');
    assert.deepEqual(by.get('gpt-4o')!.old, ['gpt-4o-2024-08-06']);
    assert.equal(by.get('claude-3-opus')!.status, 'only-old');
    assert.equal(by.get('deepseek-v3.2')!.status, 'only-new');
    const map = (m: string) => by.get(m)!.suggestion!.mapping;
    assert.deepEqual(map('gpt-4-turbo'), { to: 'gpt-4.1', served: 'gpt-4.1' });
    assert.deepEqual(map('gpt-3.5-turbo'), { to: 'gpt-4o-mini', served: 'gpt-4o-mini' });
    assert.deepEqual(map('claude-3-opus'), { to: 'claude-sonnet-4.5', served: 'claude-sonnet-4-5' });
    assert.deepEqual(map('gemini-pro'), { to: 'gemini-2.5-flash', served: 'gemini-2.5-flash' });
    assert.equal(map('mystery-1'), undefined);
    assert.equal(suggestionText(by.get('claude-3-opus')!.suggestion), '→ claude-sonnet-4-5 (claude-sonnet-4.5)');
    assert.match(suggestionText(by.get('mystery-1')!.suggestion), /^closest: /);
    // only-old first, then both, then only-new
    assert.deepEqual([...new Set(rows.map((r) => r.status))], ['only-old', 'both', 'only-new']);
    assert.equal(diffModels(['claude-sonnet-4-5'], ['claude-sonnet-4.5'])[0]!.status, 'both');
  });
});

describe('holy models against mocks', () => {
  let w: World;
  before(async () => (w = await world({ old: { models: OLD_MODELS, owner: 'openai' }, new: { models: NEW_MODELS, owner: 'holysheep' } })));
  after(() => w.close());

  test('--json listing: id, owner, created and the price (snapshots priced as their model), with source and date', async () => {
    const r = await run(['models', '--config', w.config, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.prices.origin, 'built-in');
    assert.deepEqual(doc.providers.map((p: any) => [p.name, p.ok, p.count]), [['official', true, 6], ['holysheep', true, 6]]);
    const snap = doc.models.find((m: any) => m.provider === 'official' && m.id === 'gpt-4o-2024-08-06');
    assert.equal(snap.owner, 'openai');
    assert.match(snap.created, /^\d{4}-\d\d-\d\dT/);
    assert.equal(snap.price.model, 'gpt-4o');
    assert.equal(snap.price.input, '2.50');
    assert.equal(snap.price.output, '10.00');
    assert.ok(snap.price.source && snap.price.date);
    assert.equal(doc.models.find((m: any) => m.id === 'mystery-1').price, null);
    assert.equal(doc.models.find((m: any) => m.id === 'claude-sonnet-4-5').price.output, '15.00');
  });

  test('piped listing is TSV with prices; --provider limits it', async () => {
    const r = await run(['models', '--config', w.config, '--provider', 'holysheep']);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'provider\tmodel\towner\tcreated\tinput $/1M\tcached $/1M\toutput $/1M');
    assert.equal(lines.length, 7);
    assert.ok(lines.includes('holysheep\tgpt-4.1\tholysheep\t2023-11-14T22:13:20.000Z\t2.00\t0.50\t8.00'), r.stdout);
    assert.doesNotMatch(r.stdout, ESC);
  });

  test('--prices overrides rows, in holy and in LiteLLM format', async () => {
    const h = JSON.parse((await run(['models', '--config', w.config, '--provider', 'official', '--prices', fx('prices.holy.json'), '--json'])).stdout);
    assert.match(h.prices.origin, /prices\.holy\.json$/);
    const g = h.models.find((m: any) => m.id === 'gpt-4o-2024-08-06').price;
    assert.deepEqual([g.input, g.cachedInput, g.output, g.source], ['2.2', '1.1', '9', 'HolySheep price list (sample)']);
    assert.equal(h.models.find((m: any) => m.id === 'mystery-1').price.output, '0.2');
    assert.equal(h.models.find((m: any) => m.id === 'gpt-4-turbo').price.input, '10.00', 'rows not in the file keep the built-in price');
    const l = JSON.parse((await run(['models', '--config', w.config, '--provider', 'official', '--prices', fx('prices.litellm.json'), '--json'])).stdout);
    assert.equal(l.models.find((m: any) => m.id === 'mystery-1').price.input, '0.3');
    assert.match(l.models.find((m: any) => m.id === 'mystery-1').price.source, /LiteLLM/);
    const bad = await run(['models', '--config', w.config, '--prices', fx('missing.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prices .*missing\.json does not exist/);
  });

  test('--diff: both / only-old / only-new with suggested mappings', async () => {
    const r = await run(['models', '--config', w.config, '--diff', 'official', 'holysheep', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.deepEqual(d.counts, { both: 1, onlyOld: 5, onlyNew: 5 });
    const t = await run(['models', '--config', w.config, '--diff', 'official', 'holysheep']);
    const lines = t.stdout.trim().split('\n');
    assert.equal(lines[0], 'model\tstatus\tofficial\tholysheep\tsuggested');
    assert.ok(lines.includes('gpt-4-turbo\tonly-old\tgpt-4-turbo\t\t→ gpt-4.1'), t.stdout);
    assert.ok(lines.includes('gpt-4o\tboth\tgpt-4o-2024-08-06\tgpt-4o\t'), t.stdout);
    assert.ok(lines.includes('claude-3-opus\tonly-old\tclaude-3-opus-20240229\t\t→ claude-sonnet-4-5 (claude-sonnet-4.5)'), t.stdout);
  });

  test('--diff needs exactly two different providers', async () => {
    assert.equal((await run(['models', '--config', w.config, '--diff', 'official'])).code, 2);
    assert.equal((await run(['models', '--config', w.config, '--diff', 'official', 'official'])).code, 2);
    // Two spellings of one provider: a usage error before any request, not a crash.
    const same = await run(['models', '--config', w.config, '--diff', 'official', 'official=http://127.0.0.1:9/v1']);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /--diff official official=http:\/\/127\.0\.0\.1:9\/v1: both name provider official/);
    const u = await run(['models', '--config', w.config, '--diff', 'official', 'nope']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /--diff nope: no such provider/);
  });

  test('models check: exact, normalised, not served (exit 3 with mapping), other provider', async () => {
    const exact = await run(['models', '--config', w.config, 'check', 'gpt-4o', '--json']);
    assert.equal(exact.code, 0);
    assert.deepEqual((({ served, id, exact: e, provider }) => ({ served, id, e, provider }))(JSON.parse(exact.stdout)), { served: true, id: 'gpt-4o', e: true, provider: 'holysheep' });
    const snap = await run(['models', '--config', w.config, 'check', 'claude-sonnet-4.5'], { stdoutTTY: true });
    assert.equal(snap.code, 0);
    assert.match(snap.stdout, /claude-sonnet-4\.5 is served by holysheep as claude-sonnet-4-5/);
    assert.match(snap.stdout, /input \$3\.00/);
    const miss = await run(['models', '--config', w.config, 'check', 'gpt-4-turbo', '--json']);
    assert.equal(miss.code, 3);
    const m = JSON.parse(miss.stdout);
    assert.equal(m.served, false);
    assert.deepEqual(m.alternatives.mapping, { to: 'gpt-4.1', served: 'gpt-4.1' });
    const tsv = await run(['models', '--config', w.config, 'check', 'gpt-4-turbo']);
    assert.equal(tsv.code, 3);
    assert.match(tsv.stdout.split('\n')[1]!, /^gpt-4-turbo\tholysheep\tno\t\tthe suggested replacement is gpt-4\.1 \(served\)/);
    const old = await run(['models', '--config', w.config, 'check', 'gpt-4-turbo', '--provider', 'official', '--json']);
    assert.equal(old.code, 0);
    assert.equal(JSON.parse(old.stdout).provider, 'official');
  });

  test('a failed listing says why with verify\'s classification, exit 3', async () => {
    const r = await run(['models', '--config', w.config, '--provider', 'holysheep'], { env: { HOLYSHEEP_API_KEY: 'hs-test-2222222222222222' }, secrets: ['hs-test-2222222222222222'] });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /holysheep: could not list models: the provider rejected the key \(401 invalid_api_key\)/);
    assert.match(r.stderr, /hint: check the key in HOLYSHEEP_API_KEY in the environment/);
    const c = await run(['models', '--config', w.config, 'check', 'gpt-4o', '--json'], { env: { HOLYSHEEP_API_KEY: undefined } });
    assert.equal(c.code, 3);
    assert.match(JSON.parse(c.stdout).listing.error.cause, /HOLYSHEEP_API_KEY is not set/);
  });
});

describe('holy models: network failures through the SDK are classified like verify', () => {
  test('a closed port → connection refused; https on a plain-HTTP port → TLS; exit 3', async () => {
    const { closedPort } = await import('../verify/setup.js');
    const port = await closedPort();
    const r = await run(['models', '--provider', `dead=http://127.0.0.1:${port}/v1`], { env: { DEAD_API_KEY: 'hs-test-1111111111111111' } });
    assert.equal(r.code, 3);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'only the header on stdout');
    assert.match(r.stderr, new RegExp(`dead: could not list models: 127\\.0\\.0\\.1:${port} refused the connection`));
    const w = await world();
    try {
      const t = await run(['models', '--provider', `tls=https://127.0.0.1:${w.new.port}/v1`, '--json'], { env: { TLS_API_KEY: 'hs-test-1111111111111111' } });
      assert.equal(t.code, 3);
      const doc = JSON.parse(t.stdout);
      assert.equal(doc.providers[0].ok, false);
      assert.match(doc.providers[0].error.label, /^TLS/);
      assert.match(doc.providers[0].error.cause, /TLS handshake/);
    } finally {
      await w.close();
    }
  });
});
