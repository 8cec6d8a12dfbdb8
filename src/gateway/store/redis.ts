/**
 * The Redis store: the gateway's shared state for several replicas (docs/scaling.md). ioredis for the
 * connection; every call (get, set, setIfAbsent, incr, del, and the quota windows) is an operation of ONE
 * Lua script, BATCH_LUA, and the operations called in one tick go to Redis together as one EVALSHA (flushed
 * by process.nextTick, so nothing waits for the rest of the event loop's turn): a request's quota admission
 * and its breaker reads are one round trip; the bookkeeping after an answer (marked `later`) waits up to
 * LATER_MS = 5 ms to ride with the next flush (under load, the next request's admission) or goes alone.
 * The script runs its operations in call order and atomically (nothing of another client in between).
 *
 * The RPM/TPM windows (windows(), adjustWindow()) are rate-limiter-flexible's fixed windows, same keys and
 * values, implemented in the script: rate-limiter-flexible's RateLimiterRedis costs one script per limiter
 * and per give-back (a refused request: 2 consumes + 2 rewards; a settle: a MULTI read + a reward), where
 * here both windows are checked and counted together and a refusal counts nothing. limiter() (a
 * RateLimiterRedis) stays for callers that want one. Every key starts with `holy:` (or the configured prefix).
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

/**
 * One batch of store operations, run in order, atomically. ARGV: per operation its name, its number of keys
 * and of arguments, then the arguments; KEYS: the operations' keys in the same order. Returns one reply per
 * operation (false for a missing value).
 *
 *   get K                 → the value or false
 *   set K V PX            → 1 (PX 0: no expiry)
 *   setnx K V PX          → 1 when this call set it, 0 otherwise
 *   incr K BY PX          → the new value (a key this call created gets PX when PX > 0)
 *   del K                 → 1
 *   mget K1..Kn           → their values (false for a missing one)
 *   win K1..Kn MODE DUR P1 L1 .. Pn Ln
 *                         → {ok, c1, t1, r1, .., cn, tn, rn}: rate-limiter-flexible's fixed windows (value =
 *                           count, TTL = the window, opened by the first count); MODE "c" counts Pi on every
 *                           item and, when one passes its limit Li (ri = 1), takes every count back (a window
 *                           this call opened is deleted): a refusal counts nothing. "r" only reads. ci is the
 *                           count after, ti the window's PTTL (-2: none). Commands: INCRBY + PTTL per counted
 *                           item (+EXPIRE when it opens a window), GET + PTTL per read one.
 *   adj K BY DUR          → BY > 0: count BY (a new window of DUR s when none); BY < 0: give back up to -BY,
 *                           never below 0, nothing when no window is open (one INCRBY or DECRBY; PTTL and
 *                           EXPIRE, DEL or INCRBY only when it opened a window or went below 0)
 */
