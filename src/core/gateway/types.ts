/** The gateway's configuration and ledger row: plain data shared by core, adapters and the gateway (docs/gateway.md). */

// ---------------------------------------------------------------- configuration (parsed by core/gateway/config.ts)
export interface PlanConfig {
  rpm: number;
  tpm: number;
  /** Model ids the plan may call; "*" = any. */
  models: string[];
  /** Tool/function names and Responses-style mcp server labels the plan may use; "*" = any, [] = none. */
  tools: string[];
  /** Cap on max_tokens / max_completion_tokens (undefined = no cap). */
  maxTokens?: number;
  /** Share of a provider's capacity under contention (weighted fair queueing); default 1. */
  weight: number;
}
export interface TenantConfig {
  plan: string;
  rpm?: number;
  tpm?: number;
  weight?: number;
}
export interface ShadowConfig {
  provider: string;
  percent: number;
  maxInFlight: number;
  maxCostUSDPerDay?: number;
  /** Where the shadowed pairs are written (holy results JSONL, 0600), relative to the config file's folder; default "holy-shadow.jsonl". Optional (added by gw-cutover). */
  record?: string;
}
export interface CanaryGuard {
  maxErrorRate: number;
  maxP99Ms: number;
  windowMs: number;
  minRequests: number;
}
export interface CanaryConfig {
  provider: string;
  percent: number;
  sticky: 'tenant' | 'user' | 'none';
  guard: CanaryGuard;
}
export interface RouteConfig {
  primary: string;
  fallback?: string;
  /** Requests in flight to one provider before requests queue (per tenant, released by weight). */
  maxInFlight: number;
  /** How long a queued request waits before 429 queue_timeout. */
  queueTimeoutMs: number;
  shadow?: ShadowConfig;
  canary?: CanaryConfig;
  /** Per-provider circuit breaker: consecutive failures that open it, and how long it stays open (defaults 5, 30000). */
  breaker?: { failures: number; coolDownMs: number };
}
export interface GatewayConfig {
  plans: Record<string, PlanConfig>;
  tenants: Record<string, TenantConfig>;
  route: RouteConfig;
  modelMap: Record<string, string>;
  /** SQLite ledger file (relative to the config file's folder). */
  ledger: string;
  /** SQLite state file: tenant key hashes (embedded store). */
  state: string;
  /** Undefined = embedded single-process store; "redis://…" = shared store. */
  store?: string;
  storeDown: 'open' | 'closed';
  /**
   * How many replicas share the store (docs/scaling.md): with storeDown "open", a replica that lost Redis
   * serves limits ÷ replicas. Undefined = the live count last seen in Redis (each replica's heartbeat), 1 before any.
   */
  replicas?: number;
  /** CNY paid per USD of list price, per provider (decimal strings); default "7.3" for official, "1" for any other (a relay). */
  rates?: Record<string, string>;
}
/** A tenant's limits after its plan and its own overrides are merged. */
export interface TenantLimits {
  tenant: string;
  plan: string;
  rpm: number;
  tpm: number;
  weight: number;
  models: string[];
  tools: string[];
  maxTokens?: number;
}

// ---------------------------------------------------------------- ledger (written by adapters/ledger/)
export type LedgerStatus = 'ok' | 'error' | 'client_closed' | 'rate_limited' | 'refused' | 'upstream_error' | 'queue_timeout';
export interface LedgerRow {
  ts: number; // ms since epoch, request start
  requestId: string;
  tenant: string;
  endpoint: 'chat' | 'embeddings';
  modelAsked: string;
  modelServed: string;
  provider: string;
  stream: boolean;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  /** true when usage was counted by holy (upstream sent none). */
  estimated: boolean;
  /** Decimal strings: exact money. */
  costUSD: string;
  costCNY: string;
  status: LedgerStatus;
  httpStatus: number;
  latencyMs: number;
  ttftMs?: number;
  fallback: boolean;
  /** Which route arm served: primary, fallback, canary. */
  arm: 'primary' | 'fallback' | 'canary';
}
/**
 * A row as the gateway hands it over: the ledger prices it (core/gateway/ledger-cost.ts) where it writes,
 * on its writer thread, so no decimal arithmetic runs on the gateway's event loop.
 */
export interface UnpricedRow extends Omit<LedgerRow, 'costUSD' | 'costCNY'> {
  /** The served model's list prices, USD per 1M tokens (cachedInput null: cached tokens billed as input); null: not in the table (cost 0). */
  price: { input: string; cachedInput: string | null; output: string } | null;
  /** CNY per USD for the provider that served (gateway.rates). */
  cnyRate: string;
}
/** What Ledger.add takes: a row still to be priced, or one already priced (imports, tests). */
export type LedgerEntry = UnpricedRow | LedgerRow;
export interface Ledger {
  /** Never blocks, never throws: a row that cannot be written (or priced) is counted in lost(). */
  add(row: LedgerEntry): void;
  written(): number;
  lost(): number;
  /** Write what is queued and close the file. */
  close(): Promise<void>;
}

