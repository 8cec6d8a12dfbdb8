/**
 * OpenAI's stored chat completions over HTTP: GET /chat/completions (list) and GET /chat/completions/{id}/messages,
 * with bounded waits on 429 (Retry-After) and a few retries on 5xx and dropped connections. Server text is
 * untrusted: bodies are capped, error text is redacted and stripped of control characters here, where it enters holy.
 */
import { request, type Dispatcher } from 'undici';
import { KEEP, received } from './received.js';
import { retryAfterMs } from '../../core/bench/classify.js';
import { printable } from '../../core/traffic/printable.js';

/** A JSON page larger than this is refused (a list page of 100 completions is far below it). */
const MAX_BODY = 32 * 1024 * 1024;
/** Longest single wait honoured from Retry-After; a server asking for more gets this, then another try. */
export const MAX_WAIT_MS = 60_000;
/** Consecutive 429s before giving up on a request. */
const MAX_429 = 8;
/** Retries of a 5xx, a timeout or a dropped connection. */
const MAX_RETRIES = 3;

export interface StoredApiOptions {
  dispatcher: Dispatcher;
  baseURL: string;
  key: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  now(): number;
  /** Called before each wait, so progress can say why nothing moves. */
  onWait?(ms: number, why: string): void;
}

/** Why a request failed for good; `status` 0 when no response came. */
export class StoredApiError extends Error {
  constructor(message: string, readonly status: number, readonly path: string) {
    super(message);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((ok) => {
    if (signal.aborted) return ok();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      ok();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new Error(`response larger than ${MAX_BODY / 1024 / 1024} MB`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GET a JSON document; resolves with the parsed body, rejects with StoredApiError after bounded retries. */
export async function getJson(o: StoredApiOptions, path: string, query: Array<[string, string]>): Promise<unknown> {
  const u = new URL(o.baseURL.replace(/\/+$/, '') + path);
  for (const [k, v] of query) u.searchParams.append(k, v);
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers, authorization: `Bearer ${o.key}` };
  const clean = (s: string) => printable(received(s, [o.key], KEEP.message));
  let throttled = 0;
  let failures = 0;
  for (;;) {
    if (o.signal.aborted) throw new StoredApiError('interrupted', 0, path);
    let status = 0;
    let text = '';
    let wait: number | undefined;
    let why = '';
    try {
      const r = await request(u, { method: 'GET', headers, dispatcher: o.dispatcher, signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) });
      status = r.statusCode;
      const ms = Number(r.headers['retry-after-ms']);
      wait = Number.isFinite(ms) && ms >= 0 ? ms : retryAfterMs(r.headers['retry-after'], o.now());
      text = await readCapped(r.body);
    } catch (e) {
      if (o.signal.aborted) throw new StoredApiError('interrupted', 0, path);
      why = clean((e as Error).message || String(e));
      if (++failures > MAX_RETRIES) throw new StoredApiError(`GET ${path} failed ${failures} times (${why})`, 0, path);
      const ms = 500 * 2 ** (failures - 1);
      o.onWait?.(ms, `connection failed (${why})`);
      await sleep(ms, o.signal);
      continue;
    }
    if (status === 429) {
      if (++throttled > MAX_429) throw new StoredApiError(`GET ${path} was rate-limited (429) ${MAX_429} times in a row`, 429, path);
      const ms = Math.min(MAX_WAIT_MS, wait ?? 1000 * 2 ** (throttled - 1));
      o.onWait?.(ms, 'rate-limited (429)');
      await sleep(ms, o.signal);
      continue;
    }
    if (status >= 500) {
      if (++failures > MAX_RETRIES) throw new StoredApiError(`GET ${path} answered HTTP ${status} ${failures} times (${clean(errorText(text))})`, status, path);
      const ms = Math.min(MAX_WAIT_MS, wait ?? 500 * 2 ** (failures - 1));
      o.onWait?.(ms, `HTTP ${status}`);
      await sleep(ms, o.signal);
      continue;
    }
    if (status >= 400) throw new StoredApiError(clean(errorText(text)) || `HTTP ${status}`, status, path);
    try {
      return JSON.parse(text);
    } catch {
      throw new StoredApiError(`GET ${path} answered HTTP ${status} with a body that is not JSON (${clean(text.slice(0, 80))})`, status, path);
    }
  }
}

function errorText(text: string): string {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') return m;
  } catch {
    /* not JSON */
  }
  return /^\s*</.test(text) ? 'an HTML page instead of JSON' : text.slice(0, 200);
}

/** A page of a list endpoint. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  lastId: string | undefined;
}

/** Check the list shape ({object:"list", data:[…], has_more}); undefined when it is not one. */
export function asPage<T>(doc: unknown): Page<T> | undefined {
  if (!doc || typeof doc !== 'object') return undefined;
  const d = doc as { data?: unknown; has_more?: unknown; last_id?: unknown };
  if (!Array.isArray(d.data)) return undefined;
  return { data: d.data as T[], hasMore: d.has_more === true, lastId: typeof d.last_id === 'string' ? d.last_id : undefined };
}
