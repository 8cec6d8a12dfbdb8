/**
 * The seams between the gateway's parts (docs/gateway.md, "Internals"). The server (server.ts) calls
 * these interfaces only; each part lives in its own file and can be replaced without touching the
 * server: quotas and breakers go through a GatewayStore, so the embedded store (one process) and the
 * Redis store (several replicas) are the same code above that line.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RouteConfig, TenantLimits } from '../core/gateway/types.js';

export type * from '../core/gateway/types.js';

// ---------------------------------------------------------------- the store (gateway/store/*.ts)
/** Shared state: embedded (in-process) or Redis. Every method is atomic on its key. */
export interface GatewayStore {
  readonly kind: 'embedded' | 'redis';
  /** A rate-limiter-flexible limiter kept in this store (RateLimiterMemory / RateLimiterRedis). */
  limiter(o: { keyPrefix: string; points: number; durationS: number }): RateLimiterAbstract;
  get(key: string): Promise<string | undefined>;
  /** Set; ttlMs bounds its life. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Set only if absent; true when this call set it (a single half-open probe across replicas). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Add `by` (may be negative) and return the new value. */
  incr(key: string, by: number, ttlMs?: number): Promise<number>;
  del(key: string): Promise<void>;
  /** Healthy right now (Redis reachable); the embedded store always is. */
  healthy(): boolean;
  close(): Promise<void>;
  /**
   * Optional (the Redis store: one MGET): several keys read in one step; without it, callers get() each.
   * `later`: bookkeeping after an answer, which may wait a few ms to share a round trip (here and in adjustWindow).
   */
  getMany?(keys: string[], o?: { later?: boolean }): Promise<Array<string | undefined>>;
  /**
   * Optional (the Redis store and its "open" wrapper have it): several fixed windows — rate-limiter-flexible's
   * semantics and keys (`<prefix>rl:<keyPrefix>:<key>`) — read or consumed in ONE atomic step. "consume" counts
   * every item's points only if no item would pass its limit (a refusal counts nothing); "read" counts nothing.
   * When absent, quotas use limiter().
   */
  windows?(o: WindowsCall): Promise<WindowsAnswer>;
  /** Optional, with windows(): add `by` (> 0: a new window if none is open) or give back -by (< 0: never below 0, nothing when no window is open). */
  adjustWindow?(o: { keyPrefix: string; key: string; by: number; durationS: number; later?: boolean }): Promise<void>;
}
export interface WindowsCall {
  mode: 'consume' | 'read';
  durationS: number;
  items: Array<{ keyPrefix: string; key: string; points: number; limit: number }>;
}
export interface WindowsAnswer {
  /** Every item within its limit (always true for "read"). */
  ok: boolean;
  /** Per item: its window's count after this call, ms until it ends (≤ 0: no window open), and whether this item refused. */
  items: Array<{ consumed: number; msLeft: number; refused: boolean }>;
}
/**
 * The shared store cannot answer (Redis down, a command timed out) and the policy is `storeDown: "closed"`:
 * every store method and limiter call rejects with this; the server answers 503 `store_unavailable`.
 * (A limiter's over-limit rejection stays a RateLimiterRes, never this.)
 */
export class StoreUnavailable extends Error {
  readonly code = 'store_unavailable';
  constructor(readonly why: string) {
    super(`the shared gateway store is unavailable: ${why}`);
    this.name = 'StoreUnavailable';
  }
}

// ---------------------------------------------------------------- quotas (gateway/quota.ts)
export interface QuotaDecision {
  ok: boolean;
  /** Set when !ok. */
  code?: 'rate_limit_exceeded';
  /** Which limit refused: requests or tokens. */
  limit?: 'requests' | 'tokens';
  retryAfterS?: number;
  /** Set when !ok: the 429 body's error.message, OpenAI's wording (which limit, its value, when to retry). */
  message?: string;
  /** x-ratelimit-limit-requests, -remaining-requests, -reset-requests and the -tokens ones: on every response. */
  headers: Record<string, string>;
}
export interface Quotas {
  /** Count one request and `estTokens` tokens against the tenant's RPM/TPM. */
  admit(t: TenantLimits, estTokens: number): Promise<QuotaDecision>;
  /** Real usage is known: give back or charge the difference from the estimate. */
  settle(t: TenantLimits, estTokens: number, actualTokens: number): Promise<void>;
}

