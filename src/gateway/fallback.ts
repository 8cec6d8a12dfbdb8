/**
 * Fallback and breaker accounting: pure decisions on how one upstream attempt ended
 * (docs/gateway-ops.md, "Fallback rules"). The failure classes are bench's (core/bench/classify.ts):
 * classifyTransport() for a thrown error or our own timer, classifyStatus() for an HTTP error status.
 *
 *   may the gateway retry this request on the fallback?   mayFallback()
 *   what does the attempt tell the provider's breaker?      breakerVerdict()
 */
import { classifyStatus, classifyTransport, type ErrorClass } from '../core/bench/classify.js';

export type { ErrorClass };

/** How one attempt on a provider ended, as far as fallback and the breaker care. */
export interface AttemptOutcome {
  /** The failure class; undefined = the attempt succeeded (a 2xx answer, delivered). */
  cls?: ErrorClass;
  /**
   * Did the failure happen before the upstream's response headers arrived? True for connect errors,
   * resets and timeouts while waiting for headers, and for an HTTP error status (it *is* the headers).
   * False for anything during the body: a reset, stall or error event mid-stream.
   */
  beforeHeaders: boolean;
  /** Did any byte (status line, headers, body) already go to the client? Then the answer is committed. */
  clientBytes: boolean;
}

/** The class of a transport failure (thrown by undici, or `timedOut` by the gateway's own timer). */
export const transportClass = (err: unknown, timedOut = false): ErrorClass => classifyTransport(err, timedOut);
/** The class of an HTTP error status from the upstream, with its (OpenAI-shaped) error body when parsed. */
export const statusClass = (status: number, body?: unknown): ErrorClass => classifyStatus(status, body);

/**
 * The outcome of an attempt from a timed call's result (adapters/provider's CallResult shape):
 * no 2xx status line (status 0, or an error status) means it failed before the answer began.
 */
export function outcomeOf(r: { ok: boolean; status: number; errorClass?: ErrorClass }, clientBytes: boolean): AttemptOutcome {
  if (r.ok) return { beforeHeaders: false, clientBytes };
  return { cls: r.errorClass ?? (r.status ? classifyStatus(r.status, undefined) : 'reset'), beforeHeaders: r.status === 0 || r.status >= 300, clientBytes };
}

/** `http_NNN` → NNN; other classes → undefined. */
function httpStatus(cls: ErrorClass): number | undefined {
  const m = /^http_(\d{3})$/.exec(cls);
  return m ? Number(m[1]) : undefined;
}

/**
 * Failures that say the gateway's *own* credentials towards the provider are wrong, not the client's
 * request: the client never sends the provider key (holy adds it), so a 401 from upstream or a 407 from
 * the proxy in between is a provider-side outage from the client's point of view.
 */
function ownCredentials(cls: ErrorClass): boolean {
  return cls === 'http_401' || cls === 'proxy_auth';
}

/** Why a failed attempt may or may not go to the fallback: one short reason for logs and tests. */
export type FallbackReason =
  | 'ok' // the attempt succeeded: nothing to retry
  | 'client_bytes' // the client already has part of the answer: never switch mid-stream
  | 'mid_stream' // the upstream had started answering (and billing): the failure goes to the client
  | 'unavailable' // connect error, reset or timeout before headers, 5xx: the provider is down or broken
  | 'saturated' // 429 (rate limited or out of quota): the provider is up but will not serve this now
  | 'credentials' // 401 / proxy 407: the gateway's provider key or proxy login is wrong
  | 'client_error' // any other 4xx: the client's own request is wrong, the fallback would refuse it too
  | 'not_upstream'; // circuit_open, not_recorded: not an answer from the provider

export interface FallbackDecision {
  fallback: boolean;
  reason: FallbackReason;
}

/** May the gateway retry this attempt on the fallback provider? */
export function fallbackDecision(a: AttemptOutcome): FallbackDecision {
  const cls = a.cls;
  if (cls === undefined) return { fallback: false, reason: 'ok' };
  if (a.clientBytes) return { fallback: false, reason: 'client_bytes' };
  if (cls === 'circuit_open') return { fallback: true, reason: 'unavailable' };
  if (cls === 'not_recorded') return { fallback: false, reason: 'not_upstream' };
  if (cls === 'rate_limited' || cls === 'insufficient_quota') return { fallback: true, reason: 'saturated' };
  if (ownCredentials(cls)) return { fallback: true, reason: 'credentials' };
  const status = httpStatus(cls);
  if (status !== undefined) return status >= 500 ? { fallback: true, reason: 'unavailable' } : { fallback: false, reason: 'client_error' };
  if (!a.beforeHeaders) return { fallback: false, reason: 'mid_stream' };
  if (cls === 'connect_error' || cls === 'reset' || cls === 'timeout') return { fallback: true, reason: 'unavailable' };
  // in_stream_error, truncated_stream, malformed_*, too_large: the upstream answered 2xx and then broke; even when
  // nothing reached the client yet, it has started generating (and billing) this request.
  return { fallback: false, reason: 'mid_stream' };
}

export const mayFallback = (a: AttemptOutcome): boolean => fallbackDecision(a).fallback;

/**
 * What an attempt tells the provider's circuit breaker: `failure` (counts towards opening it),
 * `success` (the provider is alive and answering: resets the consecutive count, closes a half-open
 * breaker) or `none` (says nothing about the provider's health).
 *
 * - 5xx, connect errors, resets, timeouts (before or after headers), a stream that broke or could not
 *   be parsed, 401/407 (our credentials): failure.
 * - 429 rate_limited: none. It is saturation, not outage: the provider answered at once and asked us
 *   to slow down; opening the breaker on a burst would move every tenant to the fallback for a whole
 *   cool-down while the provider is healthy. The request itself still falls back.
 * - 429 insufficient_quota: failure. The account is out of credit; that will not pass in seconds, and
 *   every request would pay a round-trip to learn it again.
 * - other 4xx: success: the provider is up and judged the client's request.
 * - too_large (the answer passed the gateway's size cap), circuit_open, not_recorded (no call reached
 *   the provider): none.
 */
export type BreakerVerdict = 'success' | 'failure' | 'none';
export function breakerVerdict(cls: ErrorClass | undefined): BreakerVerdict {
  if (cls === undefined) return 'success';
  if (cls === 'rate_limited' || cls === 'circuit_open' || cls === 'not_recorded') return 'none';
  if (cls === 'insufficient_quota' || ownCredentials(cls)) return 'failure';
  const status = httpStatus(cls);
  if (status !== undefined) return status >= 500 ? 'failure' : 'success';
  if (cls === 'too_large') return 'none'; // the answer outgrew the gateway's cap: a size, not a health problem
  // connect_error, reset, timeout, in_stream_error, truncated_stream, malformed_stream, malformed_response
  return 'failure';
}
