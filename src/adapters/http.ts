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

/** A proxy given without a scheme (HTTPS_PROXY=user:pass@host:3128) is an http:// proxy, as curl assumes. */
function proxyURL(v: string | undefined): string | undefined {
  if (!v?.trim()) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim()) ? v.trim() : `http://${v.trim()}`;
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

/** One dispatcher per command run; close() it when done so the process can exit. */
export function makeHttp(ctx: Ctx, opts: { connections?: number; connectTimeoutMs?: number; keepAliveTimeoutMs?: number } = {}): HttpSetup {
  const httpsProxy = proxyURL(envGet(ctx, 'HTTPS_PROXY'));
  const httpProxy = proxyURL(envGet(ctx, 'HTTP_PROXY'));
  const noProxy = envGet(ctx, 'NO_PROXY');
  const common = {
    connections: opts.connections ?? null,
    connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4_000,
  };
  const dispatcher: Dispatcher =
    httpsProxy || httpProxy
      ? new (requireAtRunTime('undici') as typeof import('undici')).EnvHttpProxyAgent({ ...common, httpProxy, httpsProxy, noProxy: [noProxy, 'localhost', '127.0.0.1', '::1'].filter(Boolean).join(',') })
      : new Agent(common);
  return {
    dispatcher,
    proxyFor(target: string) {
      let u: URL;
      try {
        u = new URL(target);
      } catch {
        return undefined;
      }
      if (noProxyMatches(noProxy, u)) return undefined;
      const p = u.protocol === 'https:' ? (httpsProxy ?? httpProxy) : httpProxy;
      if (!p) return undefined;
      try {
        const pu = new URL(p);
        if (pu.password) pu.password = '***';
        else if (pu.username) pu.username = '***'; // a user part alone is the credential (http://TOKEN@proxy:8080)
        return redact(pu.toString());
      } catch {
        return redact(p);
      }
    },
    close: () => dispatcher.close(),
  };
}
