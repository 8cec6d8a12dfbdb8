/**
 * The `gateway` section of holy.config.json → GatewayConfig (docs/gateway.md, "Configuration").
 * Pure: the caller reads the file and names the providers it knows. Every problem is one UsageError
 * naming the file, the field and the fix.
 */
import { UsageError } from '../../errors.js';
import { closest } from '../suggest.js';
import type { CanaryConfig, GatewayConfig, PlanConfig, RouteConfig, ShadowConfig, TenantConfig, TenantLimits } from './types.js';

export const GATEWAY_DEFAULTS = {
  maxInFlight: 64,
  queueTimeoutMs: 30_000,
  storeDown: 'closed',
  ledger: 'holy-ledger.db',
  state: 'holy-gateway.db',
  breakerFailures: 5,
  breakerCoolDownMs: 30_000,
  shadowMaxInFlight: 8,
  /** CNY per USD of list price: the official API at the usual exchange rate, any other provider as a relay at 1:1. */
  officialRate: '7.3',
  relayRate: '1',
} as const;

/** A name usable as a tenant or plan: it appears in keys, logs, metrics labels and the ledger. */
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type Obj = Record<string, unknown>;

class Fields {
  constructor(readonly file: string) {}
  bad(field: string, why: string): never {
    throw new UsageError(`${this.file}: gateway${field ? `.${field}` : ''} ${why}.`);
  }
  obj(v: unknown, field: string, example: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.bad(field, `must be an object, e.g. ${example}`);
    return v as Obj;
  }
  /** Refuse keys the section does not know (a typo would otherwise be silently ignored). */
  only(o: Obj, field: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      const near = closest(k, [...known]);
      this.bad(field ? `${field}.${k}` : k, `is not a known field${near ? `; did you mean "${near}"?` : ''} (known: ${known.join(', ')})`);
    }
  }
  int(v: unknown, field: string, example: number, min = 1): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.bad(field, `must be a whole number${min === 1 ? ' above 0' : ` of at least ${min}`}, e.g. ${example}; got ${JSON.stringify(v)}`);
    return v as number;
  }
  num(v: unknown, field: string, example: number, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.bad(field, `must be a number from ${min} to ${max}, e.g. ${example}; got ${JSON.stringify(v)}`);
    return v as number;
  }
  str(v: unknown, field: string, example: string): string {
    if (typeof v !== 'string' || !v.trim()) this.bad(field, `must be a non-empty string, e.g. ${JSON.stringify(example)}; got ${JSON.stringify(v)}`);
    return (v as string).trim();
  }
  strings(v: unknown, field: string, example: string): string[] {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x.trim())) this.bad(field, `must be a list of names, e.g. ${example} ("*" = any, [] = none); got ${JSON.stringify(v)}`);
    return (v as string[]).map((x) => x.trim());
  }
  provider(v: unknown, field: string, providers: readonly string[]): string {
    const name = this.str(v, field, providers[0] ?? 'official');
    if (!providers.includes(name)) {
      const near = closest(name, providers);
      this.bad(field, `names provider "${name}", which is not defined${near ? `; did you mean "${near}"?` : ''} (known: ${providers.join(', ')}); add it under "providers" or name a known one`);
    }
    return name;
  }
}

const PLAN_FIELDS = ['rpm', 'tpm', 'models', 'tools', 'maxTokens', 'weight'] as const;
const TENANT_FIELDS = ['plan', 'rpm', 'tpm', 'weight'] as const;
const ROUTE_FIELDS = ['primary', 'fallback', 'maxInFlight', 'queueTimeoutMs', 'shadow', 'canary', 'breaker'] as const;
const TOP_FIELDS = ['plans', 'tenants', 'route', 'modelMap', 'ledger', 'state', 'store', 'storeDown', 'replicas', 'rates'] as const;

function parsePlan(f: Fields, name: string, raw: unknown): PlanConfig {
  const at = `plans.${name}`;
  if (!NAME.test(name)) f.bad(at, 'is not a usable plan name; use letters, digits, ".", "_" and "-" (at most 64)');
  const p = f.obj(raw, at, '{"rpm": 60, "tpm": 100000, "models": ["gpt-4o-mini"]}');
  f.only(p, at, PLAN_FIELDS);
  for (const lim of ['rpm', 'tpm'] as const) {
    if (p[lim] === undefined) f.bad(`${at}.${lim}`, `is missing: every plan needs both limits (requests and tokens per minute); add e.g. "${lim}": ${lim === 'rpm' ? 60 : 100000}`);
  }
  return {
    rpm: f.int(p.rpm, `${at}.rpm`, 60),
    tpm: f.int(p.tpm, `${at}.tpm`, 100000),
    models: p.models === undefined ? ['*'] : f.strings(p.models, `${at}.models`, '["gpt-4o-mini"]'),
    tools: p.tools === undefined ? [] : f.strings(p.tools, `${at}.tools`, '["get_weather"]'),
    ...(p.maxTokens !== undefined ? { maxTokens: f.int(p.maxTokens, `${at}.maxTokens`, 1024) } : {}),
    weight: p.weight === undefined ? 1 : f.num(p.weight, `${at}.weight`, 4, 0.001, 1_000_000),
  };
}

