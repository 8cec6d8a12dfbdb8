/** Turning what a provider did (an HTTP answer, a network error, silence) into one cause and one fix. Pure. */

/** What the probe saw, reduced to plain data so the rules below need no SDK or socket. */
export type Observation =
  | {
      kind: 'http';
      status: number;
      contentType?: string;
      /** The start of the body (already redacted), for HTML detection and messages. */
      body?: string;
      errorCode?: string;
      errorType?: string;
      errorMessage?: string;
      /** Lower-case header names. */
      headers: Record<string, string>;
      requestId?: string;
    }
  | { kind: 'network'; code?: string; message: string }
  | { kind: 'timeout'; ms: number };

/** The provider and URL a diagnosis is about, so every fix can name the setting to change. */
export interface Where {
  provider: string;
  /** The URL the request went to (e.g. …/v1/models). */
  url: string;
  baseURL: string;
  baseURLSource: string;
  keySource: string;
  timeoutMs: number;
  proxy?: string;
}

export interface Diagnosis {
  status: 'fail' | 'warn';
  /** Short label for the detail column, e.g. "401 invalid_api_key". */
  label: string;
  cause: string;
  fix: string;
  data?: Record<string, unknown>;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN']);

function hostOf(url: string): { host: string; port: string } {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
  } catch {
    return { host: url, port: '' };
  }
}

/** True for the error codes a TLS handshake produces (OpenSSL reasons and Node's certificate codes). */
function isTlsCode(code: string | undefined, message = ''): boolean {
  if (!code) return /SSL|TLS|certificate/i.test(message);
  return /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH)/.test(code) || (code === 'ECONNRESET' && /TLS|SSL/i.test(message));
}

/** A network-level failure: DNS, refused, TLS, reset, unreachable, timeout — told apart by code. */
export function classifyNetwork(code: string | undefined, message: string, w: Where): Diagnosis {
  const { host, port } = hostOf(w.url);
  const via = w.proxy ? ` (through proxy ${w.proxy})` : '';
  if (code && DNS.has(code)) {
    return {
      status: 'fail',
      label: `DNS ${code}`,
      cause: `the host name ${host} does not resolve (DNS ${code})${via}.`,
      fix: `check the host in the base URL (${w.baseURLSource}) for typos, or your DNS/VPN settings.`,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      status: 'fail',
      label: 'connection refused',
      cause: `${w.proxy ? `the proxy ${w.proxy}` : `${host}:${port}`} refused the connection: nothing is listening on that port.`,
      fix: w.proxy ? 'check HTTPS_PROXY/HTTP_PROXY, or start the proxy.' : `check the port in the base URL (${w.baseURLSource}), or that the server is running.`,
    };
  }
  if (isTlsCode(code, message)) {
    const plain = /wrong version number|packet length too long|unknown protocol|http request/i.test(message);
    const cert = /cert|self.signed|issuer|altname/i.test(`${code} ${message}`);
    return {
      status: 'fail',
      label: `TLS ${code ?? 'error'}`,
      cause: plain
        ? `the TLS handshake with ${host}:${port} failed (${code ?? message}): the server speaks plain HTTP on that port.`
        : `the TLS handshake with ${host}:${port} failed (${code ?? 'error'}: ${message})${via}.`,
      fix: plain
        ? `use the https port of the server, or http:// only for a loopback simulator (${w.baseURLSource}).`
        : cert
          ? 'the certificate is not trusted: if a corporate proxy inspects TLS, point NODE_EXTRA_CA_CERTS at its CA file.'
          : 'check that the base URL uses the right scheme and port, and whether a proxy or firewall intercepts TLS.',
    };
  }
  if (code && TIMEOUT.has(code)) return classifyTimeout(w.timeoutMs, w, code);
  if (code && UNREACHABLE.has(code)) {
    return { status: 'fail', label: `unreachable ${code}`, cause: `${host} is unreachable from this machine (${code})${via}.`, fix: 'check your network, VPN or firewall, or set HTTPS_PROXY if you must go through a proxy.' };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return {
      status: 'fail',
      label: `connection reset`,
      cause: `${host}:${port} closed the connection without an answer (${code})${via}.`,
      fix: 'retry; if it persists a firewall or proxy is cutting the connection — try from another network or set HTTPS_PROXY.',
    };
  }
  return { status: 'fail', label: code ?? 'network error', cause: `the request to ${host}:${port} failed: ${message}${via}.`, fix: 'check the base URL, your network and proxy settings, then retry.' };
}

/** No answer within the time limit. */
export function classifyTimeout(ms: number, w: Where, code?: string): Diagnosis {
  const { host } = hostOf(w.url);
  return {
    status: 'fail',
    label: `timeout ${ms} ms`,
    cause: `${host} did not answer within ${ms} ms${code ? ` (${code})` : ''}${w.proxy ? ` (through proxy ${w.proxy})` : ''}.`,
    fix: 'the server or network is stalling: retry, raise --timeout, or check your proxy/VPN.',
  };
}

