/**
 * Tenant keys of `holy gateway`: made here, shown once, stored only as a hash in the state SQLite file.
 *
 * A key is "hk-" + 36 base62 characters from the OS CSPRNG (≈214 random bits). Its SHA-256 is stored,
 * not a slow password hash: with that much entropy nothing can be guessed from the hash, and the
 * gateway checks every request, so a per-request bcrypt/scrypt would only cost latency. The first
 * 6 characters after "hk-" are kept in clear as the key's prefix (for `keys list` and `keys revoke`);
 * the 178 bits left are still far beyond guessing.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { openDatabase, type Db } from './sqlite.js';
import { HolyError, UsageError } from '../errors.js';

export const KEY_PREFIX = 'hk-';
const BODY_CHARS = 36;
const SHOWN = 6;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh tenant key: unbiased base62 (rejection sampling over random bytes). */
export function newTenantKey(): string {
  let body = '';
  while (body.length < BODY_CHARS) {
    for (const b of randomBytes(64)) {
      if (b < 248 && body.length < BODY_CHARS) body += BASE62[b % 62]; // 248 = 4·62: no modulo bias
    }
  }
  return KEY_PREFIX + body;
}

/** The part of a key that may be shown: "hk-AbC12x". */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + SHOWN);
}

/** The stored form of a key: its SHA-256 (the state file and the Redis store keep the same). */
export function keyHash(key: string): Buffer {
  // The one-shot form (Node ≥ 20.12): no Hash object per request.
  return hash('sha256', key, 'buffer');
}
const digest = keyHash;

/** `keys revoke SPEC`: every key of the tenant SPEC, or the key(s) whose shown prefix SPEC is (a trailing … or ... allowed). */
export function revokeMatches(spec: string, r: KeyRow): boolean {
  const p = spec.replace(/(…|\.\.\.)$/, '');
  const byPrefix = p.startsWith(KEY_PREFIX) && p.length >= KEY_PREFIX.length + 4 && (r.prefix.startsWith(p) || (p.length > r.prefix.length && p.startsWith(r.prefix)));
  return r.tenant === spec || byPrefix;
}

export interface KeyRow {
  tenant: string;
  prefix: string;
  created: number;
}

/** The in-memory index the server checks requests against: prefix → candidates, compared in constant time. */
export class KeyIndex {
  private readonly byPrefix = new Map<string, { hash: Buffer; tenant: string }[]>();
  constructor(rows: readonly { tenant: string; prefix: string; hash: Buffer }[] = []) {
    for (const r of rows) {
      let list = this.byPrefix.get(r.prefix);
      if (!list) this.byPrefix.set(r.prefix, (list = []));
      list.push({ hash: r.hash, tenant: r.tenant });
    }
  }
  /** Tenants that hold at least one key. */
  tenants(): Set<string> {
    const t = new Set<string>();
    for (const l of this.byPrefix.values()) for (const c of l) t.add(c.tenant);
    return t;
  }
  get size(): number {
    let n = 0;
    for (const l of this.byPrefix.values()) n += l.length;
    return n;
  }
  /** The tenant a presented key belongs to, or undefined. The hashes are compared with timingSafeEqual. */
  tenantOf(key: string): string | undefined {
    if (!key.startsWith(KEY_PREFIX) || key.length !== KEY_PREFIX.length + BODY_CHARS) return undefined;
    const list = this.byPrefix.get(keyPrefix(key));
    if (!list) return undefined;
    const h = digest(key);
    let found: string | undefined;
    for (const c of list) if (timingSafeEqual(c.hash, h)) found = c.tenant;
    return found;
  }
}

export interface KeyStore {
  /** Make a key for a tenant, store its hash; the key itself is returned once and never stored. */
  add(tenant: string, now: number): { key: string; prefix: string };
  list(): KeyRow[];
  /** Remove every key of a tenant, or the key(s) with this prefix; returns what was removed. */
  revoke(tenantOrPrefix: string): KeyRow[];
  /** Everything the server needs to check keys. */
  index(): KeyIndex;
  close(): void;
}

type Awaitable<T> = T | Promise<T>;
/** A KeyStore that may answer later: the state file's (at once) or Redis's (gateway/store/keys.ts); callers await either. */
export interface TenantKeys {
  add(tenant: string, now: number): Awaitable<{ key: string; prefix: string }>;
  list(): Awaitable<KeyRow[]>;
  revoke(tenantOrPrefix: string): Awaitable<KeyRow[]>;
  index(): Awaitable<KeyIndex>;
  close(): Awaitable<void>;
  /** Where the hashes live, for messages: the state file's path or the Redis URL (password masked). */
  readonly where?: string;
}

/** Open (creating) the state file's key table; a file that cannot be opened is a usage error naming it. */
export function openKeyStore(path: string, o: { readonly?: boolean } = {}): KeyStore {
  let db: Db;
  try {
    db = openDatabase(path, o);
  } catch (e) {
    if (e instanceof HolyError) throw e;
    throw new UsageError(`the gateway state file ${path} cannot be opened (${(e as Error).message}); fix "state" in the gateway section (its folder must exist and be writable).`);
  }
  if (!o.readonly) {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS tenant_keys (
      hash    BLOB PRIMARY KEY,
      prefix  TEXT NOT NULL,
      tenant  TEXT NOT NULL,
      created INTEGER NOT NULL
    )`);
  }
  const rows = () =>
    (db.prepare('SELECT tenant, prefix, created, hash FROM tenant_keys ORDER BY created, prefix').all() as { tenant: string; prefix: string; created: number; hash: Uint8Array }[]).map((r) => ({
      tenant: r.tenant,
      prefix: r.prefix,
      created: Number(r.created),
      hash: Buffer.from(r.hash),
    }));
  return {
    add(tenant, now) {
      const key = newTenantKey();
      db.prepare('INSERT INTO tenant_keys (hash, prefix, tenant, created) VALUES (?, ?, ?, ?)').run(digest(key), keyPrefix(key), tenant, now);
      return { key, prefix: keyPrefix(key) };
    },
    list: () => rows().map(({ tenant, prefix, created }) => ({ tenant, prefix, created })),
    revoke(spec) {
      const hit = rows().filter((r) => revokeMatches(spec, r));
      for (const r of hit) db.prepare('DELETE FROM tenant_keys WHERE hash = ?').run(r.hash);
      return hit.map(({ tenant, prefix, created }) => ({ tenant, prefix, created }));
    },
    index: () => new KeyIndex(rows()),
    close: () => db.close(),
  };
}
