/**
 * The gateway's HTTP server (docs/gateway.md): node:http on loopback by default, OpenAI's surface
 * (/v1/chat/completions, /v1/embeddings, /v1/models), /healthz and /metrics; tenant auth; the body cap
 * and slow-client timeouts; reload (SIGHUP) and drain (SIGTERM). The parts it calls — quotas,
 * scheduler, breakers, ledger, metrics, cutover — are the interfaces of contract.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { PriceTable } from '../core/prices.js';
import { allows, tenantLimits } from '../core/gateway/config.js';
import type { GatewayConfig, Ledger } from '../core/gateway/types.js';
import type { KeyIndex } from '../adapters/gateway-keys.js';
import type { Cutover, GatewayStore, Scheduler, Breakers, Quotas } from './contract.js';
import { createQuotas } from './quota.js';
import { createScheduler } from './scheduler.js';
import { createBreakers } from './breaker.js';
import type { GatewayMetrics } from './metrics.js';
import { E, sendError, type ApiError } from './errors.js';
import { proxy, type Live, type Parts } from './proxy.js';
import { fetchText, type Upstream } from './upstream.js';
import type { Log } from './log.js';

export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

/** What a reload swaps: the parsed config, the providers it routes to, and the tenant keys. */
export interface GatewaySetup {
  config: GatewayConfig;
  upstreams: Map<string, Upstream>;
  keys: KeyIndex;
}

export interface GatewayOptions {
  setup: GatewaySetup;
  host?: string;
  /** 0 = a free port. */
  port?: number;
  maxBodyBytes?: number;
  /** A client must send its request headers within this (slow-loris); default 10 s. */
  headersTimeoutMs?: number;
  /** …and its whole request within this; default 60 s. */
  requestTimeoutMs?: number;
  dispatcher: Dispatcher;
  store: GatewayStore;
  ledger: Ledger;
  metrics: GatewayMetrics;
  cutover?: Cutover;
  prices: PriceTable;
  log: Log;
  /** Bearer token for /admin/* (cutover); without it no request is an admin's. */
  adminKey?: string;
  clock(): number;
  now(): number;
  /** Build the scheduler / breakers (tests may pass their own; default: the contract's factories). */
  makeScheduler?(route: GatewayConfig['route']): Scheduler;
  makeBreakers?(store: GatewayStore, route: GatewayConfig['route']): Breakers;
  /** The quotas (default: createQuotas(store)). */
  quotas?: Quotas;
}

export interface Gateway {
  url: string;
  host: string;
  port: number;
  /** Swap config, providers and keys; connections and requests in flight are untouched. */
  reload(setup: GatewaySetup): void;
  /** Requests being served right now. */
  inFlight(): number;
  /** Stop accepting, let requests in flight finish for up to drainMs, then close connections, the ledger and the cutover. */
  close(drainMs?: number): Promise<{ drained: boolean; cut: number }>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

// Request ids: a random 64-bit prefix per process (replicas sharing a ledger never collide) and a counter.
const ID_PREFIX = randomBytes(8).toString('hex');
let idCounter = 0;
function requestId(): string {
  idCounter = (idCounter + 1) % 0xffffffffffff;
  return 'req_' + ID_PREFIX + idCounter.toString(16).padStart(8, '0');
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** Read the body up to `max` bytes; 'too_large' as soon as it is known to be bigger. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too_large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        resolve('too_large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', () => resolve('aborted'));
    req.on('aborted', () => resolve('aborted'));
  });
}

/** A refusal before the request reaches the proxy: the error body with the request id (close: drop the connection after). */
function fail(res: ServerResponse, rid: string, e: ApiError, close = false): void {
  sendError(res, e, { 'x-request-id': rid }, close);
}

const ROUTES: Record<string, string> = {
  '/v1/chat/completions': 'POST',
  '/v1/embeddings': 'POST',
  '/v1/models': 'GET',
  '/healthz': 'GET',
  '/metrics': 'GET',
};

