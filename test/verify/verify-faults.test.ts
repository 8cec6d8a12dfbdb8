/** holy verify against a mock that misbehaves: each HTTP failure's classified cause and exit code. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultRule } from '../../src/mock/server.js';
import { checksOf, run, world } from './setup.js';

async function verifyWith(faults: FaultRule[], extra: string[] = []) {
  const w = await world({ new: { faults } });
  try {
    const r = await run(['verify', '--config', w.config, '--provider', 'holysheep', '--json', ...extra]);
    return { ...r, ...checksOf(r.stdout), requests: w.new.requests.length };
  } finally {
    await w.close();
  }
}

describe('holy verify: GET /models failures', () => {
  test('403 → not allowed, exit 3', async () => {
    const r = await verifyWith([{ fault: { kind: 'status', status: 403, code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported' } }]);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.equal(m.status, 'fail');
    assert.match(m.cause!, /valid but not allowed .*403 unsupported_country_region_territory.*territory not supported/);
    assert.match(m.fix!, /region/);
  });

  test('404 → wrong base URL', async () => {
    const r = await verifyWith([{ fault: { kind: 'status', status: 404 } }]);
    assert.equal(r.code, 3);
    assert.match(r.by.get('holysheep/models')!.cause!, /404.*base URL is wrong/);
  });

  test('HTML instead of JSON (200 text/html) → a website, not the API', async () => {
    const r = await verifyWith([{ fault: { kind: 'html', status: 200 } }]);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.match(m.detail, /HTML instead of JSON/);
    assert.match(m.cause!, /HTML page .* instead of JSON/);
  });

  test('429 rate limit → a warning with Retry-After and the x-ratelimit headers, exit 0', async () => {
    const r = await verifyWith([{ fault: { kind: 'rate-limit', retryAfterS: 7 } }]);
    assert.equal(r.code, 0, r.stdout);
    const m = r.by.get('holysheep/models')!;
    assert.equal(m.status, 'warn');
    assert.match(m.cause!, /rate limited \(429 rate_limit_exceeded\); Retry-After 7 s; requests \d+\/\d+ left/);
    assert.match(m.cause!, /tokens \d+\/\d+ left/);
    assert.equal(m.data!.rateLimit['retry-after'], '7');
    assert.ok('x-ratelimit-remaining-requests' in m.data!.rateLimit);
    assert.match(m.fix!, /wait 7 s/);
  });

  test('429 insufficient_quota → billing, not a rate limit, exit 3', async () => {
    const r = await verifyWith([{ fault: { kind: 'insufficient-quota' } }]);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.equal(m.status, 'fail');
    assert.equal(m.detail, '429 insufficient_quota');
    assert.match(m.cause!, /no quota left.*billing, not a rate limit/);
    assert.match(m.fix!, /retrying will not help/);
  });

  test('5xx → server error with the request id', async () => {
    const r = await verifyWith([{ fault: { kind: 'status', status: 503 } }]);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.match(m.cause!, /server error \(503/);
    assert.match(m.fix!, /request id req_/);
  });

  test('a connection reset before any byte → the server closed the connection, not a timeout', async () => {
    const r = await verifyWith([{ fault: { kind: 'reset' }, path: 'models' }]);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.equal(m.status, 'fail');
    assert.match(m.cause!, /closed the connection without an answer/);
  });

  test('an HTML 502 from a gateway → server error, HTML noted', async () => {
    const r = await verifyWith([{ fault: { kind: 'html', status: 502 } }]);
    assert.equal(r.code, 3);
    assert.match(r.by.get('holysheep/models')!.cause!, /server error \(502\).*HTML error page/);
  });

  test('a stall longer than --timeout → timeout, not a refusal', async () => {
    // Had the timeout not cut the 60 s stall short, /models would have answered and passed.
    // --timeout is long enough for a loopback probe on a loaded machine, and far shorter than the stall.
    const r = await verifyWith([{ fault: { kind: 'stall', ms: 60_000 }, path: 'models' }], ['--timeout', '3000']);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/models')!;
    assert.equal(m.detail, 'timeout 3000 ms');
    assert.match(m.cause!, /did not answer within 3000 ms/);
    assert.equal(r.by.get('holysheep/network')!.status, 'pass');
  });
});

describe('holy verify --model failures', () => {
  test('model not found → the closest served names and the known mapping', async () => {
    const r = await verifyWith([], ['--model', 'gpt-4-turbo']);
    assert.equal(r.code, 3);
    const m = r.by.get('holysheep/model')!;
    assert.equal(m.status, 'fail');
    assert.match(m.cause!, /holysheep does not serve gpt-4-turbo \(404 model_not_found\)/);
    assert.deepEqual(m.data!.mapping, { to: 'gpt-4.1', served: 'gpt-4.1' });
    assert.ok(m.data!.closest.length > 0 && m.data!.closest.every((c: string) => typeof c === 'string'));
    assert.match(m.fix!, /suggested replacement is gpt-4\.1 \(served\); closest served names: /);
  });

  test('a rate-limited chat is a warning; a 500 on chat fails', async () => {
    const rl = await verifyWith([{ fault: { kind: 'rate-limit', retryAfterS: 2 }, path: 'chat' }], ['--model', 'gpt-4o']);
    assert.equal(rl.code, 0);
    assert.equal(rl.by.get('holysheep/model')!.status, 'warn');
    const e = await verifyWith([{ fault: { kind: 'status', status: 500 }, path: 'chat' }], ['--model', 'gpt-4o']);
    assert.equal(e.code, 3);
    assert.match(e.by.get('holysheep/model')!.cause!, /server error \(500/);
  });
});

describe('holy verify: Ctrl-C', () => {
  test('an interrupt during a stalled request ends promptly with exit 130, after printing what was checked', async () => {
    const { fakeCtx } = await import('../helpers/ctx.js');
    const { main } = await import('../../src/cli.js');
    const { OLD_KEY, NEW_KEY } = await import('./setup.js');
    const w = await world({ new: { faults: [{ fault: { kind: 'stall', ms: 60_000 }, path: 'models' }] } });
    try {
      const ctx = fakeCtx({ cwd: w.dir, env: { OPENAI_API_KEY: OLD_KEY, HOLYSHEEP_API_KEY: NEW_KEY } });
      const t0 = performance.now();
      const pending = main(['verify', '--provider', 'holysheep', '--timeout', '60000'], ctx);
      // Abort once the stalled request has reached the mock, not after a guessed delay.
      while (!w.new.requests.some((q) => q.path === '/v1/models')) await new Promise((r) => setTimeout(r, 5));
      ctx.abort();
      const code = await pending;
      assert.equal(code, 130);
      // The stall and the timeout are both 60 s, by the mock's and holy's own timers: ending before either means
      // the interrupt ended the request.
      assert.ok(performance.now() - t0 < 60_000, 'must not wait for the stall or the timeout');
      assert.match(ctx.out(), /holysheep\tkey\tpass/);
      assert.match(ctx.err(), /interrupted/);
    } finally {
      await w.close();
    }
  });
});

describe('holy verify: odd servers', () => {
  test('200 with JSON that is not a model list, and 200 with plain text, are told apart', async () => {
    const http = await import('node:http');
    const { tempConfig } = await import('./setup.js');
    const srv = http.createServer((req, res) => {
      if (req.url?.startsWith('/a/')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list"}');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const cfg = tempConfig({ a: `http://127.0.0.1:${port}/a/v1`, b: `http://127.0.0.1:${port}/b/v1` });
    try {
      const r = await run(['verify', '--config', cfg.file, '--provider', 'a', '--provider', 'b', '--json'], { env: { A_API_KEY: 'hs-test-1111111111111111', B_API_KEY: 'hs-test-1111111111111111' } });
      assert.equal(r.code, 3);
      const { by } = checksOf(r.stdout);
      assert.equal(by.get('a/models')!.detail, '200 not a model list');
      assert.match(by.get('a/models')!.cause!, /JSON that is not a model list/);
      assert.equal(by.get('b/models')!.detail, '200 not JSON');
      assert.match(by.get('b/models')!.cause!, /text\/plain instead of JSON/);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
      cfg.cleanup();
    }
  });
});
