/** The gateway's cutover from its config and flags (`--record`, `--notify`, HOLY_GATEWAY_ADMIN_KEY): canary, shadow, recording, /admin/route. */
import { dirname } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { makeHttp } from '../../adapters/http.js';
import type { PriceTable } from '../../core/prices.js';
import type { GatewayStore } from '../../gateway/contract.js';
import type { GatewayMetrics } from '../../gateway/metrics.js';
import type { Log } from '../../gateway/log.js';
import type { GatewaySetup } from '../../gateway/server.js';
import { ADMIN_KEY_ENV, createCutover, recordOptions, webhookNotify, type GatewayCutover, type RecordFlags } from '../../gateway/cutover/index.js';

export interface CutoverFlags extends RecordFlags {
  notify?: string;
}

/** Check the cutover's flags before anything starts (every bad value names its flag). */
export function checkCutoverFlags(ctx: Ctx, f: CutoverFlags): void {
  recordOptions(ctx.cwd, f);
  if (f.notify !== undefined) {
    try {
      if (!/^https?:$/.test(new URL(f.notify).protocol)) throw new Error('not http');
    } catch {
      throw new UsageError(`--notify ${JSON.stringify(f.notify)} is not an http(s) URL; give the webhook to post canary rollbacks to, e.g. --notify https://hooks.slack.com/services/….`);
    }
  }
}

export interface GatewayCutoverHandle {
  cutover: GatewayCutover;
  /** A reload swapped the providers: the shadow calls the new ones. */
  setSetup(s: GatewaySetup): void;
  /** After the gateway closed (it closes the cutover): the shadow's connections. */
  close(): Promise<void>;
}

export async function gatewayCutover(o: { ctx: Ctx; flags: CutoverFlags; configPath: string; setup: GatewaySetup; store: GatewayStore; log: Log; metrics: GatewayMetrics; prices: PriceTable }): Promise<GatewayCutoverHandle> {
  const { ctx, log } = o;
  let setup = o.setup;
  // The shadow has its own connections: its copies never wait for a socket the clients' requests need.
  const http = makeHttp(ctx, { keepAliveTimeoutMs: 10_000 });
  const record = recordOptions(ctx.cwd, o.flags);
  const adminKey = (ctx.env as Record<string, string | undefined>)[ADMIN_KEY_ENV]?.trim() || undefined;
  const keys = [...setup.upstreams.values()].map((u) => u.key).filter((k): k is string => !!k);
  const cutover = await createCutover({
    config: setup.config, store: o.store, clock: ctx.clock, now: ctx.now, log, metrics: o.metrics, prices: o.prices, baseDir: dirname(o.configPath),
    providers: {
      get: (name) => {
        const u = setup.upstreams.get(name);
        return u && { baseURL: u.origin + u.basePath, ...(u.key ? { key: u.key } : {}), headers: u.headers, dispatcher: http.dispatcher, timeoutMs: u.timeoutMs, maxBytes: u.maxResponseBytes, untrusted: u.untrusted };
      },
    },
    ...(record ? { record } : {}),
    ...(o.flags.notify ? { notify: webhookNotify(ctx, o.flags.notify, log, keys) } : {}),
    ...(adminKey ? { adminKey } : {}),
    ...(setup.upstreams.values().next().value?.untrusted ? { untrusted: setup.upstreams.values().next().value!.untrusted } : {}),
  });
  if (!adminKey) log('info', 'admin_off', { message: `/admin/route is off (403): set ${ADMIN_KEY_ENV} to move the canary with holy gateway route` });
  return {
    cutover,
    setSetup: (s) => void (setup = s),
    close: () => http.close().catch(() => undefined),
  };
}