const BATCH_LUA = `
local out = {}
local ki = 1
local ai = 1
local n = #ARGV
local function window(k, pts, dur)
  local c = redis.call('INCRBY', k, pts)
  local t = redis.call('PTTL', k)
  if t < 0 then redis.call('EXPIRE', k, dur); t = 1000 * dur end
  return c, t
end
while ai <= n do
  local op = ARGV[ai]
  local nk = tonumber(ARGV[ai + 1])
  local na = tonumber(ARGV[ai + 2])
  local a = ai + 3
  local k = KEYS[ki]
  local r
  if op == 'get' then
    r = redis.call('GET', k)
  elseif op == 'set' then
    if tonumber(ARGV[a + 1]) > 0 then redis.call('SET', k, ARGV[a], 'PX', ARGV[a + 1]) else redis.call('SET', k, ARGV[a]) end
    r = 1
  elseif op == 'setnx' then
    r = redis.call('SET', k, ARGV[a], 'PX', ARGV[a + 1], 'NX') and 1 or 0
  elseif op == 'incr' then
    local existed = redis.call('EXISTS', k)
    r = redis.call('INCRBY', k, ARGV[a])
    if existed == 0 and tonumber(ARGV[a + 1]) > 0 then redis.call('PEXPIRE', k, ARGV[a + 1]) end
  elseif op == 'del' then
    redis.call('DEL', k)
    r = 1
  elseif op == 'mget' then
    r = redis.call('MGET', unpack(KEYS, ki, ki + nk - 1))
  elseif op == 'win' then
    local consume = ARGV[a] == 'c'
    local dur = tonumber(ARGV[a + 1])
    local ok = 1
    local cur, ttl, pts, refused = {}, {}, {}, {}
    for i = 0, nk - 1 do
      local key = KEYS[ki + i]
      pts[i] = consume and tonumber(ARGV[a + 2 + 2 * i]) or 0
      refused[i] = 0
      if pts[i] > 0 then
        cur[i], ttl[i] = window(key, pts[i], dur)
        if cur[i] > tonumber(ARGV[a + 3 + 2 * i]) then refused[i] = 1; ok = 0 end
      else
        cur[i] = tonumber(redis.call('GET', key) or '0') or 0
        ttl[i] = redis.call('PTTL', key)
      end
    end
    if ok == 0 then
      -- a refusal counts nothing: take back what this call counted (and the window it opened, if any)
      for i = 0, nk - 1 do
        if pts[i] > 0 then
          cur[i] = cur[i] - pts[i]
          if cur[i] <= 0 and ttl[i] == 1000 * dur then redis.call('DEL', KEYS[ki + i]); ttl[i] = -2
          else redis.call('DECRBY', KEYS[ki + i], pts[i]) end
        end
      end
    end
    r = {ok}
    for i = 0, nk - 1 do
      r[#r + 1] = cur[i]
      r[#r + 1] = ttl[i]
      r[#r + 1] = refused[i]
    end
  elseif op == 'adj' then
    local by = tonumber(ARGV[a])
    local dur = tonumber(ARGV[a + 1])
    r = 0
    if by > 0 then
      -- one INCRBY; the window's end is looked at only when this count may have opened it
      local c = redis.call('INCRBY', k, by)
      if c == by and redis.call('PTTL', k) < 0 then redis.call('EXPIRE', k, dur) end
    else
      -- one DECRBY; below zero, it either created the key (no window: delete it) or passed 0 (back to 0)
      local c = redis.call('DECRBY', k, -by)
      if c < 0 then
        if redis.call('PTTL', k) < 0 then redis.call('DEL', k) else redis.call('INCRBY', k, -c) end
      end
    end
  else
    return redis.error_reply('holy batch: unknown operation ' .. tostring(op))
  end
  out[#out + 1] = r
  ki = ki + nk
  ai = a + na
end
return out`;

/** The longest bookkeeping after an answer (getMany/adjustWindow with `later`) waits to share another round trip. */
const LATER_MS = 5;

/** At most this many operations in one script (a long script holds Redis for every other client). */
const MAX_BATCH = 256;

