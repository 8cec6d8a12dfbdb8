/** A gateway under test: mock upstreams, a config file in a temp folder, `holy gateway` run in-process, tenant keys. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startMock, type MockOptions, type MockServer } from '../../src/mock/server.js';
import { parseFaultSpec } from '../../src/mock/faults.js';
import { main } from '../../src/cli.js';
import { fakeCtx, runHoly, type FakeCtx } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';
import { createHash } from 'node:crypto';
import { Agent } from 'undici';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/server.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { createMetrics } from '../../src/gateway/metrics.js';
import { makeLog } from '../../src/gateway/log.js';
import { builtinPriceTable } from '../../src/core/prices.js';
import { KeyIndex, newTenantKey, keyPrefix } from '../../src/adapters/gateway-keys.js';
import { parseGatewayConfig } from '../../src/core/gateway/config.js';
import { upstreamFor } from '../../src/gateway/upstream.js';
import { Untrusted } from '../../src/core/untrusted.js';

export { parseFaultSpec };

/** Upstream keys built at run time (no key-shaped literal in the tree). */
export const UP_KEY_A = ['up', 'a', 'key', '0123456789abcdef'].join('-');
export const UP_KEY_B = ['up', 'b', 'key', 'fedcba9876543210'].join('-');

export interface Harness {
  dir: string;
  cfgPath: string;
  a: MockServer;
  b: MockServer;
  env: Record<string, string>;
  /** Write the config (gateway section merged over the default). */
  writeConfig(gateway?: Record<string, unknown>, providers?: Record<string, unknown>): void;
  keyFor(tenant: string): Promise<string>;
  close(): Promise<void>;
}

export function defaultGateway(): Record<string, unknown> {
  return {
    plans: {
      free: { rpm: 1000, tpm: 10_000_000, models: ['gpt-4o-mini'], tools: [], maxTokens: 64, weight: 1 },
      pro: { rpm: 1000, tpm: 10_000_000, models: ['*'], tools: ['*'], weight: 4 },
      fn: { rpm: 1000, tpm: 10_000_000, models: ['*'], tools: ['lookup'] },
    },
    tenants: { acme: { plan: 'pro' }, globex: { plan: 'free' }, initech: { plan: 'fn' } },
    route: { primary: 'a', fallback: 'b', maxInFlight: 16 },
    modelMap: { 'gpt-4.5': 'gpt-4o' },
  };
}

export async function harness(o: { a?: MockOptions; b?: MockOptions } = {}): Promise<Harness> {
  const dir = tempDir('holy-gw-');
  const a = await startMock({ key: UP_KEY_A, label: 'mock-a', ...o.a });
  const b = await startMock({ key: UP_KEY_B, label: 'mock-b', ...o.b });
  const cfgPath = join(dir, 'holy.config.json');
  const env = { A_API_KEY: UP_KEY_A, B_API_KEY: UP_KEY_B };
  const h: Harness = {
    dir,
    cfgPath,
    a,
    b,
    env,
    writeConfig(gateway = defaultGateway(), providers = { a: { baseURL: a.url }, b: { baseURL: b.url } }) {
      writeFileSync(cfgPath, JSON.stringify({ providers, gateway }, null, 2));
    },
    async keyFor(tenant) {
      const r = await runHoly(['--json', '--config', cfgPath, 'gateway', 'keys', 'add', tenant], { env, cwd: dir });
      if (r.code !== 0) throw new Error(`keys add failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { key: string }).key;
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
    },
  };
  h.writeConfig();
  return h;
}

export interface Running {
  url: string;
  ctx: FakeCtx;
  /** Trigger a SIGHUP reload (as bin/holy.js would deliver it). */
  hangup(): void;
  /** Ctrl-C: resolves with the exit code once the gateway drained and stopped. */
  stop(): Promise<number>;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  client(key: string): OpenAI;
}

/** Run `holy gateway` in-process (port 0) and wait for its URL on stdout. */
export async function runGateway(h: Harness, extra: string[] = []): Promise<Running> {
  const ctx = fakeCtx({ env: h.env, cwd: h.dir });
  let hup: (() => void) | undefined;
  ctx.onHangup = (fn) => {
    hup = fn;
    return () => (hup = undefined);
  };
  const done = main(['--config', h.cfgPath, 'gateway', '--port', '0', ...extra], ctx);
  let url = '';
  for (let i = 0; i < 400 && !url; i++) {
    const line = ctx.out().split('\n')[0] ?? '';
    if (/^http:\/\/.*\/v1$/.test(line)) url = line;
    else {
      const early = await Promise.race([done, new Promise((r) => setTimeout(() => r(undefined), 25))]);
      if (typeof early === 'number') throw new Error(`holy gateway exited ${early}: ${ctx.err()}`);
    }
  }
  if (!url) throw new Error(`holy gateway printed no URL: ${ctx.err()}`);
  return {
    url,
    ctx,
    hangup: () => hup?.(),
    stop: async () => {
      ctx.abort();
      return done;
    },
    logs: () =>
      ctx
        .err()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    client: (key) => new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0 }),
  };
}

/** Wait until `cond` holds (polling; no wall-clock assertion). */
export async function until(cond: () => boolean, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
}

/** The server alone (no command): parts injectable; one key per tenant; log lines collected. */
export async function direct(
  h: Harness,
  o: Partial<GatewayOptions> & { gateway?: Record<string, unknown> } = {},
): Promise<{ gw: Gateway; keys: Record<string, string>; lines: string[]; logs(): Record<string, unknown>[]; client(tenant: string): OpenAI; close(): Promise<unknown> }> {
  const config = parseGatewayConfig({ gateway: o.gateway ?? defaultGateway() }, 'test.json', ['a', 'b']);
  const u = new Untrusted([h.env.A_API_KEY, h.env.B_API_KEY]);
  const keys: Record<string, string> = {};
  const rows = Object.keys(config.tenants).map((tenant) => {
    const k = (keys[tenant] = newTenantKey());
    return { tenant, prefix: keyPrefix(k), hash: createHash('sha256').update(k).digest() };
  });
  const lines: string[] = [];
  const dispatcher = new Agent();
  const { gateway: _g, ...rest } = o;
  void _g;
  const gw = await startGateway({
    setup: {
      config,
      upstreams: new Map([
        ['a', upstreamFor({ name: 'a', baseURL: h.a.url, key: h.env.A_API_KEY, headers: {}, timeoutMs: 5000, untrusted: u })],
        ['b', upstreamFor({ name: 'b', baseURL: h.b.url, key: h.env.B_API_KEY, headers: {}, timeoutMs: 5000, untrusted: u })],
      ]),
      keys: new KeyIndex(rows),
    },
    dispatcher,
    store: embeddedStore(),
    ledger: { add: () => {}, written: () => 0, lost: () => 0, close: async () => {} },
    metrics: createMetrics(),
    prices: builtinPriceTable(),
    log: makeLog((l) => void lines.push(l), 'debug'),
    clock: () => performance.now(),
    now: () => Date.now(),
    ...rest,
  });
  return {
    gw,
    keys,
    lines,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    client: (tenant) => new OpenAI({ apiKey: keys[tenant]!, baseURL: gw.url, maxRetries: 0 }),
    close: async () => {
      await gw.close(1000);
      await dispatcher.close();
    },
  };
}
