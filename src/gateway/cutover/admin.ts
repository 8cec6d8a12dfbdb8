/**
 * GET/POST /admin/route: the canary share, moved by operators without a restart (docs/cutover.md, "Admin").
 * Protected by its own key, HOLY_GATEWAY_ADMIN_KEY (never a tenant key). When the variable is unset
 * the endpoint is off: 403 `admin_disabled`, saying how to turn it on (a 404 would hide why
 * `holy gateway route` cannot work; the endpoint exists, it is switched off).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { oneLine } from '../../core/untrusted.js';
import type { Canary, RouteCommand } from './canary.js';

export const ADMIN_KEY_ENV = 'HOLY_GATEWAY_ADMIN_KEY';
export const ADMIN_PATH = '/admin/route';

/**
 * Does the request's `Authorization: Bearer …` (or `x-holy-admin-key`) carry the admin key? Compared
 * in constant time: both sides are hashed first, so neither the length nor a prefix of the key leaks.
 */
export function adminKeyMatches(expected: string | undefined, presented: string | undefined): boolean {
  if (!expected || !presented) return false;
  const token = presented.replace(/^\s*Bearer\s+/i, '').trim();
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(expected.trim()).digest();
  return timingSafeEqual(a, b);
}

export interface AdminAnswer {
  status: number;
  body: unknown;
}

const err = (status: number, code: string, message: string, param: string | null = null, type = 'invalid_request_error'): AdminAnswer => ({ status, body: { error: { message, type, param, code } } });

/** Parse a POST body into one command; a bad body gets one sentence naming the field and the fix. */
export function parseRouteCommand(body: unknown): { cmd: RouteCommand; who: string; why: string } | { error: AdminAnswer } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: err(400, 'invalid_body', 'POST /admin/route needs a JSON object: {"percent": 25}, {"promote": true} or {"rollback": true}, with optional "why" and "who".') };
  const b = body as Record<string, unknown>;
  const given = (['percent', 'promote', 'rollback'] as const).filter((k) => b[k] !== undefined && b[k] !== false);
  if (given.length !== 1) return { error: err(400, 'invalid_body', `POST /admin/route takes exactly one of "percent", "promote", "rollback" (got ${given.length ? given.join(', ') : 'none'}); send e.g. {"percent": 25}.`, given[1] ?? null) };
  const text = (k: 'who' | 'why', max: number): string | AdminAnswer | undefined => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return err(400, 'invalid_body', `"${k}" must be a string, e.g. "${k === 'why' ? 'p99 looks fine after 1 h' : 'alice'}".`, k);
    return oneLine(v).slice(0, max);
  };
  const who = text('who', 100);
  const why = text('why', 500);
  if (who && typeof who === 'object') return { error: who };
  if (why && typeof why === 'object') return { error: why };
  let cmd: RouteCommand;
  if (given[0] === 'percent') {
    const p = b.percent;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100 || Math.round(p * 100) !== p * 100) {
      return { error: err(400, 'invalid_percent', `"percent" must be a number from 0 to 100 with at most two decimals (got ${JSON.stringify(p)}); e.g. {"percent": 25}.`, 'percent') };
    }
    cmd = { percent: p };
  } else if (given[0] === 'promote') {
    if (b.promote !== true) return { error: err(400, 'invalid_body', '"promote" must be true: {"promote": true}.', 'promote') };
    cmd = { promote: true };
  } else {
    if (b.rollback !== true) return { error: err(400, 'invalid_body', '"rollback" must be true: {"rollback": true}.', 'rollback') };
    cmd = { rollback: true };
  }
  return { cmd, who: (who as string | undefined) || 'admin', why: (why as string | undefined) || 'no reason given' };
}

/**
 * Answer an admin request; null when the path is not /admin/route (the server answers 404). `enabled`
 * is whether HOLY_GATEWAY_ADMIN_KEY is set; `authorized` whether this request carried it.
 */
export async function routeAdmin(canary: Canary, method: string, path: string, body: unknown, authorized: boolean, enabled: boolean): Promise<AdminAnswer | null> {
  const p = path.split('?')[0]!.replace(/\/+$/, '');
  if (p !== ADMIN_PATH) return null;
  if (!enabled) return err(403, 'admin_disabled', `the admin endpoint is off: start the gateway with ${ADMIN_KEY_ENV} set (a secret of your own, not a tenant key) and send it as "Authorization: Bearer …".`, null, 'permission_error');
  if (!authorized) return err(401, 'invalid_admin_key', `missing or wrong admin key: send ${ADMIN_KEY_ENV}'s value as "Authorization: Bearer …" (tenant keys are not accepted here).`, null, 'authentication_error');
  if (method === 'GET') return { status: 200, body: await canary.status() };
  if (method !== 'POST') return err(405, 'method_not_allowed', `${method} /admin/route is not supported; use GET to read the route or POST to change it.`);
  if (!canary.configured) return err(409, 'no_canary', 'the route has no canary: add "route": {"canary": {"provider": …, "percent": …}} to the gateway config and reload (SIGHUP).');
  const c = parseRouteCommand(body);
  if ('error' in c) return c.error;
  await canary.change(c.cmd, c.who, c.why);
  return { status: 200, body: await canary.status() };
}
