/** core/gateway/config.ts: defaults, merged tenant limits, cutover fields parsed for the other parts, paths beside the config file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cnyRate, parseGatewayConfig, tenantLimits } from '../../src/core/gateway/config.js';
import { UsageError } from '../../src/errors.js';
import { runHoly } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

const P = ['official', 'holysheep'];
const base = { plans: { pro: { rpm: 600, tpm: 1_000_000 } }, tenants: { acme: { plan: 'pro' } }, route: { primary: 'holysheep' } };

test('defaults: maxInFlight 64, queueTimeoutMs 30000, storeDown closed, ledger and state file names, models any, tools none', () => {
  const c = parseGatewayConfig({ gateway: base }, 'h.json', P);
  assert.equal(c.route.maxInFlight, 64);
  assert.equal(c.route.queueTimeoutMs, 30_000);
  assert.equal(c.storeDown, 'closed');
  assert.equal(c.ledger, 'holy-ledger.db');
  assert.equal(c.state, 'holy-gateway.db');
  assert.equal(c.store, undefined);
  assert.deepEqual(c.plans.pro, { rpm: 600, tpm: 1_000_000, models: ['*'], tools: [], weight: 1 });
  assert.equal(cnyRate(c, 'official'), '7.3');
  assert.equal(cnyRate(c, 'holysheep'), '1');
});

test('tenant limits: the plan merged with the tenant’s own overrides; unknown tenants have none', () => {
  const c = parseGatewayConfig({ gateway: { ...base, plans: { free: { rpm: 20, tpm: 40000, models: ['gpt-4o-mini'], tools: [], maxTokens: 1024, weight: 1 } }, tenants: { globex: { plan: 'free', rpm: 10, weight: 2 } } } }, 'h.json', P);
  assert.deepEqual(tenantLimits(c, 'globex'), { tenant: 'globex', plan: 'free', rpm: 10, tpm: 40000, weight: 2, models: ['gpt-4o-mini'], tools: [], maxTokens: 1024 });
  assert.equal(tenantLimits(c, 'nobody'), undefined);
  assert.equal(tenantLimits(c, 'constructor'), undefined, 'own names only');
});

test('shadow, canary, breaker, store and rates are parsed with their defaults for the parts that use them', () => {
  const c = parseGatewayConfig(
    {
      gateway: {
        ...base,
        route: { primary: 'holysheep', fallback: 'official', shadow: { provider: 'official', percent: 5 }, canary: { provider: 'official', percent: 10, guard: { maxErrorRate: 0.1 } }, breaker: { failures: 3 } },
        store: 'redis://127.0.0.1:6379',
        storeDown: 'open',
        rates: { official: 7.1, holysheep: '1.05' },
      },
    },
    'h.json',
    P,
  );
  assert.deepEqual(c.route.shadow, { provider: 'official', percent: 5, maxInFlight: 8 });
  assert.deepEqual(c.route.canary, { provider: 'official', percent: 10, sticky: 'tenant', guard: { maxErrorRate: 0.1, maxP99Ms: 10_000, windowMs: 60_000, minRequests: 20 } });
  assert.deepEqual(c.route.breaker, { failures: 3, coolDownMs: 30_000 });
  assert.equal(c.store, 'redis://127.0.0.1:6379');
  assert.equal(c.storeDown, 'open');
  assert.equal(cnyRate(c, 'official'), '7.1');
  assert.equal(cnyRate(c, 'holysheep'), '1.05');
});

test('each mistake names the field and the fix', () => {
  const bad = (g: unknown, re: RegExp) =>
    assert.throws(() => parseGatewayConfig({ gateway: g }, 'h.json', P), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, re);
      return true;
    });
  bad({ ...base, plans: {} }, /gateway\.plans is empty; add at least one plan/);
  bad({ ...base, plans: { pro: { tpm: 5 } } }, /gateway\.plans\.pro\.rpm is missing/);
  bad({ ...base, plans: { pro: { rpm: 5, tpm: 5, models: 'gpt-4o' } } }, /gateway\.plans\.pro\.models must be a list of names/);
  bad({ ...base, plans: { pro: { rpm: 5, tpm: 5, maxTokens: 0 } } }, /gateway\.plans\.pro\.maxTokens must be a whole number above 0/);
  bad({ ...base, tenants: { 'a b': { plan: 'pro' } } }, /gateway\.tenants\.a b is not a usable tenant name/);
  bad({ ...base, tenants: { acme: { plan: 'pro', rpn: 3 } } }, /gateway\.tenants\.acme\.rpn is not a known field; did you mean "rpm"/);
  bad({ ...base, route: undefined }, /gateway\.route is missing/);
  bad({ ...base, route: { primary: 'holysheep', fallback: 'holysheep' } }, /gateway\.route\.fallback is the primary itself/);
  bad({ ...base, route: { primary: 'holysheep', canary: { provider: 'official', percent: 150 } } }, /gateway\.route\.canary\.percent must be a number from 0 to 100/);
  bad({ ...base, modelMap: { 'gpt-4.5': 4 } }, /gateway\.modelMap\.gpt-4\.5 must be a non-empty string/);
  bad({ ...base, store: 'memcached://x' }, /gateway\.store must be a redis:\/\//);
  bad({ ...base, rates: { official: 'lots' } }, /gateway\.rates\.official must be a non-negative number/);
  bad({ ...base, rates: { nowhere: 1 } }, /gateway\.rates\.nowhere names provider "nowhere"/);
  bad([], /gateway must be an object/);
});

test('ledger and state files sit beside the config file, wherever holy runs', async () => {
  const dir = tempDir('holy-gw-cfg-');
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'holy.config.json'), JSON.stringify({ providers: { a: { baseURL: 'http://127.0.0.1:9/v1' } }, gateway: { ...base, route: { primary: 'a' }, state: 'state/keys.db' } }));
  mkdirSync(join(dir, 'etc', 'state'));
  const r = await runHoly(['--config', 'etc/holy.config.json', 'gateway', 'keys', 'add', 'acme'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'etc', 'state', 'keys.db')));
  assert.ok(!existsSync(join(dir, 'state')));
});

test('${HOSTNAME} in the state (and ledger) path becomes the host name, so one config serves every replica', async () => {
  const dir = tempDir('holy-gw-cfg-');
  writeFileSync(join(dir, 'holy.config.json'), JSON.stringify({ providers: { a: { baseURL: 'http://127.0.0.1:9/v1' } }, gateway: { ...base, route: { primary: 'a' }, state: 'keys-${HOSTNAME}.db' } }));
  const r = await runHoly(['gateway', 'keys', 'add', 'acme'], { cwd: dir, env: { HOSTNAME: 'replica-b' } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'keys-replica-b.db')), 'the key went to keys-replica-b.db');
});

test('--store: a URL that is not redis:// is a usage error naming the flag; "embedded" overrides a configured Redis', async () => {
  const dir = tempDir('holy-gw-cfg-');
  writeFileSync(join(dir, 'holy.config.json'), JSON.stringify({ providers: { a: { baseURL: 'http://127.0.0.1:9/v1' } }, gateway: { ...base, route: { primary: 'a' }, store: 'redis://127.0.0.1:9/0' } }));
  const bad = await runHoly(['gateway', '--store', 'http://127.0.0.1:6379', 'keys', 'list'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--store "http:\/\/127\.0\.0\.1:6379": not a store URL; give redis:\/\//);
  // Without the flag the configured Redis (nothing listens on port 9) is refused; with --store embedded the state file is used.
  const ok = await runHoly(['gateway', '--store', 'embedded', 'keys', 'add', 'acme'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(join(dir, 'holy-gateway.db')));
});
