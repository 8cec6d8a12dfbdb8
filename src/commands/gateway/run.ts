/** `holy gateway` run: config → parts → a listening gateway; prints its URL, reloads on SIGHUP, drains on Ctrl-C/SIGTERM. */
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { numberFlag } from '../../core/flags.js';
import { isLoopback } from '../../core/loopback.js';
import { builtinPriceTable } from '../../core/prices.js';
import type { Invocation } from '../kit.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { makeHttp } from '../../adapters/http.js';
import { openLedger } from '../../adapters/ledger/index.js';
import { openStore, type OpenedStore } from '../../gateway/store/index.js';
import { redisKeyStore } from '../../gateway/store/keys.js';
import { createMetrics } from '../../gateway/metrics.js';
import { DEFAULT_MAX_BODY, startGateway, type Gateway } from '../../gateway/server.js';
import { makeLog, type Log } from '../../gateway/log.js';
import type { Cutover, GatewayStore } from '../../gateway/contract.js';
import type { GatewayConfig } from '../../core/gateway/types.js';
import { loadSetup } from './setup.js';
import { checkCutoverFlags, gatewayCutover, type CutoverFlags, type GatewayCutoverHandle } from './route-cutover.js';

export interface GatewayFlags extends CutoverFlags {
  port: string;
  host: string;
  drain: string;
  maxBody?: string;
  clientTimeout: string;
}

export interface GatewaySummary {
  url: string;
  drained: boolean;
  cut: number;
  ledger: { written: number; lost: number };
}

/** Hooks for tests and for the parts other helpers add (store choice, cutover). */
export interface GatewayHooks {
  /** Called once the gateway listens. */
  started?(gw: Gateway): void;
  /** The shared store for this config (default: openStore: embedded, or Redis when gateway.store is set). */
  store?(cfg: GatewayConfig, log: Log): Promise<GatewayStore> | GatewayStore;
  /** A cutover for this config (default: none). */
  cutover?(cfg: GatewayConfig, log: Log): Promise<Cutover | undefined> | Cutover | undefined;
}

