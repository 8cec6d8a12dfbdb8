/**
 * createCutover: the gateway's Cutover (contract.ts) — canary share and guard, shadow mirror,
 * recording, and the /admin/route endpoint — from the route config (docs/cutover.md).
 */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { postNotify } from '../../adapters/notify.js';
import { builtinPriceTable, type PriceTable } from '../../core/prices.js';
import type { Untrusted } from '../../core/untrusted.js';
import type { Cutover, GatewayConfig, GatewayStore, RouteConfig, RoutePlan, Served } from '../contract.js';
import { ADMIN_KEY_ENV, adminKeyMatches, routeAdmin } from './admin.js';
import { Canary } from './canary.js';
import { Recorder, RotatingFile, type RecordOptions } from './recorder.js';
import { Shadow, type ShadowSend } from './shadow.js';
import type { CutoverLog, CutoverMetrics, Notify, NotifyBody, Upstreams } from './types.js';

export { ADMIN_KEY_ENV, adminKeyMatches } from './admin.js';
export { recordOptions, type RecordFlags, type RecordOptions } from './recorder.js';
export type { CutoverLog, Notify, Upstream, Upstreams } from './types.js';

export const DEFAULT_SHADOW_RECORD = 'holy-shadow.jsonl';

export interface CutoverOptions {
  config: Pick<GatewayConfig, 'route'>;
  store: GatewayStore;
  /** The providers' upstreams (base URL, key, dispatcher): the shadow calls its provider with its own key. */
  providers?: Upstreams;
  clock: () => number;
  now: () => number;
  log: CutoverLog;
  metrics: CutoverMetrics;
  notify?: Notify;
  /** --record (recordOptions()): off when undefined. */
  record?: RecordOptions;
  /** The folder the config file is in (the shadow's record file is relative to it); default cwd. */
  baseDir?: string;
  /** HOLY_GATEWAY_ADMIN_KEY: undefined turns the admin endpoint off (403). */
  adminKey?: string;
  prices?: PriceTable;
  untrusted?: Untrusted;
  random?: () => number;
  /** Replaces the shadow's wire.ts sender (tests). */
  shadowSend?: ShadowSend;
  /** The route state cache (≤ 1000 ms; docs/cutover.md says why). */
  cacheMs?: number;
}

/** The Cutover plus what the server may want beyond the contract: the admin key check and the parts (tests). */
export interface GatewayCutover extends Cutover {
  /** Does this Authorization header carry the admin key? (constant time; false when admin is off) */
  adminAuthorized(authorization: string | undefined): boolean;
  readonly canary: Canary;
  readonly shadow: Shadow | undefined;
  readonly recorder: Recorder | undefined;
  /** Let background work (guard checks, shadow copies, writes) finish: tests. */
  settle(): Promise<void>;
}

/** A Notify that posts to a webhook in `migrate --notify`'s format (adapters/notify.ts); failures are logged. */
export function webhookNotify(ctx: Ctx, url: string, log: CutoverLog, keys: string[] = []): Notify {
  return async (body: NotifyBody) => {
    const r = await postNotify(ctx, url, body, { keys });
    if (!r.ok) log('warn', 'notify_failed', { error: r.error });
    return r;
  };
}

async function openShadowFile(o: CutoverOptions, route: RouteConfig, metrics: CutoverMetrics): Promise<RotatingFile | undefined> {
  if (!route.shadow) return undefined;
  const path = resolve(o.baseDir ?? process.cwd(), route.shadow.record ?? DEFAULT_SHADOW_RECORD);
  return RotatingFile.open(path, { maxBytes: o.record?.maxBytes ?? 100 * 1024 * 1024, keep: o.record?.keep ?? 5, onDrop: (reason) => metrics.count('shadow_record_dropped', { reason }), flag: 'gateway.route.shadow.record' });
}

