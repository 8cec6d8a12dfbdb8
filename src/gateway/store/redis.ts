/**
 * The Redis store: the gateway's shared state for several replicas (docs/scaling.md). ioredis for the
 * connection, rate-limiter-flexible's RateLimiterRedis for the RPM/TPM windows (its own atomic Lua),
 * plain commands for the rest: GET, SET PX, SET NX PX, DEL, and one small Lua script for incr (INCRBY and
 * PEXPIRE of a new key in one atomic step). Every key starts with `holy:` (or the configured prefix).
 *
 * Failure behaviour: commands never queue while Redis is away (no offline queue, no resend of
 * unanswered commands, a command timeout), so a request is never held by a dead store; every failure
 * rejects with StoreUnavailable. What happens then is the policy's business (store/index.ts).
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { StoreUnavailable, type GatewayStore } from '../contract.js';
import { UsageError } from '../../errors.js';

/** What onDown/onUp hear: the URL with its password masked, and why (the connection error). */
export interface StoreEvent {
  url: string;
  why: string;
}
export interface RedisStoreOptions {
  /** Redis went away while running (once per outage). */
  onDown?(e: StoreEvent): void;
  /** Redis is back (once per outage, not at start-up). */
  onUp?(e: StoreEvent): void;
  /** Key prefix; default "holy:". */
  prefix?: string;
  /** Connecting at start-up gives up after this; default 2000 ms. */
  connectTimeoutMs?: number;
  /** A command without an answer fails after this; default 1000 ms. */
  commandTimeoutMs?: number;
  /** Reconnect attempts while Redis is away: every min(100 ms × attempt, this); default 1000 ms. */
  maxReconnectDelayMs?: number;
}

/** A GatewayStore on Redis, plus what the fallback wrapper and the key store need. */
export interface RedisGatewayStore extends GatewayStore {
  readonly kind: 'redis';
  /** The URL with its password masked. */
  readonly url: string;
  readonly prefix: string;
  /** The ioredis client (the key store and tests use it; keys must carry `prefix`). */
  readonly client: Redis;
  /** limiter() with an insurance limiter that answers whenever Redis cannot (the "open" policy). */
  limiter(o: { keyPrefix: string; points: number; durationS: number }, insurance?: RateLimiterAbstract): RateLimiterAbstract;
}

/** The URL as it may be printed: the password (and a user name's password) replaced by ****. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    // Not a URL at all: print nothing of it that could be a secret.
    return url.replace(/\/\/[^@/]*@/, '//****@');
  }
}

/** Checks the URL's shape before any connection: redis:// or rediss://, a host. */
export function checkRedisUrl(url: string, field = 'gateway.store'): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(
      `${field} "${maskRedisUrl(url)}" is not a URL.`,
      'Write it as redis://HOST:PORT/DB (e.g. redis://127.0.0.1:6379/0), or remove "store" to use the embedded single-process store.',
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(
      `${field} "${maskRedisUrl(url)}": expected a redis:// or rediss:// URL.`,
      'Write it as redis://HOST:PORT/DB (e.g. redis://127.0.0.1:6379/0), or remove "store" to use the embedded single-process store.',
    );
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new UsageError(`${field} "${maskRedisUrl(url)}": the database "/${db}" is not a number.`, 'End the URL with /0 (or another database number), or leave the path out.');
  }
}

