/** `holy gateway route [--percent N | --promote | --rollback]`: options → run (one admin request) → render. */
import type { Ctx } from '../../context.js';
import { RuntimeError, UsageError } from '../../errors.js';
import type { Out } from '../../ui/output.js';
import type { Invocation } from '../kit.js';
import { makeHttp } from '../../adapters/http.js';
import { numberFlag } from '../../core/flags.js';
import { ADMIN_KEY_ENV } from '../../gateway/cutover/admin.js';
import { adminURL, callAdmin } from '../../gateway/cutover/client.js';

export interface RouteFlags {
  percent?: string;
  promote?: boolean;
  rollback?: boolean;
  why?: string;
  who?: string;
  url?: string;
}

export interface RouteOptions {
  url: string;
  key: string;
  /** undefined: only read the route. */
  change?: { percent: number } | { promote: true } | { rollback: true };
  why?: string;
  who: string;
}

/** Check every flag (and the key) before anything is sent. */
export function routeOptions(f: RouteFlags, env: Readonly<Record<string, string | undefined>>): RouteOptions {
  const given = [f.percent !== undefined && '--percent', f.promote && '--promote', f.rollback && '--rollback'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} cannot be combined: give one change at a time, e.g. holy gateway route --percent 25.`);
  let change: RouteOptions['change'];
  if (f.percent !== undefined) {
    const p = numberFlag(f.percent, '--percent', { min: 0, max: 100, example: '25' });
    if (Math.round(p * 100) !== p * 100) throw new UsageError(`--percent ${f.percent}: at most two decimals (the share has 10,000 buckets), e.g. --percent 0.25.`);
    change = { percent: p };
  } else if (f.promote) change = { promote: true };
  else if (f.rollback) change = { rollback: true };
  if (!change && (f.why !== undefined || f.who !== undefined)) throw new UsageError('--why and --who go with a change: add --percent N, --promote or --rollback.');
  const url = f.url ?? 'http://127.0.0.1:8787';
  try {
    const u = new URL(url);
    if (!/^https?:$/.test(u.protocol)) throw new Error('not http');
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not an http(s) URL; give the gateway's base URL, e.g. --url http://127.0.0.1:8787.`);
  }
  const key = env[ADMIN_KEY_ENV]?.trim();
  if (!key) throw new UsageError(`${ADMIN_KEY_ENV} is not set: export the admin key the gateway was started with (export ${ADMIN_KEY_ENV}=…), then run this again.`);
  const who = (f.who ?? env.USER ?? env.USERNAME ?? 'operator').slice(0, 100);
  return { url, key, ...(change ? { change } : {}), ...(f.why !== undefined ? { why: f.why } : {}), who };
}

export interface RouteView {
  primary: string;
  fallback?: string;
  canary: null | {
    provider: string;
    sticky: string;
    percent: number;
    state: string;
    serving: string;
    guard: { maxErrorRate: number; maxP99Ms: number; windowMs: number; minRequests: number; window?: { candidate: Counts; primary: Counts } };
    last?: { at: number; who: string; what: string; why: string };
    breach: null | { kind: string; reason: string; at: number; reactionMs?: number; failuresSeen?: number };
  };
  shadow?: { provider: string; percent: number; inFlight: number; sent: number; dropped: Record<string, number>; record?: string };
  record?: { file: string; written: number; dropped: number };
}
interface Counts {
  n: number;
  errors: number;
  slow: number;
}

/** One admin request; every failure is one sentence with the fix. */
export async function run(o: RouteOptions, ctx: Ctx): Promise<RouteView> {
  const http = makeHttp(ctx, { connectTimeoutMs: 5000 });
  try {
    const body = o.change ? { ...o.change, who: o.who, ...(o.why !== undefined ? { why: o.why } : {}) } : undefined;
    const r = await callAdmin({ url: o.url, key: o.key, method: o.change ? 'POST' : 'GET', ...(body ? { body } : {}), dispatcher: http.dispatcher });
    const at = adminURL(o.url).toString();
    if ('error' in r) throw new RuntimeError(`no gateway answered at ${at} (${r.error}).`, 'start it with holy gateway, or pass its address with --url.');
    const msg = (r.body as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${r.status}`;
    if (r.status === 401) throw new UsageError(`the gateway refused the admin key (${msg}).`, `set ${ADMIN_KEY_ENV} to the value the gateway was started with.`);
    if (r.status === 403) throw new UsageError(`the gateway's admin endpoint is off: ${msg}`);
    if (r.status === 404) throw new UsageError(`${at} is not a holy gateway admin endpoint (404); check --url.`);
    if (r.status >= 400) throw new UsageError(`the gateway refused the change: ${msg}`);
    return r.body as RouteView;
  } finally {
    await http.close().catch(() => undefined);
  }
}

const pct = (a: number, n: number) => (n ? `${((a / n) * 100).toFixed(1)} %` : '—');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function render(v: RouteView, out: Out): void {
  if (out.mode === 'json') return out.json(v);
  const c = v.canary;
  out.line(`primary   ${v.primary}${v.fallback ? ` (fallback ${v.fallback})` : ''}`);
  if (!c) out.line('canary    none configured');
  else {
    const state = c.state === 'promoted' ? `promoted: ${c.provider} serves everything` : c.state === 'rolled-back' ? 'rolled back: share 0' : `${c.percent} % of requests (${c.sticky === 'none' ? 'not sticky: each request drawn on its own' : `sticky by ${c.sticky}`})`;
    out.line(`canary    ${c.provider} — ${state}`);
    const g = c.guard;
    out.line(`guard     error rate > ${(g.maxErrorRate * 100).toFixed(1)} % or p99 > ${g.maxP99Ms} ms over ${Math.round(g.windowMs / 1000)} s, once the candidate has ${g.minRequests} requests`);
    const w = g.window;
    if (w) {
      const side = (name: string, k: Counts) => `${name} ${k.n} req, ${k.errors} errors (${pct(k.errors, k.n)}), ${k.slow} over ${g.maxP99Ms} ms (${pct(k.slow, k.n)})`;
      out.line(`window    ${side('candidate', w.candidate)}; ${side('primary', w.primary)}`);
    }
    if (c.last) out.line(`last      ${iso(c.last.at)} ${c.last.who}: ${c.last.what} — ${c.last.why}`);
    if (c.breach) out.line(`breach    ${iso(c.breach.at)} ${c.breach.reason}${c.breach.reactionMs !== undefined ? ` (rolled back ${c.breach.reactionMs.toFixed(0)} ms after the first failure this replica saw, ${c.breach.failuresSeen} failed/slow answers)` : ''}`);
  }
  if (v.shadow) out.line(`shadow    ${v.shadow.provider} ${v.shadow.percent} % — ${v.shadow.sent} sent, ${v.shadow.inFlight} in flight, dropped ${Object.entries(v.shadow.dropped).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}${v.shadow.record ? ` → ${v.shadow.record}` : ''}`);
  if (v.record) out.line(`record    ${v.record.file}: ${v.record.written} lines${v.record.dropped ? `, ${v.record.dropped} dropped` : ''}`);
}

export default async function handler(inv: Invocation<RouteFlags>): Promise<void> {
  const o = routeOptions(inv.opts, inv.ctx.env);
  const v = await run(o, inv.ctx);
  render(v, inv.out);
  if (o.change && inv.out.mode !== 'json') inv.out.info(`holy gateway route: changed (${o.who}); the gateway logged it with the reason${o.why ? '' : ' "no reason given" (add --why next time)'}.`);
}
