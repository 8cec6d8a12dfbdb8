/** Error classes: every failed request lands in exactly one, and none is dropped from the totals. */

export type ErrorClass =
  | `http_${number}`
  | 'rate_limited'
  | 'insufficient_quota'
  | 'timeout'
  | 'reset'
  | 'in_stream_error'
  | 'truncated_stream'
  | 'malformed_stream'
  | 'malformed_response'
  | 'connect_error'
  | 'proxy_auth'
  | 'too_large'
  | 'circuit_open'
  | 'not_recorded';

/** The class of an HTTP error response from its status and (OpenAI-shaped) error body. */
export function classifyStatus(status: number, body: unknown): ErrorClass {
  if (status === 429) {
    const err = (body as { error?: { code?: unknown; type?: unknown } } | undefined)?.error;
    if (err && (err.code === 'insufficient_quota' || err.type === 'insufficient_quota')) return 'insufficient_quota';
    return 'rate_limited';
  }
  // 407 comes from the proxy in between, not the provider: the fix is the proxy's credentials.
  if (status === 407) return 'proxy_auth';
  return `http_${status}`;
}

/** The class of a transport failure thrown by undici (or our own timeout). */
export function classifyTransport(err: unknown, timedOut: boolean): ErrorClass {
  if (timedOut) return 'timeout';
  // undici's CONNECT tunnel turns a proxy's 407 into "Proxy response (407) !== 200 when HTTP Tunneling".
  if (/Proxy response \(407\)/.test((err as Error | undefined)?.message ?? '')) return 'proxy_auth';
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const causeCode = ((err as { cause?: { code?: string } } | undefined)?.cause?.code) ?? '';
  const c = code || causeCode;
  if (/TIMEOUT/.test(c) && !/CONNECT/.test(c)) return 'timeout';
  if (c === 'ECONNREFUSED' || c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'EHOSTUNREACH' || c === 'ENETUNREACH') return 'connect_error';
  return 'reset';
}

/** Worth retrying with --retries: throttling, server errors and dropped connections (never 4xx or quota). */
export function retryable(cls: ErrorClass): boolean {
  return cls === 'rate_limited' || cls === 'reset' || cls === 'connect_error' || cls === 'timeout' || /^http_5\d\d$/.test(cls);
}

/** Retry-After header (seconds or an HTTP date) in ms, or undefined. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