/** Start the gateway; resolves once it listens. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const makeScheduler = o.makeScheduler ?? ((r) => createScheduler({ maxInFlight: r.maxInFlight, queueTimeoutMs: r.queueTimeoutMs, clock: o.clock }));
  const makeBreakers =
    o.makeBreakers ??
    ((s, r) =>
      createBreakers(s, {
        failures: r.breaker?.failures ?? 5,
        coolDownMs: r.breaker?.coolDownMs ?? 30_000,
        now: o.now,
        onChange: (provider, from, to) => {
          o.metrics.breakerChanged?.(provider, from, to);
          o.log(to === 'open' ? 'warn' : 'info', 'breaker', { provider, from, to });
        },
        onError: (provider, err) => o.log('error', 'breaker_store_failed', { provider, error: (err as Error)?.message ?? String(err) }),
      }));
  let setup = o.setup;
  let live: Live = { config: setup.config, upstreams: setup.upstreams, scheduler: makeScheduler(setup.config.route), breakers: makeBreakers(o.store, setup.config.route) };
  const parts: Parts = { quotas: o.quotas ?? createQuotas(o.store), store: o.store, ledger: o.ledger, metrics: o.metrics, ...(o.cutover ? { cutover: o.cutover } : {}), dispatcher: o.dispatcher, prices: o.prices, log: o.log, clock: o.clock, now: o.now };
  // Metrics read live values at scrape time through views of whatever the current (reloaded) parts are.
  o.metrics.setTenants?.(Object.keys(setup.config.tenants));
  o.metrics.watch?.({
    providers: () => live.upstreams.keys(),
    breakers: { allow: (p) => live.breakers.allow(p), success: (p) => live.breakers.success(p), failure: (p) => live.breakers.failure(p), state: (p) => live.breakers.state(p) },
    scheduler: { acquire: (p, t, w, sig) => live.scheduler.acquire(p, t, w, sig), queued: (p) => live.scheduler.queued(p), inFlight: (p) => live.scheduler.inFlight(p) },
    store: o.store,
  });
  const modelCache = new Map<string, { at: number; ids: string[] }>();
  let active = 0;
  const handling = new Set<Promise<void>>();
  let closing = false;
  const idleWaiters: (() => void)[] = [];
  const adminHash = o.adminKey ? createHash('sha256').update(o.adminKey).digest() : undefined;

  // Only the admin key makes a request an admin's: behind a reverse proxy every client comes from loopback.
  const isAdmin = (req: IncomingMessage): boolean => {
    const t = bearer(req);
    return !!adminHash && !!t && timingSafeEqual(createHash('sha256').update(t).digest(), adminHash);
  };

  async function models(res: ServerResponse, rid: string, tenant: string): Promise<void> {
    const limits = tenantLimits(live.config, tenant)!;
    let ids: string[];
    if (limits.models.includes('*')) {
      const up = live.upstreams.get(live.config.route.primary)!;
      const cached = modelCache.get(up.name);
      if (cached && o.clock() - cached.at < 60_000) ids = cached.ids;
      else {
        try {
          const r = await fetchText(o.dispatcher, up, '/models');
          if (r.status >= 400) throw new Error(`HTTP ${r.status}`);
          const data = (JSON.parse(r.text) as { data?: { id?: unknown }[] }).data;
          ids = Array.isArray(data) ? data.map((m) => m?.id).filter((x): x is string => typeof x === 'string').map((x) => up.untrusted.line(x, 200)) : [];
          modelCache.set(up.name, { at: o.clock(), ids });
        } catch (e) {
          o.log('warn', 'models_failed', { requestId: rid, provider: up.name, error: up.untrusted.line((e as Error).message, 200) });
          return sendError(res, E.upstream(502, `The model list of ${up.name} could not be read; retry in a moment.`), { 'x-request-id': rid });
        }
      }
      for (const alias of Object.keys(live.config.modelMap)) if (!ids.includes(alias)) ids = [...ids, alias];
    } else {
      ids = [...limits.models];
      for (const [alias, target] of Object.entries(live.config.modelMap)) if (!ids.includes(alias) && allows(limits.models, target)) ids.push(alias);
    }
    const body = JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'holy-gateway' })) });
    res.writeHead(200, { ...JSON_HEADERS, 'x-request-id': rid });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = o.clock();
    const startedAt = o.now();
    const rid = requestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);

    if (path.startsWith('/admin/') && parts.cutover?.admin) {
      let body: unknown;
      if (req.method === 'POST') {
        const raw = await readBody(req, maxBody);
        if (raw === 'too_large') return fail(res, rid, E.tooLarge(maxBody), true);
        if (raw === 'aborted') return;
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch (e) {
          return fail(res, rid, E.badJson((e as Error).message));
        }
      }
      const r = await parts.cutover.admin(req.method ?? 'GET', path, body, isAdmin(req));
      if (r) {
        res.writeHead(r.status, { ...JSON_HEADERS, 'x-request-id': rid });
        res.end(JSON.stringify(r.body));
        return;
      }
    }
    const method = ROUTES[path];
    if (!method) return fail(res, rid, E.notFound(path));
    if (req.method !== method) {
      res.setHeader('allow', method);
      return fail(res, rid, E.method(req.method ?? '?', path, method));
    }
    if (path === '/healthz') {
      const body = JSON.stringify({ ok: !closing && o.store.healthy(), closing, inFlight: active, ledger: { written: o.ledger.written(), lost: o.ledger.lost() } });
      res.writeHead(closing ? 503 : 200, { ...JSON_HEADERS, 'x-request-id': rid });
      return void res.end(body);
    }
    if (path === '/metrics') {
      // The ledger's running totals (gauge() on a counter reports its total); the rest is read by metrics.watch.
      o.metrics.gauge('ledger_rows', o.ledger.written());
      o.metrics.gauge('ledger_lost_rows', o.ledger.lost());
      const text = await o.metrics.text();
      res.writeHead(200, { 'content-type': o.metrics.contentType });
      return void res.end(text);
    }

    // Tenant auth: the client's key is checked and then forgotten; it is never forwarded.
    const key = bearer(req);
    const tenant = key ? setup.keys.tenantOf(key) : undefined;
    const limits = tenant ? tenantLimits(live.config, tenant) : undefined;
    if (!tenant || !limits) {
      // A key for a tenant no longer in the config is as good as revoked.
      if (tenant) o.log('warn', 'tenant_not_configured', { requestId: rid, tenant });
      return fail(res, rid, E.invalidKey(), req.method === 'POST');
    }
    if (closing) return fail(res, rid, E.shuttingDown(), true);
    if (path === '/v1/models') return models(res, rid, tenant);

    const raw = await readBody(req, maxBody);
    if (raw === 'aborted') return;
    if (raw === 'too_large') {
      o.log('warn', 'body_too_large', { requestId: rid, tenant, max: maxBody });
      return fail(res, rid, E.tooLarge(maxBody), true);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return fail(res, rid, E.badJson((e as Error).message.slice(0, 200)));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(res, rid, E.badRequest('The request body must be a JSON object.', null, 'invalid_body'));
    await proxy(live, parts, req, res, { rid, t0, startedAt, tenant, limits, endpoint: path === '/v1/embeddings' ? 'embeddings' : 'chat', body: body as Record<string, unknown>, bytes: raw.length });
  }

  const server: Server = createServer(
    {
      headersTimeout: o.headersTimeoutMs ?? 10_000,
      requestTimeout: o.requestTimeoutMs ?? 60_000,
      // Node checks those timeouts on this interval (default 30 s): often enough to make them mean something.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor((o.headersTimeoutMs ?? 10_000) / 2))),
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      active++;
      res.once('close', () => {
        active--;
        if (active === 0) for (const w of idleWaiters.splice(0)) w();
      });
      const h = handle(req, res).catch((err: unknown) => {
        o.log('error', 'handler_failed', { error: (err as Error)?.message ?? String(err) });
        if (!res.headersSent) sendError(res, E.internal());
        else if (!res.writableEnded) res.end();
      });
      // A handler may still be settling after its response closed (a store call timing out): its
      // bookkeeping (the ledger row) is scheduled when it returns, so close() waits for it.
      handling.add(h);
      void h.finally(() => handling.delete(h));
    },
  );
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    o.log('warn', 'client_error', { code: err.code ?? 'unknown', error: err.message.slice(0, 200) });
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: { message: status === 408 ? 'The request was not received in time.' : 'Bad request.', type: 'invalid_request_error', param: null, code: status === 408 ? 'request_timeout' : 'bad_request' } });
    socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });

  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shown}:${port}/v1`,
    host,
    port,
    reload(next) {
      const prev = live.config.route;
      const r = next.config.route;
      const scheduler = prev.maxInFlight === r.maxInFlight && prev.queueTimeoutMs === r.queueTimeoutMs ? live.scheduler : makeScheduler(r);
      const breakers = JSON.stringify(prev.breaker) === JSON.stringify(r.breaker) ? live.breakers : makeBreakers(o.store, r);
      setup = next;
      live = { config: next.config, upstreams: next.upstreams, scheduler, breakers };
      o.metrics.setTenants?.(Object.keys(next.config.tenants));
      modelCache.clear();
    },
    inFlight: () => active,
    async close(drainMs = 10_000) {
      closing = true;
      server.close();
      server.closeIdleConnections();
      let drained = active === 0;
      if (!drained) {
        drained = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), drainMs);
          idleWaiters.push(() => {
            clearTimeout(t);
            resolve(true);
          });
          // Keep-alive connections that turn idle during the drain are closed too.
          const tick = setInterval(() => server.closeIdleConnections(), 100);
          idleWaiters.push(() => clearInterval(tick));
          setTimeout(() => clearInterval(tick), drainMs).unref();
        });
      }
      const cut = active;
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      // Handlers still settling (bounded: the store's own timeout is 1 s), then their bookkeeping, which
      // runs on setImmediate after each answer: let the last rows reach the ledger.
      if (handling.size) await Promise.race([Promise.allSettled([...handling]), new Promise((r) => setTimeout(r, Math.max(2_000, drainMs)).unref())]);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (parts.cutover) await parts.cutover.close().catch(() => {});
      await o.ledger.close();
      return { drained, cut };
    },
  };
}