function parseTenant(f: Fields, name: string, raw: unknown, plans: Record<string, PlanConfig>): TenantConfig {
  const at = `tenants.${name}`;
  if (!NAME.test(name)) f.bad(at, 'is not a usable tenant name; use letters, digits, ".", "_" and "-" (at most 64)');
  const t = f.obj(raw, at, '{"plan": "pro"}');
  f.only(t, at, TENANT_FIELDS);
  const plan = f.str(t.plan, `${at}.plan`, Object.keys(plans)[0] ?? 'pro');
  if (!Object.hasOwn(plans, plan)) {
    const near = closest(plan, Object.keys(plans));
    f.bad(`${at}.plan`, `names plan "${plan}", which is not defined${near ? `; did you mean "${near}"?` : ''} (plans: ${Object.keys(plans).join(', ') || 'none'}); add it under gateway.plans or name a defined one`);
  }
  return {
    plan,
    ...(t.rpm !== undefined ? { rpm: f.int(t.rpm, `${at}.rpm`, 10) } : {}),
    ...(t.tpm !== undefined ? { tpm: f.int(t.tpm, `${at}.tpm`, 20000) } : {}),
    ...(t.weight !== undefined ? { weight: f.num(t.weight, `${at}.weight`, 2, 0.001, 1_000_000) } : {}),
  };
}

function parseShadow(f: Fields, raw: unknown, providers: readonly string[]): ShadowConfig {
  const s = f.obj(raw, 'route.shadow', '{"provider": "holysheep", "percent": 5}');
  f.only(s, 'route.shadow', ['provider', 'percent', 'maxInFlight', 'maxCostUSDPerDay', 'record']);
  return {
    provider: f.provider(s.provider, 'route.shadow.provider', providers),
    percent: f.num(s.percent, 'route.shadow.percent', 5, 0, 100),
    maxInFlight: s.maxInFlight === undefined ? GATEWAY_DEFAULTS.shadowMaxInFlight : f.int(s.maxInFlight, 'route.shadow.maxInFlight', 8),
    ...(s.maxCostUSDPerDay !== undefined ? { maxCostUSDPerDay: f.num(s.maxCostUSDPerDay, 'route.shadow.maxCostUSDPerDay', 10, 0, 1e9) } : {}),
    ...(s.record !== undefined ? { record: f.str(s.record, 'route.shadow.record', 'holy-shadow.jsonl') } : {}),
  };
}

/** "5m", "30s", "1h", "1500ms" or a number of ms → ms (the canary guard's window). */
function durationMs(f: Fields, v: unknown, field: string): number {
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(v) : null;
  const ms = typeof v === 'number' ? v : m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]!.toLowerCase() as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(ms) || ms < 1000 || ms > 86_400_000) f.bad(field, `must be a duration from 1s to 24h such as "5m", "30s" or "1h"; got ${JSON.stringify(v)}`);
  return Math.round(ms);
}

function parseCanary(f: Fields, raw: unknown, providers: readonly string[]): CanaryConfig {
  const c = f.obj(raw, 'route.canary', '{"provider": "holysheep", "percent": 10}');
  f.only(c, 'route.canary', ['provider', 'percent', 'sticky', 'guard']);
  if (c.sticky !== undefined && c.sticky !== 'tenant' && c.sticky !== 'user' && c.sticky !== 'none') f.bad('route.canary.sticky', `must be "tenant", "user" or "none"; got ${JSON.stringify(c.sticky)}`);
  const g = c.guard === undefined ? {} : f.obj(c.guard, 'route.canary.guard', '{"maxErrorRate": 0.05, "maxP99Ms": 10000}');
  f.only(g, 'route.canary.guard', ['maxErrorRate', 'maxP99Ms', 'window', 'windowMs', 'minRequests']);
  if (g.window !== undefined && g.windowMs !== undefined) f.bad('route.canary.guard.window', 'and windowMs both set the window; keep one, e.g. "window": "5m"');
  return {
    provider: f.provider(c.provider, 'route.canary.provider', providers),
    percent: f.num(c.percent, 'route.canary.percent', 10, 0, 100),
    sticky: (c.sticky as CanaryConfig['sticky'] | undefined) ?? 'tenant',
    guard: {
      maxErrorRate: g.maxErrorRate === undefined ? 0.05 : f.num(g.maxErrorRate, 'route.canary.guard.maxErrorRate', 0.05, 0, 1),
      maxP99Ms: g.maxP99Ms === undefined ? 10_000 : f.num(g.maxP99Ms, 'route.canary.guard.maxP99Ms', 10000, 1, 3_600_000),
      windowMs: g.window !== undefined ? durationMs(f, g.window, 'route.canary.guard.window') : g.windowMs === undefined ? 60_000 : f.int(g.windowMs, 'route.canary.guard.windowMs', 60000),
      minRequests: g.minRequests === undefined ? 20 : f.int(g.minRequests, 'route.canary.guard.minRequests', 20),
    },
  };
}

