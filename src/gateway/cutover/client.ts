/** The client side of /admin/route (what `holy gateway route` sends): one JSON request with the admin key. */
import { request, type Dispatcher } from 'undici';
import { Untrusted } from '../../core/untrusted.js';

export interface AdminCall {
  /** The gateway's base URL, e.g. http://127.0.0.1:8787 (a trailing /v1 is accepted and dropped). */
  url: string;
  key: string;
  method: 'GET' | 'POST';
  body?: unknown;
  dispatcher: Dispatcher;
  timeoutMs?: number;
}

export type AdminReply = { status: number; body: unknown } | { error: string; code?: string };

/** The admin endpoint's URL for a gateway base URL. */
export function adminURL(base: string): URL {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '') + '/admin/route';
  u.search = '';
  return u;
}

/** Send one admin request; transport failures come back as `{error}`, never thrown. Whatever the server says is cleaned of the key. */
export async function callAdmin(c: AdminCall): Promise<AdminReply> {
  const u = new Untrusted([c.key]);
  const timeoutMs = c.timeoutMs ?? 10_000;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await request(adminURL(c.url), {
      method: c.method,
      headers: { authorization: `Bearer ${c.key}`, 'user-agent': 'holy-cli', ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
      dispatcher: c.dispatcher,
      signal: ac.signal,
    });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { message: u.line(text.slice(0, 300), 300) } };
    }
    return { status: res.statusCode, body: u.value(body) };
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    return { error: u.line(`${code ? code + ': ' : ''}${err.message}`, 300), ...(code ? { code } : {}) };
  } finally {
    clearTimeout(timer);
  }
}
