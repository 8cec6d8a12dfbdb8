/** How long to wait before a retry: the server's Retry-After (or exponential backoff), never longer than the run allows. */

/** No single wait is longer than this, whatever a server asks: `Retry-After: 86400` must not hold a run for a day. */
export const RETRY_WAIT_CAP_MS = 60_000;

export interface RetryWait {
  /** Retry at all: false when the run's --duration has no time left to wait in. */
  retry: boolean;
  /** What the server asked for (Retry-After) or the backoff chose, ms. */
  requestedMs: number;
  /** What will be waited, ms: requestedMs bounded by the cap, the request timeout and the time left. */
  waitMs: number;
  /** waitMs < requestedMs. */
  capped: boolean;
  /** The tightest bound, for the message: '60 s cap', '--timeout' or '--duration'. */
  bound: string;
}

/**
 * The wait before retry number `attempt` (0-based). Bounded by RETRY_WAIT_CAP_MS, by the request timeout (a
 * provider that asks for longer than a request may take is treated as down for that long, not waited for) and by
 * what is left of --duration (`remainingMs`, undefined without one).
 */
export function retryWait(o: { retryAfterMs: number | undefined; attempt: number; timeoutMs: number; remainingMs?: number }): RetryWait {
  const requestedMs = o.retryAfterMs ?? 250 * 2 ** o.attempt;
  const bounds: Array<[number, string]> = [[RETRY_WAIT_CAP_MS, `${RETRY_WAIT_CAP_MS / 1000} s cap`], [o.timeoutMs, '--timeout']];
  if (o.remainingMs !== undefined) bounds.push([Math.max(0, o.remainingMs), '--duration']);
  const [limit, bound] = bounds.reduce((a, b) => (b[0] < a[0] ? b : a));
  if (o.remainingMs !== undefined && o.remainingMs <= 0) return { retry: false, requestedMs, waitMs: 0, capped: requestedMs > 0, bound };
  const waitMs = Math.min(requestedMs, limit);
  return { retry: true, requestedMs, waitMs, capped: waitMs < requestedMs, bound };
}