function parseRoute(f: Fields, raw: unknown, providers: readonly string[]): RouteConfig {
  if (raw === undefined) f.bad('route', `is missing; add e.g. "route": {"primary": "${providers.includes('holysheep') ? 'holysheep' : (providers[0] ?? 'official')}"}`);
  const r = f.obj(raw, 'route', '{"primary": "holysheep", "fallback": "official"}');
  f.only(r, 'route', ROUTE_FIELDS);
  const primary = f.provider(r.primary, 'route.primary', providers);
  const fallback = r.fallback === undefined ? undefined : f.provider(r.fallback, 'route.fallback', providers);
  if (fallback === primary) f.bad('route.fallback', `is the primary itself ("${primary}"); name another provider or remove "fallback"`);
  let breaker: RouteConfig['breaker'];
  if (r.breaker !== undefined) {
    const b = f.obj(r.breaker, 'route.breaker', '{"failures": 5, "coolDownMs": 30000}');
    f.only(b, 'route.breaker', ['failures', 'coolDownMs']);
    breaker = {
      failures: b.failures === undefined ? GATEWAY_DEFAULTS.breakerFailures : f.int(b.failures, 'route.breaker.failures', 5),
      coolDownMs: b.coolDownMs === undefined ? GATEWAY_DEFAULTS.breakerCoolDownMs : f.int(b.coolDownMs, 'route.breaker.coolDownMs', 30000),
    };
  }
  return {
    primary,
    ...(fallback ? { fallback } : {}),
    maxInFlight: r.maxInFlight === undefined ? GATEWAY_DEFAULTS.maxInFlight : f.int(r.maxInFlight, 'route.maxInFlight', 64),
    queueTimeoutMs: r.queueTimeoutMs === undefined ? GATEWAY_DEFAULTS.queueTimeoutMs : f.int(r.queueTimeoutMs, 'route.queueTimeoutMs', 30000),
    ...(r.shadow !== undefined ? { shadow: parseShadow(f, r.shadow, providers) } : {}),
    ...(r.canary !== undefined ? { canary: parseCanary(f, r.canary, providers) } : {}),
    ...(breaker ? { breaker } : {}),
  };
}

/**
 * Parse `gateway` from a whole holy.config.json document. `file` names the file in messages;
 * `providers` are the provider names the profile loader knows (built-ins and the file's own).
 * Paths (ledger, state) are returned as written: the caller resolves them against the file's folder.
 */
