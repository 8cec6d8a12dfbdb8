/**
 * Passing one request through to a provider over undici's dispatch() API: the callbacks fire as bytes
 * arrive, so a stream is relayed chunk by chunk with nothing buffered and no stream object per chunk.
 * The provider's key is sent only to that provider's own origin (the one its baseURL names).
 */
import type { Dispatcher } from 'undici';
import type { Untrusted } from '../core/untrusted.js';

/** A provider as the gateway calls it. */
export interface Upstream {
  name: string;
  /** scheme://host:port of the provider's baseURL: the only origin its key is ever sent to. */
  origin: string;
  /** Path prefix of the baseURL without a trailing slash, e.g. "/v1". */
  basePath: string;
  key?: string;
  headers: Record<string, string>;
  /** Time allowed until the response headers, and between body chunks. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** This provider's key (and every key holy holds), for cleaning what it sends. */
  untrusted: Untrusted;
}

/** Build an Upstream from a baseURL; throws on a URL that is not http(s). */
export function upstreamFor(o: { name: string; baseURL: string; key?: string; headers: Record<string, string>; timeoutMs: number; maxResponseBytes?: number; untrusted: Untrusted }): Upstream {
  const u = new URL(o.baseURL.trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${o.name}: baseURL must be http(s)`);
  return {
    name: o.name,
    origin: u.origin,
    basePath: u.pathname.replace(/\/+$/, ''),
    ...(o.key ? { key: o.key } : {}),
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    maxResponseBytes: o.maxResponseBytes ?? 32 * 1024 * 1024,
    untrusted: o.untrusted,
  };
}

export interface Relay {
  /** Response headers arrived. */
  onStart(status: number, headers: Record<string, string | string[] | undefined>): void;
  /** A body chunk; return false to pause the upstream until resume() is called (client backpressure). */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** Transport failure: before headers (connect error, timeout) or mid-body (reset, body timeout, abort). */
  onError(err: Error & { code?: string }, phase: 'connect' | 'headers' | 'body', timedOut: boolean): void;
}

export interface InFlight {
  abort(reason: Error): void;
  resume(): void;
}

const headerCache = new WeakMap<Upstream, Record<string, Record<string, string>>>();
function requestHeaders(up: Upstream, accept: string, method: string): Record<string, string> {
  let byKind = headerCache.get(up);
  if (!byKind) headerCache.set(up, (byKind = {}));
  const k = method + accept;
  let h = byKind[k];
  if (!h) {
    h = { ...up.headers, accept };
    if (method === 'POST') h['content-type'] = 'application/json';
    if (up.key) h.authorization = `Bearer ${up.key}`;
    byKind[k] = h;
  }
  return h;
}

/** Send `body` to up.origin + up.basePath + path and relay the response through `r`. */
export function forward(dispatcher: Dispatcher, up: Upstream, method: 'GET' | 'POST', path: string, body: string | undefined, stream: boolean, r: Relay): InFlight {
  let controller: Dispatcher.DispatchController | undefined;
  let pending: Error | undefined;
  let phase: 'connect' | 'headers' | 'body' = 'connect';
  let done = false;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (pending) c.abort(pending);
    },
    onRequestUpgrade() {},
    onResponseStart(c, statusCode, headers) {
      phase = 'body';
      r.onStart(statusCode, headers as Record<string, string | string[] | undefined>);
      void c;
    },
    onResponseData(c, chunk) {
      if (!r.onData(chunk)) c.pause();
    },
    onResponseEnd() {
      if (done) return;
      done = true;
      r.onEnd();
    },
    onResponseError(_c, err) {
      if (done) return;
      done = true;
      const e = err as Error & { code?: string };
      const timedOut = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
      r.onError(e, phase, timedOut);
    },
  };
  try {
    dispatcher.dispatch(
      {
        origin: up.origin,
        path: up.basePath + path,
        method,
        headers: requestHeaders(up, stream ? 'text/event-stream' : 'application/json', method),
        ...(body !== undefined ? { body } : {}),
        headersTimeout: up.timeoutMs,
        bodyTimeout: up.timeoutMs,
      },
      handler,
    );
    // Sent (or queued) on a connection: from here a failure before headers is a "headers" failure.
    phase = phase === 'connect' ? 'connect' : phase;
  } catch (err) {
    done = true;
    queueMicrotask(() => r.onError(err as Error, 'connect', false));
  }
  return {
    abort(reason) {
      if (controller) controller.abort(reason);
      else pending = reason;
    },
    resume() {
      controller?.resume();
    },
  };
}

/** GET a small JSON document (a model list) from a provider; resolves with status and text (capped). */
export function fetchText(dispatcher: Dispatcher, up: Upstream, path: string, max = 8 * 1024 * 1024): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let f: InFlight | undefined = undefined;
    f = forward(dispatcher, up, 'GET', path, undefined, false, {
      onStart: (s) => void (status = s),
      onData: (c) => {
        size += c.length;
        if (size > max) f?.abort(new Error(`the response passed ${max} bytes`));
        else chunks.push(c);
        return true;
      },
      onEnd: () => resolve({ status, text: Buffer.concat(chunks).toString('utf8') }),
      onError: (e) => reject(e),
    });
  });
}
