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
  const http = makeHttp(ctx, { connectTimeoutMs: opts.timeoutMs ?? 10_000 });
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(opts.timeoutMs ?? 10_000)]);
  try {
    const res = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'holy-cli' },
      body: JSON.stringify(body),
      dispatcher: http.dispatcher,
      signal,
    });
    await res.body.text().catch(() => '');
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return ok ? { ok, status: res.statusCode } : { ok, status: res.statusCode, error: `HTTP ${res.statusCode}` };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, error: redact(`${err.code ? err.code + ': ' : ''}${err.message}`, opts.keys ?? []) };
  } finally {
    await http.close().catch(() => undefined);
  }
}
