/**
 * Tenant key hashes on Redis (docs/scaling.md "Tenant keys"): with `gateway.store` set, `holy gateway keys
 * add|list|revoke` write here instead of the state file, and every replica sees a new or revoked key
 * without a SIGHUP. The format is the state file's: SHA-256 of the key, the shown prefix, the tenant,
 * the creation time; the key itself is never stored.
 *
 *   HASH   holy:keys     field = hex SHA-256 of the key, value = {"tenant","prefix","created"}
 *   STRING holy:keys:v   bumped (INCR, in the same MULTI) on every add and revoke
 *
 * A replica keeps the whole index in memory (a request's key check never touches Redis) and polls
 * holy:keys:v (one GET per pollMs, default 1 s): a change reloads the index (one HGETALL). Redis
 * away: the last index stays in force, so tenants keep authenticating through an outage. Redis back
 * without its data (the version key gone: a restart with no persistence): the replicas write the key
 * hashes they hold back into it.
 */
import type { Redis } from 'ioredis';
import { KeyIndex, keyHash, keyPrefix, newTenantKey, openKeyStore, revokeMatches, type KeyRow, type TenantKeys } from '../../adapters/gateway-keys.js';
import { StoreUnavailable, type GatewayConfig } from '../contract.js';

interface Stored {
  tenant: string;
  prefix: string;
  created: number;
}

function parse(field: string, json: string): (KeyRow & { hash: Buffer }) | undefined {
  try {
    const v = JSON.parse(json) as Partial<Stored>;
    if (typeof v.tenant !== 'string' || typeof v.prefix !== 'string' || typeof v.created !== 'number' || !/^[0-9a-f]{64}$/.test(field)) return undefined;
    return { tenant: v.tenant, prefix: v.prefix, created: v.created, hash: Buffer.from(field, 'hex') };
  } catch {
    return undefined;
  }
}

export interface RedisKeyStore extends TenantKeys {
  /**
   * Calls onChange with a fresh index whenever a replica (or `holy gateway keys`) added or revoked a key;
   * returns stop(). Errors (Redis away) are skipped: the last index stays.
   */
  watch(onChange: (index: KeyIndex) => void, pollMs?: number): () => void;
}

/** The key store on a connected ioredis client; keys under `prefix` (the store's, default "holy:"). */
export function redisKeyStore(client: Redis, prefix = 'holy:', where = 'Redis'): RedisKeyStore {
  const H = `${prefix}keys`;
  const V = `${prefix}keys:v`;
  const wrap = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw new StoreUnavailable((err as Error).message);
    }
  };
  const rows = async () => {
    const all = await wrap(client.hgetall(H));
    return Object.entries(all)
      .map(([f, v]) => parse(f, v))
      .filter((r): r is KeyRow & { hash: Buffer } => r !== undefined)
      .sort((a, b) => a.created - b.created || a.prefix.localeCompare(b.prefix));
  };
  const bare = ({ tenant, prefix: p, created }: KeyRow): KeyRow => ({ tenant, prefix: p, created });
  return {
    where,
    async add(tenant, now) {
      const key = newTenantKey();
      const value: Stored = { tenant, prefix: keyPrefix(key), created: now };
      await wrap(client.multi().hset(H, keyHash(key).toString('hex'), JSON.stringify(value)).incr(V).exec());
      return { key, prefix: value.prefix };
    },
    list: async () => (await rows()).map(bare),
    async revoke(spec) {
      const hit = (await rows()).filter((r) => revokeMatches(spec, r));
      if (hit.length > 0) await wrap(client.multi().hdel(H, ...hit.map((r) => r.hash.toString('hex'))).incr(V).exec());
      return hit.map(bare);
    },
    index: async () => new KeyIndex(await rows()),
    watch(onChange, pollMs = 1000) {
      let last: string | null | undefined;
      /** The rows of the index in force (this replica's copy), to put back into a Redis that lost them. */
      let known: Array<KeyRow & { hash: Buffer }> = [];
      let busy = false;
      const tick = async () => {
        if (busy) return;
        busy = true;
        try {
          const v = await client.get(V);
          if (v === null && typeof last === 'string' && known.length > 0) {
            // The version gone after it was seen (every add and revoke INCRs it, nothing deletes it): Redis came
            // back without its data (a restart with no persistence). The keys in force are written back from this
            // replica's copy (every replica writes the same hashes), so no tenant is refused and `keys list` and
            // the other replicas see them again; the version is set anew, and the next tick reloads as usual.
            const m = client.multi();
            for (const r of known) m.hset(H, r.hash.toString('hex'), JSON.stringify({ tenant: r.tenant, prefix: r.prefix, created: r.created } satisfies Stored));
            await wrap(m.incr(V).exec());
            return;
          }
          if (last === undefined || v !== last) {
            const fresh = await rows();
            if (last !== undefined) onChange(new KeyIndex(fresh));
            known = fresh;
          }
          last = v;
        } catch {
          // Redis away: keep the index in force; the next tick after it returns compares again.
        } finally {
          busy = false;
        }
      };
      void tick();
      const t = setInterval(() => void tick(), pollMs);
      t.unref();
      return () => clearInterval(t);
    },
    close: async () => {},
  };
}

/**
 * The tenant keys for this config: in Redis when `gateway.store` is set (its own connection, closed by
 * close()), else in the state file. For `holy gateway keys` and the gateway's start and SIGHUP reload.
 */
export async function openTenantKeys(cfg: Pick<GatewayConfig, 'store'>, statePath: string): Promise<TenantKeys> {
  if (cfg.store === undefined) return Object.assign(openKeyStore(statePath), { where: statePath });
  const { redisStore } = await import('./redis.js'); // ioredis only when a store URL is set
  const store = await redisStore(cfg.store, { commandTimeoutMs: 5000 });
  const keys = redisKeyStore(store.client, store.prefix, store.url);
  return { ...keys, close: () => store.close() };
}