export function parseGatewayConfig(doc: unknown, file: string, providers: readonly string[]): GatewayConfig {
  const f = new Fields(file);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${file}: the top level must be a JSON object with a "gateway" section.`);
  const raw = (doc as Obj).gateway;
  if (raw === undefined) {
    throw new UsageError(
      `${file} has no "gateway" section; add one, e.g. "gateway": {"plans": {"pro": {"rpm": 600, "tpm": 1000000}}, "tenants": {"acme": {"plan": "pro"}}, "route": {"primary": "holysheep"}} (docs/gateway.md).`,
    );
  }
  const g = f.obj(raw, '', '{"plans": {…}, "tenants": {…}, "route": {…}}');
  f.only(g, '', TOP_FIELDS);
  const plansRaw = f.obj(g.plans ?? f.bad('plans', 'is missing; add at least one plan, e.g. "plans": {"pro": {"rpm": 600, "tpm": 1000000}}'), 'plans', '{"pro": {"rpm": 600, "tpm": 1000000}}');
  if (Object.keys(plansRaw).length === 0) f.bad('plans', 'is empty; add at least one plan, e.g. {"pro": {"rpm": 600, "tpm": 1000000}}');
  const plans: Record<string, PlanConfig> = {};
  for (const [name, p] of Object.entries(plansRaw)) plans[name] = parsePlan(f, name, p);
  const tenantsRaw = g.tenants === undefined ? {} : f.obj(g.tenants, 'tenants', '{"acme": {"plan": "pro"}}');
  const tenants: Record<string, TenantConfig> = {};
  for (const [name, t] of Object.entries(tenantsRaw)) tenants[name] = parseTenant(f, name, t, plans);
  const route = parseRoute(f, g.route, providers);
  const modelMap: Record<string, string> = {};
  if (g.modelMap !== undefined) {
    const m = f.obj(g.modelMap, 'modelMap', '{"gpt-4.5": "gpt-4o"}');
    for (const [from, to] of Object.entries(m)) modelMap[from] = f.str(to, `modelMap.${from}`, 'gpt-4o');
  }
  if (g.storeDown !== undefined && g.storeDown !== 'open' && g.storeDown !== 'closed') f.bad('storeDown', `must be "closed" (refuse requests while the shared store is unreachable) or "open" (serve them with this replica's own limits ÷ replicas, docs/scaling.md); got ${JSON.stringify(g.storeDown)}`);
  const replicas = g.replicas === undefined ? undefined : f.int(g.replicas, 'replicas', 3);
  let store: string | undefined;
  if (g.store !== undefined) {
    store = f.str(g.store, 'store', 'redis://127.0.0.1:6379');
    if (!/^rediss?:\/\//i.test(store) && store !== 'embedded') f.bad('store', `must be a redis:// or rediss:// URL (or "embedded"); got ${JSON.stringify(g.store)}`);
    if (store === 'embedded') store = undefined;
  }
  let rates: Record<string, string> | undefined;
  if (g.rates !== undefined) {
    rates = {};
    for (const [p, v] of Object.entries(f.obj(g.rates, 'rates', '{"official": 7.3, "holysheep": 1}'))) {
      f.provider(p, `rates.${p}`, providers);
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0) && !(typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()))) f.bad(`rates.${p}`, `must be a non-negative number of CNY per USD of list price, e.g. 7.3; got ${JSON.stringify(v)}`);
      rates[p] = String(v).trim();
    }
  }
  return {
    plans,
    tenants,
    route,
    modelMap,
    ledger: g.ledger === undefined ? GATEWAY_DEFAULTS.ledger : f.str(g.ledger, 'ledger', 'holy-ledger.db'),
    state: g.state === undefined ? GATEWAY_DEFAULTS.state : f.str(g.state, 'state', 'holy-gateway.db'),
    ...(store ? { store } : {}),
    storeDown: (g.storeDown as 'open' | 'closed' | undefined) ?? GATEWAY_DEFAULTS.storeDown,
    ...(replicas !== undefined ? { replicas } : {}),
    ...(rates ? { rates } : {}),
  };
}

/** A tenant's plan merged with its own overrides; undefined for a tenant the config does not name. */
export function tenantLimits(cfg: GatewayConfig, tenant: string): Readonly<TenantLimits> | undefined {
  if (!Object.hasOwn(cfg.tenants, tenant)) return undefined;
  // Every request asks: built once per config (a reload brings a new config object) and tenant, frozen.
  let byTenant = limitsOf.get(cfg);
  if (!byTenant) limitsOf.set(cfg, (byTenant = new Map()));
  const hit = byTenant.get(tenant);
  if (hit) return hit;
  const t = cfg.tenants[tenant]!;
  const p = cfg.plans[t.plan]!;
  const limits: TenantLimits = {
    tenant,
    plan: t.plan,
    rpm: t.rpm ?? p.rpm,
    tpm: t.tpm ?? p.tpm,
    weight: t.weight ?? p.weight,
    models: p.models,
    tools: p.tools,
    ...(p.maxTokens !== undefined ? { maxTokens: p.maxTokens } : {}),
  };
  byTenant.set(tenant, Object.freeze(limits));
  return limits;
}
const limitsOf = new WeakMap<GatewayConfig, Map<string, Readonly<TenantLimits>>>();

/** CNY per USD of list price for a provider (config `rates`, else 7.3 for official and 1 for a relay). */
export function cnyRate(cfg: GatewayConfig, provider: string): string {
  return cfg.rates?.[provider] ?? (provider === 'official' ? GATEWAY_DEFAULTS.officialRate : GATEWAY_DEFAULTS.relayRate);
}

/** Does a name list allow `name`? ("*" = any.) */
export function allows(list: readonly string[], name: string): boolean {
  return list.includes('*') || list.includes(name);
}