/** "4194304", "4MiB", "512KiB", "4MB", "1k" → bytes. */
export function bytesFlag(v: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(v);
  const unit = (m?.[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  const n = m ? Math.floor(Number(m[1]) * mult) : NaN;
  if (!Number.isSafeInteger(n) || n < 1024 || n > 1024 ** 3) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a size from 1KiB to 1GiB, in bytes or with KiB/MiB, e.g. ${flag} 4MiB.`);
  return n;
}

export function gatewayOptions(flags: GatewayFlags): { port: number; host: string; drainMs: number; maxBody: number; clientTimeoutMs: number } {
  return {
    clientTimeoutMs: numberFlag(flags.clientTimeout ?? '10', '--client-timeout', { positive: true, max: 3600, example: '10' }) * 1000,
    port: numberFlag(flags.port, '--port', { int: true, min: 0, max: 65535, example: '8787' }),
    host: flags.host.trim(),
    drainMs: numberFlag(flags.drain, '--drain', { min: 0, max: 3600, example: '10' }) * 1000,
    maxBody: flags.maxBody === undefined ? DEFAULT_MAX_BODY : bytesFlag(flags.maxBody, '--max-body'),
  };
}

/** Start the gateway, print its URL and serve until ctx.signal aborts; then drain, flush and return normally (exit 0). */
export async function run(flags: GatewayFlags, ctx: Ctx, g: GlobalOpts, out: Out, hooks: GatewayHooks = {}): Promise<GatewaySummary> {
  const o = gatewayOptions(flags);
  if (!o.host) throw new UsageError('--host is empty; give an address to bind, e.g. --host 127.0.0.1.');
  checkCutoverFlags(ctx, flags);
  // Batched: the per-request info lines go out once per event-loop turn, not one write each (log.ts).
  const log = makeLog((s) => void ctx.stderr.write(s), g.quiet ? 'warn' : g.verbose ? 'debug' : 'info', ctx.now, { batch: true });
  const { loaded, setup } = await loadSetup(ctx, g, (m) => log('warn', 'provider_without_key', { message: m }));
  const metrics = createMetrics({ tenants: Object.keys(loaded.config.tenants) });
  const ledger = await openLedger(loaded.ledgerPath, {
    onLoss: (n, why) => {
      // Counted by the ledger itself (lost(), exported on /metrics); said loudly here.
      log('error', 'ledger_rows_lost', { rows: n, why, ledger: loaded.ledgerPath, message: 'LEDGER ROWS LOST: requests are still served, but these are not billed' });
    },
  });
  let store: GatewayStore;
  try {
    store = hooks.store ? await hooks.store(loaded.config, log) : await openStore(loaded.config, { log, metrics, clock: ctx.now });
  } catch (e) {
    await ledger.close(); // Redis unreachable at start-up: exit 2 (UsageError), with the ledger flushed and closed
    throw e;
  }
  // The cutover (canary, shadow, --record, /admin/route): gateway/cutover, docs/cutover.md.
  let cut: GatewayCutoverHandle | undefined;
  const cutover = hooks.cutover ? await hooks.cutover(loaded.config, log) : (cut = await gatewayCutover({ ctx, flags, configPath: loaded.path, setup, store, log, metrics, prices: builtinPriceTable() }).catch(async (e: unknown) => {
        // A recording that cannot be opened: nothing started yet but the ledger and the store.
        await ledger.close();
        await store.close();
        throw e;
      })).cutover;
  const http = makeHttp(ctx, { keepAliveTimeoutMs: 10_000 });
  const env = ctx.env as Record<string, string | undefined>;
  let gw: Gateway;
  try {
    gw = await startGateway({
      setup,
      host: o.host,
      port: o.port,
      maxBodyBytes: o.maxBody,
      headersTimeoutMs: o.clientTimeoutMs,
      requestTimeoutMs: o.clientTimeoutMs * 6,
      dispatcher: http.dispatcher,
      store,
      ledger,
      metrics,
      ...(cutover ? { cutover } : {}),
      prices: builtinPriceTable(),
      log,
      ...(env.HOLY_GATEWAY_ADMIN_KEY ? { adminKey: env.HOLY_GATEWAY_ADMIN_KEY.trim() } : {}),
      clock: ctx.clock,
      now: ctx.now,
    });
  } catch (e) {
    await ledger.close();
    await http.close();
    await cutover?.close().catch(() => undefined);
    await cut?.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${o.port}: the port is already in use on ${o.host}; pick another (--port 0 takes a free one).`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${o.host}: this machine has no such address; use 127.0.0.1 (default) or one of its own addresses.`);
    throw e;
  }
  out.line(gw.url);
  if (!isLoopback(o.host)) {
    log('warn', 'not_loopback', { host: o.host, message: `THE GATEWAY LISTENS ON ${o.host}, NOT ONLY ON THIS MACHINE: anyone who can reach it and holds a tenant key spends your provider budget. Put TLS and a firewall in front of it.` });
    out.warn(`holy gateway listens on ${o.host}: reachable from other machines. Put TLS and a firewall in front of it.`);
  }
  log('info', 'listening', {
    url: gw.url,
    config: loaded.label,
    primary: loaded.config.route.primary,
    ...(loaded.config.route.fallback ? { fallback: loaded.config.route.fallback } : {}),
    tenants: Object.keys(loaded.config.tenants).length,
    keys: setup.keys.size,
    ledger: loaded.ledgerPath,
    store: store.kind,
  });
  hooks.started?.(gw);
  const orphans = (s: typeof setup) => [...s.keys.tenants()].filter((t) => !Object.hasOwn(s.config.tenants, t));
  const warnOrphans = (s: typeof setup) => {
    const o = orphans(s);
    if (o.length) log('warn', 'keys_without_tenant', { tenants: o, message: 'these tenants have keys but are not in gateway.tenants: their keys are refused (401) until they are added back or the keys revoked' });
  };
  warnOrphans(setup);

  // gateway.store on Redis: a key added or revoked on any machine reaches this replica within a second (docs/scaling.md).
  let current = setup;
  const redis = (store as Partial<OpenedStore>).redis;
  const unwatch = redis
    ? redisKeyStore(redis.client, redis.prefix, redis.url).watch((keys) => {
        current = { ...current, keys };
        gw.reload(current);
        log('info', 'keys_reloaded', { keys: keys.size, store: redis.url });
      })
    : undefined;

  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        const next = await loadSetup(ctx, g, (m) => log('warn', 'provider_without_key', { message: m }));
        current = next.setup;
        gw.reload(next.setup);
        warnOrphans(next.setup);
        cut?.setSetup(next.setup);
        await cutover?.reconfigure?.(next.setup.config.route);
        log('info', 'reloaded', { config: next.loaded.label, tenants: Object.keys(next.setup.config.tenants).length, keys: next.setup.keys.size, primary: next.setup.config.route.primary });
      } catch (e) {
        log('error', 'reload_failed', { error: (e as Error).message, hint: (e as { hint?: string }).hint, kept: 'the previous configuration' });
      }
    });
  };
  const unhang = ctx.onHangup?.(reload);

  await new Promise<void>((done) => {
    if (ctx.signal.aborted) return done();
    ctx.signal.addEventListener('abort', () => done(), { once: true });
  });
  unhang?.();
  unwatch?.();
  log('info', 'draining', { inFlight: gw.inFlight(), drainSeconds: o.drainMs / 1000 });
  await reloading;
  const r = await gw.close(o.drainMs);
  await http.dispatcher.destroy();
  await cut?.close();
  await store.close();
  const summary: GatewaySummary = { url: gw.url, drained: r.drained, cut: r.cut, ledger: { written: ledger.written(), lost: ledger.lost() } };
  log(r.drained ? 'info' : 'warn', 'stopped', { drained: r.drained, cut: r.cut, ledgerWritten: summary.ledger.written, ledgerLost: summary.ledger.lost });
  log.flush();
  return summary;
}

export default async function handler(inv: Invocation<GatewayFlags>): Promise<void> {
  await run(inv.opts, inv.ctx, inv.g, inv.out);
}