/** INCRBY, and a TTL for a key this call created: one atomic step (a key that existed keeps its TTL). */
const INCR_LUA = `
local existed = redis.call('EXISTS', KEYS[1])
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

type HolyRedis = Redis & { holyIncr(key: string, by: string, ttlMs: string): Promise<number> };

function why(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * RateLimiterRedis whose store failures reject with StoreUnavailable (over-limit stays a RateLimiterRes),
 * and which tells `onInsured` each time its insurance limiter answered instead of Redis.
 */
class HolyRedisLimiter extends RateLimiterRedis {
  constructor(
    opts: ConstructorParameters<typeof RateLimiterRedis>[0],
    private readonly onInsured: (() => void) | undefined,
  ) {
    super(opts);
  }
  // rate-limiter-flexible's one error path (RateLimiterInsuredAbstract._handleError): every operation's
  // failure goes through it before the insurance limiter is asked or the caller's promise rejects.
  _handleError(err: unknown, funcName: string, resolve: (v: unknown) => void, reject: (e: unknown) => void, params: unknown[]): void {
    const isLimit = err instanceof RateLimiterRes;
    const wrapped = isLimit || err instanceof StoreUnavailable ? err : new StoreUnavailable(why(err));
    if (!isLimit && (this as { insuranceLimiter?: unknown }).insuranceLimiter) this.onInsured?.();
    (RateLimiterRedis.prototype as unknown as { _handleError: (...a: unknown[]) => void })._handleError.call(this, wrapped, funcName, resolve, reject, params);
  }
}

/**
 * Connects to Redis (exit 2 with the masked URL and the fix when it cannot within connectTimeoutMs) and
 * returns the store. After start-up it reconnects forever in the background; onDown/onUp report outages.
 */
export async function redisStore(url: string, o: RedisStoreOptions & { onInsured?: () => void } = {}): Promise<RedisGatewayStore> {
  checkRedisUrl(url);
  const shown = maskRedisUrl(url);
  const prefix = o.prefix ?? 'holy:';
  const maxDelay = o.maxReconnectDelayMs ?? 1000;
  let started = false;
  let closing = false;
  let up = false;
  let lastError = '';
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: o.connectTimeoutMs ?? 2000,
    commandTimeout: o.commandTimeoutMs ?? 1000,
    // Nothing waits for a Redis that is away: commands fail at once, unanswered ones are not resent
    // (an INCR sent twice would count twice), and the answer is the policy's.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // At start-up a failure is final (exit 2); once running, reconnect forever.
    retryStrategy: (times) => (started && !closing ? Math.min(times * 100, maxDelay) : null),
    reconnectOnError: () => false,
    // No auto-pipelining: ioredis 5.11's auto-pipeline throws a TypeError out of its exec callback when the
    // connection drops with a pipeline in flight (results shorter than its callbacks), an uncaught error
    // in the gateway; Redis killed mid-run showed it. Each command is its own write.
    enableAutoPipelining: false,
  }) as HolyRedis;
  client.defineCommand('holyIncr', { numberOfKeys: 1, lua: INCR_LUA });
  client.on('error', (err: unknown) => {
    lastError = why(err);
  });
  client.on('ready', () => {
    if (up) return;
    up = true;
    if (started) o.onUp?.({ url: shown, why: 'reconnected' });
  });
  client.on('close', () => {
    if (!up) return;
    up = false;
    if (started && !closing) o.onDown?.({ url: shown, why: lastError || 'connection closed' });
  });

  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    closing = true;
    client.disconnect();
    const reason = lastError || why(err);
    const auth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(reason);
    throw new UsageError(
      `gateway.store ${shown}: Redis is not reachable (${reason}).`,
      auth
        ? 'Put the right password in the URL (redis://:PASSWORD@HOST:PORT/0, or redis://USER:PASSWORD@… with ACLs).'
        : 'Start Redis there (e.g. `redis-server --port 6379`), fix "gateway.store" in holy.config.json, or remove "store" to use the embedded single-process store.',
    );
  }
  started = true;

  const k = (key: string) => prefix + key;
  const run = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (err) {
      throw err instanceof StoreUnavailable ? err : new StoreUnavailable(why(err));
    }
  };

  return {
    kind: 'redis',
    url: shown,
    prefix,
    client,
    limiter: (lo, insurance) =>
      new HolyRedisLimiter(
        {
          storeClient: client,
          keyPrefix: `${prefix}rl:${lo.keyPrefix}`,
          points: lo.points,
          duration: lo.durationS,
          // ioredis's state says whether Redis can answer: when it cannot, fail (or ask the insurance) at once.
          rejectIfRedisNotReady: true,
          ...(insurance ? { insuranceLimiter: insurance } : {}),
        },
        o.onInsured,
      ),
    get: (key) => run(async () => (await client.get(k(key))) ?? undefined),
    set: (key, value, ttlMs) =>
      run(async () => {
        if (ttlMs === undefined) await client.set(k(key), value);
        else await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
      }),
    setIfAbsent: (key, value, ttlMs) => run(async () => (await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'),
    incr: (key, by, ttlMs) => {
      if (!Number.isSafeInteger(by)) return Promise.reject(new TypeError(`incr("${key}", ${by}): by must be an integer`));
      return run(async () => Number(await client.holyIncr(k(key), String(by), String(ttlMs === undefined ? 0 : Math.max(1, Math.ceil(ttlMs))))));
    },
    del: (key) => run(async () => void (await client.del(k(key)))),
    healthy: () => client.status === 'ready',
    close: async () => {
      closing = true;
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