const RATE_HEADERS = ['retry-after', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'];

/** The rate-limit headers present, and one human line describing them. */
export function rateLimitInfo(headers: Record<string, string>): { headers: Record<string, string>; text: string } {
  const h: Record<string, string> = {};
  for (const k of RATE_HEADERS) if (headers[k] !== undefined) h[k] = headers[k]!;
  const parts: string[] = [];
  if (h['retry-after']) parts.push(`Retry-After ${h['retry-after']} s`);
  for (const kind of ['requests', 'tokens']) {
    const lim = h[`x-ratelimit-limit-${kind}`];
    const rem = h[`x-ratelimit-remaining-${kind}`];
    const reset = h[`x-ratelimit-reset-${kind}`];
    if (lim !== undefined || rem !== undefined) parts.push(`${kind} ${rem ?? '?'}/${lim ?? '?'} left${reset ? `, reset ${reset}` : ''}`);
  }
  return { headers: h, text: parts.join('; ') };
}

function isHtml(o: Extract<Observation, { kind: 'http' }>): boolean {
  return /text\/html/i.test(o.contentType ?? '') || /^\s*(<!doctype html|<html)/i.test(o.body ?? '');
}

/** The base URL with /v1 appended, when its path lacks a version segment (the usual cause of a 404). */
export function suggestV1(baseURL: string): string | undefined {
  try {
    const u = new URL(baseURL.trim());
    if (/\/v\d+(beta)?\/?$/.test(u.pathname) || /\/v\d+\//.test(u.pathname)) return undefined;
    u.pathname = u.pathname.replace(/\/+$/, '') + '/v1';
    return u.toString().replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

/** An HTTP answer that is not the expected JSON success. `what` names the call, e.g. "GET /models". */
export function classifyHttp(o: Extract<Observation, { kind: 'http' }>, w: Where, what: string): Diagnosis {
  const tag = `${o.status}${o.errorCode ? ` ${o.errorCode}` : o.errorType ? ` ${o.errorType}` : ''}`;
  const said = o.errorMessage?.replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');
  const msg = said ? `: "${said.length > 160 ? `${said.slice(0, 157)}…` : said}"` : '';
  const rid = o.requestId ? ` (request id ${o.requestId})` : '';
  const data: Record<string, unknown> = { status: o.status, ...(o.errorCode ? { code: o.errorCode } : {}), ...(o.requestId ? { requestId: o.requestId } : {}) };
  const v1 = suggestV1(w.baseURL);
  if (o.status === 404 || (isHtml(o) && o.status < 300)) {
    const html = isHtml(o);
    return {
      status: 'fail',
      label: html ? `${o.status} HTML instead of JSON` : tag,
      cause: html
        ? `${what} returned an HTML page (${o.status}, ${o.contentType ?? 'text/html'}) instead of JSON: the base URL points at a website, not the API.`
        : `${what} returned 404, so the base URL is wrong${msg}.`,
      fix: v1
        ? `add /v1: set the base URL to ${v1} (${w.baseURLSource}).`
        : `set the base URL to the provider's API root, e.g. https://api.example.com/v1 (${w.baseURLSource}).`,
      data,
    };
  }
  if (o.status >= 200 && o.status < 300) {
    const json = /json/i.test(o.contentType ?? '') || /^\s*[{[]/.test(o.body ?? '');
    return {
      status: 'fail',
      label: `${o.status} ${json ? 'not a model list' : 'not JSON'}`,
      cause: json ? `${what} answered ${o.status} with JSON that is not a model list (no "data" array).` : `${what} answered ${o.status} with ${o.contentType || 'no content type'} instead of JSON.`,
      fix: `check that the base URL (${w.baseURLSource}) is an OpenAI-compatible API root ending in /v1.`,
      data,
    };
  }
  if (o.status === 401) {
    return { status: 'fail', label: tag, cause: `the provider rejected the key (${tag})${msg}.`, fix: `check the key in ${w.keySource}: copy it again from ${w.provider}'s dashboard; it may be revoked, mistyped or issued by another provider.`, data };
  }
  if (o.status === 403) {
    return { status: 'fail', label: tag, cause: `the key is valid but not allowed to do this (${tag})${msg}.`, fix: `check the key's project, organisation, IP allow-list or region restrictions on ${w.provider}'s dashboard.`, data };
  }
  if (o.status === 429) {
    const rl = rateLimitInfo(o.headers);
    const quota = /insufficient_quota/.test(`${o.errorCode} ${o.errorType}`) || /quota|billing|balance|credit/i.test(o.errorMessage ?? '');
    if (quota) {
      return { status: 'fail', label: '429 insufficient_quota', cause: `the account has no quota left (429 insufficient_quota), which is billing, not a rate limit${msg}.`, fix: `add credit or raise the spending limit on ${w.provider}'s billing page; retrying will not help.`, data: { ...data, ...(Object.keys(rl.headers).length ? { rateLimit: rl.headers } : {}) } };
    }
    return {
      status: 'warn',
      label: `429 rate limited${rl.text ? ` (${rl.text})` : ''}`,
      cause: `rate limited (${tag})${rl.text ? `; ${rl.text}` : ''}: the key and endpoint work, but too many requests are being sent.`,
      fix: `wait${rl.headers['retry-after'] ? ` ${rl.headers['retry-after']} s` : ''} and retry, or lower your request rate/concurrency.`,
      data: { ...data, rateLimit: rl.headers },
    };
  }
  if (o.status >= 500) {
    const html = isHtml(o) ? ' (an HTML error page, likely from a gateway)' : '';
    return { status: 'fail', label: tag, cause: `${w.provider} had a server error (${tag})${msg}${html}.`, fix: `retry later; if it persists, report it to ${w.provider}${rid}.`, data };
  }
  return { status: 'fail', label: tag, cause: `${what} was refused (${tag})${msg}.`, fix: `check the request against ${w.provider}'s documentation${rid}.`, data };
}

/** Any observation → a diagnosis. */
export function classify(o: Observation, w: Where, what: string): Diagnosis {
  if (o.kind === 'http') return classifyHttp(o, w, what);
  if (o.kind === 'timeout') return classifyTimeout(o.ms, w);
  return classifyNetwork(o.code, o.message, w);
}
