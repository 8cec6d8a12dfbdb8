/** The HTTP dispatcher: undici, proxy-aware (HTTPS_PROXY/HTTP_PROXY/NO_PROXY read from Ctx.env). */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
// undici's index loads every feature (mock, cache, websocket, …) — in the esbuild bundle a 1.1 MB
// chunk — while a direct connection needs only the Agent: import it by path (bundled, small).
// The proxy agents rely on methods the index installs on Dispatcher.prototype (connect() for
// CONNECT tunnels), so with a proxy the whole package is required at run time from node_modules.
import Agent from 'undici/lib/dispatcher/agent.js';
const requireAtRunTime = createRequire(import.meta.url);
import type { Ctx } from '../context.js';
import { redact } from '../core/redact.js';
import { isLoopback } from '../core/loopback.js';

export interface HttpSetup {
  dispatcher: Dispatcher;
  /** The proxy URL that applies to `target` (credentials masked), or undefined for a direct connection. */
  proxyFor(target: string): string | undefined;
  close(): Promise<void>;
}

function envGet(ctx: Ctx, name: string): string | undefined {
  return ctx.env[name] ?? ctx.env[name.toLowerCase()] ?? undefined;
}

function noProxyMatches(noProxy: string | undefined, url: URL): boolean {
  if (isLoopback(url.hostname)) return true; // a local simulator is never reached through a proxy
  if (!noProxy) return false;
  if (noProxy.trim() === '*') return true;
  const host = url.hostname.toLowerCase();
  return noProxy.split(/[,\s]+/).filter(Boolean).some((entry) => {
    const [h, port] = entry.toLowerCase().split(':');
    if (port && port !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) return false;
    const bare = h!.replace(/^\*?\./, '');
    return host === bare || host.endsWith('.' + bare);
  });
}

/** Where a request to `target` goes: the proxy URL to use (as configured), or undefined for a direct connection. */
function routeFor(env: { httpsProxy?: string; httpProxy?: string; noProxy?: string }, target: string | URL): string | undefined {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return undefined;
  }
  if (noProxyMatches(env.noProxy, u)) return undefined;
  return (u.protocol === 'https:' ? (env.httpsProxy ?? env.httpProxy) : env.httpProxy) || undefined;
}

function maskProxy(p: string): string {
  try {
    const pu = new URL(p);
    if (pu.password) pu.password = '***';
    else if (pu.username) pu.username = '***'; // a user part alone is the credential (http://TOKEN@proxy:8080)
    return redact(pu.toString());
  } catch {
    return redact(p);
  }
}

/**
 * A dispatcher that sends each request the way routeFor() says: direct, or through the proxy it names. Hand-written
 * rather than undici's EnvHttpProxyAgent so that what holy shows (proxyFor) and where a request really goes are one
 * decision: EnvHttpProxyAgent parses NO_PROXY its own way and sent http://[::1]:PORT through the proxy while holy
 * printed "direct".
 */
function routingDispatcher(undici: typeof import('undici'), route: (origin: string | URL) => string | undefined, common: object): Dispatcher {
  const direct = new undici.Agent(common);
  const proxies = new Map<string, Dispatcher>();
  const pick = (origin: string | URL | undefined): Dispatcher => {
    const p = origin === undefined ? undefined : route(origin);
    if (!p) return direct;
    let d = proxies.get(p);
    if (!d) proxies.set(p, (d = new undici.ProxyAgent({ ...common, uri: p })));
    return d;
  };
  const all = () => [direct, ...proxies.values()];
  class Routing extends undici.Dispatcher {
    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      return pick(opts.origin as string | URL | undefined).dispatch(opts, handler);
    }
    // The base class overloads close/destroy with callbacks; holy only awaits the promise forms.
    override close(): Promise<void>;
    override close(cb: () => void): void;
    override close(cb?: () => void): Promise<void> | void {
      const p = Promise.all(all().map((d) => d.close())).then(() => undefined);
      if (cb) void p.then(cb);
      else return p;
    }
    override destroy(): Promise<void>;
    override destroy(err: Error | null): Promise<void>;
    override destroy(cb: () => void): void;
    override destroy(err: Error | null, cb: () => void): void;
    override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
      const err = typeof a === 'function' ? null : (a ?? null);
      const cb = typeof a === 'function' ? a : b;
      const p = Promise.all(all().map((d) => d.destroy(err))).then(() => undefined);
      if (cb) void p.then(cb);
      else return p;
    }
  }
  return new Routing();
}

/** One dispatcher per command run; close() it when done so the process can exit. */
export function makeHttp(ctx: Ctx, opts: { connections?: number; connectTimeoutMs?: number; keepAliveTimeoutMs?: number } = {}): HttpSetup {
  const proxyEnv = { httpsProxy: envGet(ctx, 'HTTPS_PROXY'), httpProxy: envGet(ctx, 'HTTP_PROXY'), noProxy: envGet(ctx, 'NO_PROXY') };
  const common = {
    connections: opts.connections ?? null,
    connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4_000,
  };
  const route = (target: string | URL) => routeFor(proxyEnv, target);
  const dispatcher: Dispatcher =
    proxyEnv.httpsProxy || proxyEnv.httpProxy ? routingDispatcher(requireAtRunTime('undici') as typeof import('undici'), route, common) : new Agent(common);
  return {
    dispatcher,
    proxyFor(target: string) {
      const p = route(target);
      return p === undefined ? undefined : maskProxy(p);
    },
    close: () => dispatcher.close(),
  };
}
