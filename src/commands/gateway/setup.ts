/** Loading what the gateway runs on: the `gateway` section of holy.config.json, the providers it routes to (with keys), the tenant keys. */
import { hostname } from 'node:os';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { GlobalOpts } from '../../options.js';
import { loadProviders, type Providers } from '../../adapters/profiles.js';
import { checkProfileURL } from '../../core/profiles.js';
import { parseGatewayConfig } from '../../core/gateway/config.js';
import type { GatewayConfig } from '../../core/gateway/types.js';
import { isLoopback } from '../../core/loopback.js';
import { openTenantKeys } from '../../gateway/store/keys.js';
import { upstreamFor, type Upstream } from '../../gateway/upstream.js';
import type { GatewaySetup } from '../../gateway/server.js';

export interface LoadedConfig {
  /** As shown in messages (relative to the working folder when inside it). */
  label: string;
  path: string;
  config: GatewayConfig;
  ledgerPath: string;
  statePath: string;
  providers: Providers;
}

/** The config file holy reads: --config, else ./holy.config.json; the gateway cannot run without one. */
function configPath(ctx: Ctx, g: GlobalOpts): string {
  if (g.config) return resolve(ctx.cwd, g.config);
  const p = resolve(ctx.cwd, 'holy.config.json');
  if (existsSync(p)) return p;
  throw new UsageError(
    'holy gateway needs a config file with a "gateway" section, and there is no ./holy.config.json here.',
    'create holy.config.json (docs/gateway.md has a complete example), or point to one with --config FILE.',
  );
}

/** Read and check the config (providers through the usual profile loader, then the gateway section). */
export async function loadGatewayConfig(ctx: Ctx, g: GlobalOpts): Promise<LoadedConfig> {
  const path = configPath(ctx, g);
  const rel = relative(ctx.cwd, path);
  const label = rel && !rel.startsWith('..') ? rel : path;
  const providers = await loadProviders(ctx, { ...g, config: path });
  const doc = JSON.parse(await readFile(path, 'utf8')) as unknown; // loadProviders has read and parsed it already
  const config = parseGatewayConfig(doc, label, [...providers.providers.keys()]);
  const flag = (g as GlobalOpts & { store?: string }).store;
  if (flag !== undefined) {
    const url = flag.trim();
    if (url === 'embedded') delete config.store;
    else if (/^rediss?:\/\/\S+$/i.test(url)) config.store = url;
    else throw new UsageError(`--store ${JSON.stringify(flag)}: not a store URL; give redis://HOST:PORT/DB (or rediss://…), or "embedded" for this process's own memory.`);
  }
  const dir = dirname(path);
  // One config file for every replica: ${HOSTNAME} in a ledger/state path becomes this machine's name.
  const host = (ctx.env.HOSTNAME ?? '').trim() || hostname();
  const local = (p: string) => resolve(dir, p.replaceAll('${HOSTNAME}', host.replace(/[^A-Za-z0-9._-]/g, '_')));
  return { label, path, config, ledgerPath: local(config.ledger), statePath: local(config.state), providers };
}

/** Every provider the route may send to. */
function routed(c: GatewayConfig): string[] {
  const r = c.route;
  return [...new Set([r.primary, r.fallback, r.canary?.provider, r.shadow?.provider].filter((x): x is string => !!x))];
}

/** The providers with their keys: a provider with no key is refused unless it is on this machine (a local server may need none). */
export async function loadUpstreams(l: LoadedConfig, warn: (msg: string) => void): Promise<Map<string, Upstream>> {
  const ups = new Map<string, Upstream>();
  for (const name of routed(l.config)) {
    const p = checkProfileURL(l.providers.providers.get(name)!);
    const k = await l.providers.key(p);
    const key = k.raw?.trim();
    let host = '';
    try {
      host = new URL(p.baseURL.trim()).hostname;
    } catch {
      throw new UsageError(`the base URL of ${name} (${p.baseURLSource}) is not a URL: ${JSON.stringify(p.baseURL)}; fix it in ${l.label}.`);
    }
    if (!key) {
      if (!isLoopback(host.replace(/^\[|\]$/g, ''))) {
        throw new UsageError(
          `${l.label}: gateway.route sends requests to ${name}, but its key is not set (${k.source}).`,
          p.apiKeyEnv ? `export ${p.apiKeyEnv}=… (or use --env-file / --key-file ${name}=PATH) before starting the gateway.` : `fix providers.${name}.apiKeyFile in ${l.label}.`,
        );
      }
      warn(`holy gateway: ${name} (${p.baseURL}) has no key (${k.source}); requests go to it without one.`);
    }
    ups.set(name, upstreamFor({ name, baseURL: p.baseURL, ...(key ? { key } : {}), headers: p.headers, timeoutMs: p.timeoutMs, ...(p.maxResponseBytes ? { maxResponseBytes: p.maxResponseBytes } : {}), untrusted: l.providers.untrusted }));
  }
  return ups;
}

/** Everything a start or a reload needs. */
export async function loadSetup(ctx: Ctx, g: GlobalOpts, warn: (msg: string) => void): Promise<{ loaded: LoadedConfig; setup: GatewaySetup }> {
  const loaded = await loadGatewayConfig(ctx, g);
  const upstreams = await loadUpstreams(loaded, warn);
  const store = await openTenantKeys(loaded.config, loaded.statePath);
  try {
    return { loaded, setup: { config: loaded.config, upstreams, keys: await store.index() } };
  } finally {
    await store.close();
  }
}
