/** The canary: stickiness, each guard condition on its own, the rolling window, shared state, admin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { Canary, bucketOf, checkGuard, onCandidate, stickyKey, type RouteState } from '../../src/gateway/cutover/canary.js';
import { adminKeyMatches, parseRouteCommand, routeAdmin } from '../../src/gateway/cutover/admin.js';
import type { CanaryConfig, GatewayStore, RouteConfig, Served } from '../../src/gateway/contract.js';
import type { NotifyBody } from '../../src/gateway/cutover/types.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function route(c: Partial<CanaryConfig> = {}, g: Partial<CanaryConfig['guard']> = {}): RouteConfig {
  return {
    primary: 'official', maxInFlight: 64, queueTimeoutMs: 1000,
    canary: { provider: 'holysheep', percent: 5, sticky: 'tenant', ...c, guard: { maxErrorRate: 0.02, maxP99Ms: 4000, windowMs: 300_000, minRequests: 50, ...g } },
  };
}

function world(r: RouteConfig = route(), store: GatewayStore = embeddedStore(() => clock.t)) {
  const logs: Array<{ level: string; event: string; fields?: Record<string, unknown> }> = [];
  const notes: NotifyBody[] = [];
  const counts: Record<string, number> = {};
  const canary = new Canary({
    store, route: r, clock: () => clock.t, now: () => T0 + clock.t,
    log: (level, event, fields) => void logs.push({ level, event, ...(fields ? { fields } : {}) }),
    metrics: { count: (n, l) => void (counts[n + (l ? JSON.stringify(l) : '')] = (counts[n + (l ? JSON.stringify(l) : '')] ?? 0) + 1), gauge: () => {} },
    notify: (b) => void notes.push(b),
  });
  return { canary, logs, notes, counts, store };
}
const clock = { t: 0 };

let seq = 0;
function served(provider: string, o: Partial<Served> = {}): Served {
  const arm = provider === 'holysheep' ? 'canary' : 'primary';
  return { requestId: `r${++seq}`, tenant: 'acme', endpoint: 'chat', request: { model: 'gpt-4.1', messages: [] }, provider, arm, modelServed: 'gpt-4.1', ok: true, httpStatus: 200, e2eMs: 100, startedAt: T0 + clock.t, ...o };
}

async function feed(w: ReturnType<typeof world>, list: Served[]): Promise<void> {
  for (const s of list) w.canary.observe(s);
  await w.canary.idle();
}
const many = (n: number, f: (i: number) => Served) => Array.from({ length: n }, (_, i) => f(i));

async function started(r?: RouteConfig) {
  clock.t = 0;
  const w = world(r);
  await w.canary.init();
  await w.canary.plan({ tenant: 'acme' });
  return w;
}
const stateOf = async (w: ReturnType<typeof world>) => JSON.parse((await w.store.get(w.canary.key()))!) as RouteState;

// ---------------------------------------------------------------- stickiness

test('bucketOf is stable and spread: the same key always lands in the same bucket 0..9999', () => {
  assert.equal(bucketOf('tenant:acme'), bucketOf('tenant:acme'));
  const b = new Set(Array.from({ length: 2000 }, (_, i) => bucketOf(`tenant:t${i}`)));
  assert.ok(b.size > 1700, `2000 keys in ${b.size} buckets`);
  for (const x of b) assert.ok(x >= 0 && x < 10_000);
  assert.equal(onCandidate(499, 5), true);
  assert.equal(onCandidate(500, 5), false);
  assert.equal(onCandidate(0, 0), false);
});

test('sticky by tenant: a tenant always lands on the same side; about percent of tenants on the candidate; raising the percent keeps earlier members', async () => {
  const w = await started(route({ percent: 25 }));
  const tenants = Array.from({ length: 1000 }, (_, i) => `t${i}`);
  const side = async (t: string) => (await w.canary.plan({ tenant: t, user: `u${Math.random()}` })).provider;
  const at25 = new Map<string, string>();
  for (const t of tenants) {
    const p = await side(t);
    at25.set(t, p);
    for (let k = 0; k < 3; k++) assert.equal(await side(t), p, `tenant ${t} moved sides at the same percent`);
  }
  const n25 = [...at25.values()].filter((p) => p === 'holysheep').length;
  assert.ok(n25 > 200 && n25 < 300, `${n25} of 1000 tenants on the candidate at 25 %`);
  await w.canary.change({ percent: 50 }, 'test', 'raise');
  let n50 = 0;
  for (const t of tenants) {
    const p = await side(t);
    if (p === 'holysheep') n50++;
    if (at25.get(t) === 'holysheep') assert.equal(p, 'holysheep', `tenant ${t} left the candidate when the share went up`);
  }
  assert.ok(n50 > n25 && n50 > 430 && n50 < 570, `${n50} of 1000 at 50 %`);
  const plan = await w.canary.plan({ tenant: [...at25].find(([, p]) => p === 'holysheep')![0] });
  assert.deepEqual(plan, { provider: 'holysheep', arm: 'canary', fallback: 'official' }, 'a canary request falls back to the primary');
});

test('sticky by user: users of one tenant split, each user stays; without a user the tenant decides', async () => {
  const w = await started(route({ percent: 50, sticky: 'user' }));
  const sides = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = (await w.canary.plan({ tenant: 'acme', user: `user-${i}` })).provider;
    sides.add(p);
    assert.equal((await w.canary.plan({ tenant: 'acme', user: `user-${i}` })).provider, p);
  }
  assert.equal(sides.size, 2, 'one tenant’s users land on both sides');
  assert.equal(stickyKey('user', { tenant: 'acme' }), 'tenant:acme');
  const noUser = (await w.canary.plan({ tenant: 'acme' })).provider;
  for (let i = 0; i < 5; i++) assert.equal((await w.canary.plan({ tenant: 'acme' })).provider, noUser);
});

test('sticky none: each request drawn on its own (seeded), about percent of them on the candidate', async () => {
  const w = await started(route({ percent: 30, sticky: 'none' }));
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let cand = 0;
  for (let i = 0; i < 2000; i++) if ((await w.canary.plan({ tenant: 'acme', user: 'same' }, rnd)).provider === 'holysheep') cand++;
  assert.ok(cand > 480 && cand < 720, `${cand} of 2000 on the candidate at 30 %`);
  assert.equal(stickyKey('none', { tenant: 'acme', user: 'u' }), undefined);
});

test('no canary configured: everything on the primary, its fallback kept', async () => {
  const w = world({ primary: 'official', fallback: 'backup', maxInFlight: 8, queueTimeoutMs: 100 });
  await w.canary.init();
  assert.deepEqual(await w.canary.plan({ tenant: 'acme' }), { provider: 'official', arm: 'primary', fallback: 'backup' });
  w.canary.observe(served('holysheep'));
  await w.canary.idle();
});

// ---------------------------------------------------------------- the guard, one condition at a time

test('checkGuard: error rate alone, p99 alone, minRequests, and no breach when the primary is as bad', () => {
  const g = { maxErrorRate: 0.02, maxP99Ms: 4000, windowMs: 60_000, minRequests: 50 };
  const ok = { n: 500, errors: 0, slow: 0 };
  assert.equal(checkGuard(g, { n: 50, errors: 1, slow: 0 }, ok), undefined, '2 % is not over 2 %');
  assert.equal(checkGuard(g, { n: 50, errors: 2, slow: 0 }, ok)?.kind, 'error_rate');
  assert.equal(checkGuard(g, { n: 50, errors: 0, slow: 1 }, ok)?.kind, 'p99', '1 slow in 50 is 2 % over maxP99Ms: the p99 is over it');
  assert.equal(checkGuard(g, { n: 200, errors: 0, slow: 2 }, ok), undefined, '1 % slow: p99 right at the limit');
  assert.equal(checkGuard(g, { n: 49, errors: 49, slow: 49 }, ok), undefined, 'under minRequests nothing happens');
  assert.equal(checkGuard(g, { n: 100, errors: 10, slow: 0 }, { n: 100, errors: 20, slow: 0 }), undefined, 'the primary fails more: not the candidate’s fault');
  assert.match(checkGuard(g, { n: 100, errors: 10, slow: 0 }, ok)!.reason, /error rate 10\.0 % \(10 of 100\).*primary 0\.0 %/);
});

test('guard: the error rate alone rolls back (share 0, logged, notified, why on the state)', async () => {
  const w = await started();
  await feed(w, many(48, () => served('holysheep')));
  await feed(w, many(100, () => served('official')));
  assert.equal((await stateOf(w)).state, 'canary');
  await feed(w, [served('holysheep', { ok: false, httpStatus: 502, error: 'bad gateway' }), served('holysheep', { ok: false, httpStatus: 503 })]);
  const st = await stateOf(w);
  assert.equal(st.state, 'rolled-back');
  assert.equal(st.percent, 0);
  assert.equal(st.last.who, 'guard');
  assert.equal(st.breach?.kind, 'error_rate');
  assert.deepEqual(st.breach?.candidate, { n: 50, errors: 2, slow: 0 });
  assert.equal(st.breach?.failuresSeen, 2);
  assert.ok(st.breach!.reactionMs! >= 0);
  assert.ok(w.logs.some((l) => l.event === 'canary_rollback' && l.level === 'error'));
  assert.equal(w.notes.length, 1);
  assert.match(w.notes[0]!.text, /canary holysheep rolled back from 5 % to 0 %.*error rate/);
  assert.equal(w.counts['canary_rollbacks{"reason":"error_rate"}'], 1);
  assert.deepEqual(await w.canary.plan({ tenant: 'anyone' }), { provider: 'official', arm: 'primary' });
});

test('guard: p99 alone rolls back (no errors at all)', async () => {
  const w = await started();
  await feed(w, many(100, () => served('official', { e2eMs: 900 })));
  await feed(w, many(48, () => served('holysheep', { e2eMs: 800 })));
  await feed(w, [served('holysheep', { e2eMs: 4500 })]);
  assert.equal((await stateOf(w)).state, 'canary', '1 slow of 49: still under minRequests');
  await feed(w, [served('holysheep', { e2eMs: 700 })]);
  const st = await stateOf(w);
  assert.equal(st.state, 'rolled-back');
  assert.equal(st.breach?.kind, 'p99');
  assert.equal(st.breach?.candidate.errors, 0);
});

test('guard: under minRequests nothing happens, however bad; the 50th request decides', async () => {
  const w = await started();
  await feed(w, many(49, () => served('holysheep', { ok: false, httpStatus: 500 })));
  assert.equal((await stateOf(w)).state, 'canary');
  assert.equal(w.notes.length, 0);
  await feed(w, [served('holysheep', { ok: false, httpStatus: 500 })]);
  assert.equal((await stateOf(w)).state, 'rolled-back');
});

test('guard: 4xx answers are the request’s fault, not the candidate’s', async () => {
  const w = await started();
  await feed(w, many(60, () => served('holysheep', { ok: false, httpStatus: 400 })));
  assert.equal((await stateOf(w)).state, 'canary');
});

test('guard: the window rolls — failures older than the window no longer count', async () => {
  const w = await started(route({}, { windowMs: 60_000, minRequests: 20 }));
  await feed(w, many(10, () => served('holysheep', { ok: false, httpStatus: 500 })));
  clock.t += 61_000;
  await w.canary.plan({ tenant: 'acme' });
  await feed(w, many(30, () => served('holysheep')));
  assert.equal((await stateOf(w)).state, 'canary', 'the 10 failures left the window');
  // Control: the same failures inside the window do fire.
  await feed(w, many(10, () => served('holysheep', { ok: false, httpStatus: 500 })));
  assert.equal((await stateOf(w)).state, 'rolled-back');
  assert.deepEqual((await stateOf(w)).breach?.candidate, { n: 40, errors: 10, slow: 0 });
});

test('guard: a canary failure that fell back to the primary (Served.tried) counts against the candidate', async () => {
  const w = await started(route({}, { minRequests: 10 }));
  await feed(w, many(10, () => served('official', { arm: 'fallback', tried: [{ provider: 'holysheep', httpStatus: 503, ms: 5 }] })));
  const st = await stateOf(w);
  assert.equal(st.state, 'rolled-back');
  assert.deepEqual(st.breach?.candidate, { n: 10, errors: 10, slow: 0 });
  assert.equal(st.breach?.primary.n, 10);
});

test('after a rollback, a new percent starts a fresh window (old failures do not fire again)', async () => {
  const w = await started(route({}, { minRequests: 10 }));
  await feed(w, many(10, () => served('holysheep', { ok: false, httpStatus: 500 })));
  assert.equal((await stateOf(w)).state, 'rolled-back');
  const st = await w.canary.change({ percent: 5 }, 'alice', 'relay fixed');
  assert.equal(st.epoch, 2);
  assert.equal(st.breach, undefined);
  await feed(w, many(10, () => served('holysheep')));
  assert.equal((await stateOf(w)).state, 'canary');
});

// ---------------------------------------------------------------- shared state, changes, reload

test('two replicas on one store: a rollback on one stops the canary on the other within the cache period', async () => {
  clock.t = 0;
  const store = embeddedStore(() => clock.t);
  const a = world(route({ percent: 100 }, { minRequests: 5 }), store);
  const b = world(route({ percent: 100 }, { minRequests: 5 }), store);
  await a.canary.init();
  await b.canary.init();
  assert.equal((await b.canary.plan({ tenant: 'acme' })).provider, 'holysheep');
  await a.canary.plan({ tenant: 'acme' });
  await feed(a, many(5, () => served('holysheep', { ok: false, httpStatus: 500 })));
  assert.equal((await stateOf(a)).state, 'rolled-back');
  clock.t += 1001;
  assert.equal((await b.canary.plan({ tenant: 'acme' })).provider, 'official');
  assert.equal(b.notes.length + a.notes.length, 1, 'notified once');
});

test('promote and rollback: the candidate becomes primary (old primary its fallback), then back; each change keeps who/what/why', async () => {
  const w = await started();
  await w.canary.change({ promote: true }, 'alice', 'a week clean');
  assert.deepEqual(await w.canary.plan({ tenant: 'x' }), { provider: 'holysheep', arm: 'primary', fallback: 'official' });
  const st = await w.canary.change({ rollback: true }, 'bob', 'cost report wrong');
  assert.deepEqual(await w.canary.plan({ tenant: 'x' }), { provider: 'official', arm: 'primary' });
  assert.deepEqual(st.history.map((h) => [h.who, h.what, h.why]), [
    ['bob', 'rollback from promoted to 0 %', 'cost report wrong'],
    ['alice', 'promote holysheep to primary', 'a week clean'],
    ['config', 'start at 5 %', 'gateway started'],
  ]);
  assert.ok(w.logs.some((l) => l.event === 'canary_change' && l.fields?.who === 'bob'));
});

test('reconfigure (SIGHUP): a new percent in the config changes the share; an unchanged config keeps a rollback', async () => {
  const w = await started(route({}, { minRequests: 5 }));
  await w.canary.reconfigure(route({ percent: 25 }, { minRequests: 5 }));
  let st = await stateOf(w);
  assert.equal(st.percent, 25);
  assert.equal(st.last.who, 'config');
  await feed(w, many(5, () => served('holysheep', { ok: false, httpStatus: 500 })));
  await w.canary.reconfigure(route({ percent: 25 }, { minRequests: 5 }));
  st = await stateOf(w);
  assert.equal(st.state, 'rolled-back', 'a reload that does not touch the canary keeps the guard’s rollback');
});

test('a store that fails keeps the last state (logged), never fails plan()', async () => {
  const w = await started(route({ percent: 100 }));
  const broken = w.store as GatewayStore & { get: GatewayStore['get'] };
  broken.get = async () => {
    throw new Error('connection lost');
  };
  clock.t += 5000;
  assert.equal((await w.canary.plan({ tenant: 'acme' })).provider, 'holysheep');
  assert.ok(w.logs.some((l) => l.event === 'canary_state_unreadable'));
});

// ---------------------------------------------------------------- admin

test('admin key: constant-time match of the bearer token; off without the variable', () => {
  const key = ['adm', 'in-', 'x'.repeat(20)].join('');
  assert.equal(adminKeyMatches(key, `Bearer ${key}`), true);
  assert.equal(adminKeyMatches(key, key), true);
  assert.equal(adminKeyMatches(key, `Bearer ${key}x`), false);
  assert.equal(adminKeyMatches(key, 'Bearer hk-tenantkey'), false);
  assert.equal(adminKeyMatches(key, undefined), false);
  assert.equal(adminKeyMatches(undefined, 'Bearer anything'), false);
  assert.equal(adminKeyMatches('', 'Bearer '), false);
});

test('admin endpoint: 403 when off, 401 without the key, 405, 400 on bad bodies, GET and POST change the route', async () => {
  const w = await started();
  assert.equal(await routeAdmin(w.canary, 'GET', '/admin/other', undefined, true, true), null);
  const off = await routeAdmin(w.canary, 'GET', '/admin/route', undefined, true, false);
  assert.equal(off?.status, 403);
  assert.match(JSON.stringify(off?.body), /HOLY_GATEWAY_ADMIN_KEY/);
  const unauth = await routeAdmin(w.canary, 'POST', '/admin/route', { percent: 100 }, false, true);
  assert.equal(unauth?.status, 401);
  assert.equal((unauth?.body as { error: { code: string } }).error.code, 'invalid_admin_key');
  assert.equal((await stateOf(w)).percent, 5, 'an unauthorised POST changes nothing');
  assert.equal((await routeAdmin(w.canary, 'DELETE', '/admin/route', undefined, true, true))?.status, 405);
  for (const bad of [null, [], {}, { percent: 101 }, { percent: -1 }, { percent: '5' }, { percent: 5, rollback: true }, { promote: 'yes' }, { percent: 1.234 }, { percent: 5, why: 7 }]) {
    const r = await routeAdmin(w.canary, 'POST', '/admin/route', bad, true, true);
    assert.equal(r?.status, 400, JSON.stringify(bad));
    assert.match((r?.body as { error: { message: string } }).error.message, /percent|promote|rollback|why|JSON object/);
  }
  const r = await routeAdmin(w.canary, 'POST', '/admin/route?x=1', { percent: 25, who: 'alice', why: 'p99 fine for 1 h' }, true, true);
  assert.equal(r?.status, 200);
  const body = r!.body as { canary: { percent: number; state: string; last: { who: string; what: string; why: string }; guard: { window: { candidate: unknown } } } };
  assert.equal(body.canary.percent, 25);
  assert.deepEqual([body.canary.last.who, body.canary.last.what, body.canary.last.why], ['alice', 'percent 5 → 25', 'p99 fine for 1 h']);
  assert.deepEqual(body.canary.guard.window.candidate, { n: 0, errors: 0, slow: 0 });
  const g = await routeAdmin(w.canary, 'GET', '/admin/route', undefined, true, true);
  assert.equal((g?.body as typeof body).canary.percent, 25);
  assert.deepEqual(parseRouteCommand({ rollback: true }), { cmd: { rollback: true }, who: 'admin', why: 'no reason given' });
});

test('admin endpoint without a canary in the config: GET shows the primary, POST is 409', async () => {
  const w = world({ primary: 'official', maxInFlight: 8, queueTimeoutMs: 100 });
  const g = await routeAdmin(w.canary, 'GET', '/admin/route', undefined, true, true);
  assert.deepEqual(g?.body, { primary: 'official', canary: null });
  assert.equal((await routeAdmin(w.canary, 'POST', '/admin/route', { percent: 5 }, true, true))?.status, 409);
});

test('without a canary the plan is the primary (with its fallback) and nothing is observed; a reload that adds one turns both on', async () => {
  const bare: RouteConfig = { primary: 'official', fallback: 'holysheep', maxInFlight: 64, queueTimeoutMs: 1000 };
  const w = world(bare);
  await w.canary.init();
  assert.equal(w.canary.observing, false, 'the gateway builds no Served for a canary that is not there');
  assert.deepEqual(await w.canary.plan({ tenant: 'acme' }), { provider: 'official', arm: 'primary', fallback: 'holysheep' });
  await w.canary.reconfigure(route({ percent: 100 }));
  assert.equal(w.canary.observing, true);
  assert.deepEqual(await w.canary.plan({ tenant: 'acme' }), { provider: 'holysheep', arm: 'canary', fallback: 'official' });
  await w.canary.reconfigure({ ...bare, primary: 'holysheep', fallback: 'official' });
  assert.equal(w.canary.observing, false);
  assert.deepEqual(await w.canary.plan({ tenant: 'acme' }), { provider: 'holysheep', arm: 'primary', fallback: 'official' }, 'the primary plan follows the reloaded route');
  await w.canary.close();
});