// ---------------------------------------------------------------- fair scheduling (gateway/scheduler.ts)
export type Release = () => void;
export class QueueTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`queued ${Math.round(waitedMs)} ms without a free slot`);
  }
}
export interface Scheduler {
  /** Resolves with a slot on `provider`; queued per tenant and released by weight; rejects QueueTimeout or the signal's reason. */
  acquire(provider: string, tenant: string, weight: number, signal?: AbortSignal): Promise<Release>;
  /**
   * A slot at once when one is free and nobody waits (the common case), else undefined and the caller
   * queues with acquire(): the hot path then needs no promise and no AbortSignal.
   */
  tryAcquire?(provider: string, tenant: string): Release | undefined;
  /** Queued requests right now, per provider (for /metrics). */
  queued(provider: string): number;
  inFlight(provider: string): number;
  /** A config reload: new maxInFlight (and queue wait limit for requests queued from now on); freed slots go to waiters at once. */
  resize?(maxInFlight: number, queueTimeoutMs?: number): void;
}

// ---------------------------------------------------------------- circuit breaker (gateway/breaker.ts)
export type BreakerState = 'closed' | 'open' | 'half-open';
/** A breaker's stored state as read() found it (for allow() later in the same request). */
export interface BreakerRead {
  provider: string;
  /** When the cool-down ends (absent: closed). */
  until?: number;
  /** A failure count is pending (when the read included it: the Redis store's). */
  fails?: boolean;
}
export interface Breakers {
  /**
   * May a request go to this provider now? In half-open, true for exactly one probe. `seen` (optional): this
   * request's own read() of the same provider, made at its admission; allow() then reads nothing more
   * unless the breaker is half-open (the probe's lease).
   */
  allow(provider: string, seen?: BreakerRead): Promise<boolean>;
  /** Optional: read the state now without taking anything (no probe lease), for allow(provider, seen). */
  read?(provider: string): Promise<BreakerRead>;
  success(provider: string): Promise<void>;
  failure(provider: string): Promise<void>;
  state(provider: string): Promise<BreakerState>;
}

// ---------------------------------------------------------------- cutover (gateway/cutover/*.ts, docs/cutover.md)
/** One request as the gateway served it: what shadow, canary guard and the recorder see. */
export interface Served {
  requestId: string;
  tenant: string;
  user?: string;
  endpoint: 'chat' | 'embeddings';
  /** The parsed request body as the client sent it (after modelMap; never the client's headers). */
  request: Record<string, unknown>;
  provider: string;
  arm: 'primary' | 'fallback' | 'canary';
  modelServed: string;
  ok: boolean;
  httpStatus: number;
  /** Error code/message when !ok (already untrusted-filtered). */
  error?: string;
  /** The answer's text (chat) and tool calls as sent to the client; undefined for embeddings. */
  text?: string;
  toolCalls?: unknown[];
  finishReason?: string;
  usage?: { inputTokens: number; cachedTokens: number; outputTokens: number; estimated: boolean };
  /** Monotonic ms from request start. */
  ttfbMs?: number;
  ttftMs?: number;
  e2eMs: number;
  /** Wall clock of the request start. */
  startedAt: number;
  /**
   * Upstream attempts that failed before the one that served (a canary or primary that failed before
   * its first byte and fell back). Optional (added by gw-cutover): the canary guard counts a canary
   * failure the client never saw only through this.
   */
  tried?: Array<{ provider: string; httpStatus: number; error?: string; ms: number }>;
}
export interface RoutePlan {
  provider: string;
  arm: 'primary' | 'canary';
  /** Where a failure before the first byte goes: the route's fallback, or the primary for a canary. */
  fallback?: string;
}
export interface Cutover {
  /** Which provider serves this request (canary share, stickiness). */
  plan(req: { tenant: string; user?: string }): Promise<RoutePlan>;
  /** Every served request, after the client has its answer: canary guard, shadow mirror, recording. Never throws, never awaited on the client's path. */
  served(s: Served): void;
  /** Whether served() does anything now (a canary's guard, a shadow, a recording); absent means true. Without one the gateway builds no Served. */
  wantsServed?(): boolean;
  /**
   * Whether served() uses the answer's text (a shadow compares it, a recorder writes it); without one the
   * gateway does not parse a non-streamed answer for it. Optional: absent means true.
   */
  wantsText?(): boolean;
  /** GET/POST /admin/route: null when the path is not an admin path. */
  admin?(method: string, path: string, body: unknown, authorized: boolean): Promise<{ status: number; body: unknown } | null>;
  /** SIGHUP read a new config: take its route (canary share, shadow) without a restart. Optional (added by gw-cutover). */
  reconfigure?(route: RouteConfig): Promise<void>;
  close(): Promise<void>;
}
