/**
 * The one place where text a provider (or a proxy in front of it) sent first enters holy: error
 * bodies, error messages and listings pass through `received` before anything else reads them.
 * Redaction, control-character stripping and size caps belong here (or in the core module this
 * calls), not in each renderer.
 */
import { redact } from '../../core/redact.js';
import { Untrusted } from '../../core/untrusted.js';
import type { CallResult } from '../../core/chat.js';

/** How much of an error body or message holy keeps, in characters. */
export const KEEP = { message: 500, body: 2000 } as const;

/** Default caps on a response body: a chat completion (streamed or not) and a model list. Configurable per provider (maxResponseBytes). */
export const DEFAULT_MAX_BYTES = { chat: 32 * 1024 * 1024, models: 8 * 1024 * 1024 } as const;

const byKey = new Map<string, Untrusted>();
/** For a caller that passes no Untrusted (the run's keys): its own key is still redacted. */
export function untrustedFor(key: string | undefined): Untrusted {
  let u = byKey.get(key ?? '');
  if (!u) byKey.set(key ?? '', (u = new Untrusted([key])));
  return u;
}

/**
 * Server text → text holy may show or store: every key redacted (core/untrusted.ts: whole, without
 * prefix, or any 12-character piece), controls stripped, one line of at most `max` characters.
 */
export function received(text: string, keys: Untrusted | ReadonlyArray<string | undefined>, max: number): string {
  const u = keys instanceof Untrusted ? keys : keys.length === 1 ? untrustedFor(keys[0]) : new Untrusted(keys);
  // Cut with a margin before redacting, so a key that straddles the cut leaves no fragment behind.
  return redact(u.line(text.length > max + 256 ? text.slice(0, max + 256) : text, max)).slice(0, max);
}

/**
 * A timed call's result, cleaned once as it enters holy: keys redacted, controls stripped, depth
 * capped. Runs after the timings were taken, so none of it lands in a latency.
 */
export function receivedCall(res: CallResult, u: Untrusted): CallResult {
  if (res.errorMessage !== undefined) res.errorMessage = received(res.errorMessage, u, KEEP.message);
  if (res.requestId !== undefined) res.requestId = u.line(res.requestId, 200);
  if (res.responseModel !== undefined) res.responseModel = u.line(String(res.responseModel), 200);
  if (res.completion !== undefined) res.completion = u.value(res.completion);
  if (res.usage !== undefined) res.usage = u.value(res.usage);
  return res;
}