export async function createCutover(o: CutoverOptions): Promise<GatewayCutover> {
  let route = o.config.route;
  const canary = new Canary({ store: o.store, route, clock: o.clock, now: o.now, log: o.log, metrics: o.metrics, ...(o.notify ? { notify: o.notify } : {}), ...(o.random ? { random: o.random } : {}), ...(o.cacheMs !== undefined ? { cacheMs: o.cacheMs } : {}) });
  await canary.init();
  const recorder = o.record ? await Recorder.open({ ...o.record, metrics: o.metrics, log: o.log, ...(o.untrusted ? { untrusted: o.untrusted } : {}), ...(o.random ? { random: o.random } : {}) }) : undefined;
  const prices = o.prices ?? builtinPriceTable();
  const makeShadow = async (r: RouteConfig) => {
    if (!r.shadow) return undefined;
    const file = await openShadowFile(o, r, o.metrics);
    return new Shadow({
      config: r.shadow, store: o.store, prices, metrics: o.metrics, log: o.log, clock: o.clock, now: o.now, redact: o.record?.redact ?? [],
      ...(file ? { file } : {}), ...(o.untrusted ? { untrusted: o.untrusted } : {}), ...(o.providers ? { upstreams: o.providers } : {}), ...(o.shadowSend ? { send: o.shadowSend } : {}), ...(o.random ? { random: o.random } : {}),
    });
  };
  let shadow = await makeShadow(route);
  let shadowFile = shadow ? route.shadow!.record ?? DEFAULT_SHADOW_RECORD : undefined;

  const cut: GatewayCutover = {
    get canary() {
      return canary;
    },
    get shadow() {
      return shadow;
    },
    get recorder() {
      return recorder;
    },
    plan: (req): Promise<RoutePlan> => canary.plan(req),
    wantsText: () => !!shadow || !!recorder,
    wantsServed: () => canary.observing || !!shadow || !!recorder,
    served(s: Served): void {
      // After the client's answer; each part swallows its own errors, and this one too.
      try {
        canary.observe(s);
        shadow?.mirror(s);
        recorder?.served(s);
      } catch (e) {
        o.log('warn', 'cutover_error', { error: (e as Error).message });
      }
    },
    adminAuthorized: (authorization) => adminKeyMatches(o.adminKey, authorization),
    admin: async (method, path, body, authorized) => {
      const a = await routeAdmin(canary, method, path, body, authorized, !!o.adminKey);
      if (a && a.status === 200 && a.body && typeof a.body === 'object' && path.startsWith('/admin/route')) {
        const b = a.body as Record<string, unknown>;
        if (shadow) b.shadow = { provider: shadow.provider, percent: route.shadow?.percent, maxInFlight: route.shadow?.maxInFlight, maxCostUSDPerDay: route.shadow?.maxCostUSDPerDay ?? null, inFlight: shadow.inFlight(), ...shadow.counts, record: shadowFile };
        if (recorder) b.record = { file: recorder.file.path, written: recorder.file.written, dropped: recorder.file.dropped, rotations: recorder.file.rotations };
      }
      return a;
    },
    async reconfigure(next: RouteConfig): Promise<void> {
      await canary.reconfigure(next);
      const before = route.shadow;
      route = next;
      if (!next.shadow) {
        if (shadow) await shadow.close();
        shadow = undefined;
        shadowFile = undefined;
      } else if (shadow && before && (next.shadow.record ?? DEFAULT_SHADOW_RECORD) === shadowFile) shadow.reconfigure(next.shadow);
      else {
        await shadow?.close();
        shadow = await makeShadow(next);
        shadowFile = next.shadow.record ?? DEFAULT_SHADOW_RECORD;
      }
      o.log('info', 'cutover_reconfigured', { primary: next.primary, canary: next.canary ? `${next.canary.provider} ${next.canary.percent} %` : null, shadow: next.shadow ? `${next.shadow.provider} ${next.shadow.percent} %` : null });
    },
    async settle(): Promise<void> {
      await shadow?.idle();
      await canary.idle();
      await recorder?.file.idle();
    },
    async close(): Promise<void> {
      await canary.close();
      await shadow?.close();
      await recorder?.close();
    },
  };
  return cut;
}