type HolyRedis = Redis & { holyBatch(...args: Array<string | number>): Promise<unknown[]> };

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
  // No numberOfKeys: the number of keys is the first argument (a batch has as many as its operations).
  client.defineCommand('holyBatch', { lua: BATCH_LUA });
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
  interface Op {
    name: string;
    keys: string[];
    args: Array<string | number>;
    resolve(v: unknown): void;
    reject(e: unknown): void;
  }
  let queue: Op[] = [];
  let scheduled = false;
  let timer: NodeJS.Timeout | undefined;
  /** Send what was called in this tick (and the bookkeeping waiting) as one script; each caller gets its own reply. */
  const flush = () => {
    scheduled = false;
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const ops = queue.length > MAX_BATCH ? queue.splice(0, MAX_BATCH) : queue;
      if (ops === queue) queue = [];
      const keys: string[] = [];
      const argv: Array<string | number> = [];
      for (const op of ops) {
        for (const key of op.keys) keys.push(key);
        argv.push(op.name, op.keys.length, op.args.length);
        for (const a of op.args) argv.push(a);
      }
      client.holyBatch(keys.length, ...keys, ...argv).then(
        (replies) => {
          for (let i = 0; i < ops.length; i++) ops[i]!.resolve(replies[i]);
        },
        (err: unknown) => {
          const e = new StoreUnavailable(why(err));
          for (const op of ops) op.reject(e);
        },
      );
    }
  };
  /**
   * Queue one operation. `later` (bookkeeping after an answer): it may wait up to LATER_MS for another flush
   * (the next request's admission, under load) instead of a round trip of its own.
   */
  const call = (name: string, keys: string[], args: Array<string | number>, later = false): Promise<unknown> => {
    // Redis away: fail at once, as a single command would (no offline queue).
    if (client.status !== 'ready') return Promise.reject(new StoreUnavailable(lastError || `Redis connection is ${client.status}`));
    return new Promise((resolve, reject) => {
      queue.push({ name, keys, args, resolve, reject });
      if (scheduled) return;
      if (!later) {
        scheduled = true;
        process.nextTick(flush);
      } else if (!timer) timer = setTimeout(flush, LATER_MS);
    });
  };
  const px = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));
  const wkey = (keyPrefix: string, key: string) => `${prefix}rl:${keyPrefix}:${key}`;

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
    get: async (key) => {
      const v = await call('get', [k(key)], []);
      return v === null || v === undefined || v === false ? undefined : String(v);
    },
    set: async (key, value, ttlMs) => void (await call('set', [k(key)], [value, ttlMs === undefined ? 0 : px(ttlMs)])),
    setIfAbsent: async (key, value, ttlMs) => Number(await call('setnx', [k(key)], [value, px(ttlMs)])) === 1,
    incr: (key, by, ttlMs) => {
      if (!Number.isSafeInteger(by)) return Promise.reject(new TypeError(`incr("${key}", ${by}): by must be an integer`));
      return call('incr', [k(key)], [by, ttlMs === undefined ? 0 : px(ttlMs)]).then(Number);
    },
    del: async (key) => void (await call('del', [k(key)], [])),
    getMany: async (keys, o) => {
      if (keys.length === 0) return [];
      const r = (await call('mget', keys.map(k), [], o?.later)) as Array<string | null | false>;
      return keys.map((_, i) => (r[i] === null || r[i] === undefined || r[i] === false ? undefined : String(r[i])));
    },
    windows: async (w) => {
      const args: Array<string | number> = [w.mode === 'consume' ? 'c' : 'r', Math.max(1, Math.floor(w.durationS))];
      for (const it of w.items) {
        if (!Number.isSafeInteger(it.points) || it.points < 0) throw new TypeError(`windows: points must be a whole number ≥ 0, got ${it.points}`);
        args.push(it.points, Math.floor(it.limit));
      }
      const r = (await call('win', w.items.map((it) => wkey(it.keyPrefix, it.key)), args)) as number[];
      return {
        ok: Number(r[0]) === 1,
        items: w.items.map((_, i) => ({ consumed: Number(r[1 + 3 * i]), msLeft: Number(r[2 + 3 * i]), refused: Number(r[3 + 3 * i]) === 1 })),
      };
    },
    adjustWindow: async (a) => {
      if (!Number.isSafeInteger(a.by)) throw new TypeError(`adjustWindow: by must be an integer, got ${a.by}`);
      if (a.by === 0) return;
      await call('adj', [wkey(a.keyPrefix, a.key)], [a.by, Math.max(1, Math.floor(a.durationS))], a.later);
    },
    healthy: () => client.status === 'ready',
    close: async () => {
      closing = true;
      if (timer) flush();
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
