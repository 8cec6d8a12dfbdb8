/** POST a JSON summary (Slack-compatible `text`) to a webhook; failures are reported, never thrown. */
import { request } from 'undici';
import type { Ctx } from '../context.js';
import { redact } from '../core/redact.js';
import { makeHttp } from './http.js';

interface NotifyResult {
  ok: boolean;
  status?: number;
  /** Why it failed (network error or HTTP status), keys redacted. */
  error?: string;
  /** Ctrl-C (or SIGTERM/SIGHUP) stopped it: the caller exits 130 (143/129), not 0. */
  interrupted?: boolean;
}

/** Send `body` as JSON; `keys` are redacted from any error text we report back. */
export async function postNotify(ctx: Ctx, url: string, body: unknown, opts: { timeoutMs?: number; keys?: string[] } = {}): Promise<NotifyResult> {
  let target: URL;
  try {
    target = new URL(url);
    if (!/^https?:$/.test(target.protocol)) throw new Error('not http(s)');
  } catch {
    return { ok: false, error: `--notify ${redact(url)} is not an http(s) URL` };
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const http = makeHttp(ctx, { connectTimeoutMs: timeoutMs });
  // A plain timer, not AbortSignal.timeout(): on Node 20, AbortSignal.any([…, AbortSignal.timeout(ms)])
  // can be garbage-collected before it fires, and then a server that never answers holds holy for minutes.
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new Error(`no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  const onStop = () => ac.abort(new Error('interrupted'));
  if (ctx.signal.aborted) onStop();
  else ctx.signal.addEventListener('abort', onStop, { once: true });
  try {
    const res = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'holy-cli' },
      body: JSON.stringify(body),
      dispatcher: http.dispatcher,
      signal: ac.signal,
    });
    // The answer is not used: drop it rather than read whatever size the server sends.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return ok ? { ok, status: res.statusCode } : { ok, status: res.statusCode, error: `HTTP ${res.statusCode}` };
  } catch (e) {
    if (ctx.signal.aborted) return { ok: false, error: 'interrupted', interrupted: true };
    if (timedOut) return { ok: false, error: `no answer within ${timeoutMs} ms` };
    const err = e as Error & { code?: string };
    return { ok: false, error: redact(`${err.code ? err.code + ': ' : ''}${err.message}`, opts.keys ?? []) };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onStop);
    await http.close().catch(() => undefined);
  }
}
