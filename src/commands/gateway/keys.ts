/** `holy gateway keys add|list|revoke`: tenant keys in the state file (only their SHA-256 is stored). */
import { existsSync } from 'node:fs';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import type { Invocation } from '../kit.js';
import { closest } from '../../core/suggest.js';
import type { KeyRow } from '../../adapters/gateway-keys.js';
import { openTenantKeys } from '../../gateway/store/keys.js';
import { formatTable } from '../../ui/table.js';
import { loadGatewayConfig } from './setup.js';

const RELOAD = 'a running gateway picks the change up on SIGHUP (kill -HUP <pid>)';
const RELOAD_SHARED = 'every running replica picks the change up within a second (gateway.store: the keys live in Redis)';

export async function addKey(tenant: string, ctx: Ctx, g: GlobalOpts, out: Out): Promise<{ tenant: string; key: string; prefix: string }> {
  const l = await loadGatewayConfig(ctx, g);
  if (!Object.hasOwn(l.config.tenants, tenant)) {
    const known = Object.keys(l.config.tenants);
    const near = closest(tenant, known);
    throw new UsageError(
      `tenant ${JSON.stringify(tenant)} is not in ${l.label} (gateway.tenants: ${known.join(', ') || 'none'})${near ? `; did you mean ${near}?` : '.'}`,
      `add it first, e.g. "tenants": {"${tenant}": {"plan": "${Object.keys(l.config.plans)[0]}"}}, then run this again.`,
    );
  }
  const store = await openTenantKeys(l.config, l.statePath);
  let made: { key: string; prefix: string };
  try {
    made = await store.add(tenant, ctx.now());
  } finally {
    await store.close();
  }
  if (out.mode === 'json') out.json({ tenant, key: made.key });
  else out.line(made.key);
  out.info(`holy gateway: key ${made.prefix}… made for tenant ${tenant}. It is shown only now: holy keeps its SHA-256 in ${store.where ?? l.statePath}, never the key; ${l.config.store ? RELOAD_SHARED : RELOAD}.`);
  return { tenant, ...made };
}

export async function listKeys(ctx: Ctx, g: GlobalOpts, out: Out): Promise<KeyRow[]> {
  const l = await loadGatewayConfig(ctx, g);
  let rows: KeyRow[] = [];
  let where = l.statePath;
  // No shared store and no state file yet: no keys (listing does not create one).
  if (l.config.store !== undefined || existsSync(l.statePath)) {
    const store = await openTenantKeys(l.config, l.statePath);
    try {
      rows = await store.list();
      where = store.where ?? where;
    } finally {
      await store.close();
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (out.mode === 'json') out.json(rows.map((r) => ({ tenant: r.tenant, prefix: r.prefix, created: iso(r.created) })));
  else if (rows.length === 0) out.info(`holy gateway: no tenant keys in ${where}; make one with holy gateway keys add TENANT.`);
  else
    ctx.stdout.write(
      formatTable(
        out,
        [
          { header: 'tenant', align: 'left' },
          { header: 'key', align: 'left' },
          { header: 'created', align: 'left' },
        ],
        rows.map((r) => [r.tenant, `${r.prefix}…`, iso(r.created)]),
      ) + '\n',
    );
  return rows;
}

export async function revokeKeys(spec: string, ctx: Ctx, g: GlobalOpts, out: Out): Promise<KeyRow[]> {
  const l = await loadGatewayConfig(ctx, g);
  const store = await openTenantKeys(l.config, l.statePath);
  let gone: KeyRow[];
  try {
    gone = await store.revoke(spec.trim());
  } finally {
    await store.close();
  }
  if (gone.length === 0 && Object.hasOwn(l.config.tenants, spec.trim())) {
    // Revoking a configured tenant's keys is idempotent: none left is the state asked for.
    out.info(`holy gateway: tenant ${spec.trim()} has no keys; nothing to revoke.`);
    if (out.mode === 'json') out.json({ revoked: [] });
    return gone;
  }
  if (gone.length === 0) throw new UsageError(`no key matches ${JSON.stringify(spec)}: give a tenant name or a key prefix as \`holy gateway keys list\` shows it (e.g. hk-AbC12x).`);
  if (out.mode === 'json') out.json({ revoked: gone.map((r) => ({ tenant: r.tenant, prefix: r.prefix })) });
  else out.line(`revoked ${gone.length} key${gone.length === 1 ? '' : 's'}: ${gone.map((r) => `${r.prefix}… (${r.tenant})`).join(', ')}`);
  out.info(`holy gateway: ${l.config.store ? RELOAD_SHARED : RELOAD}.`);
  return gone;
}

export default async function handler(inv: Invocation<Record<string, never>>): Promise<void> {
  const verb = inv.command.name();
  const arg = inv.args[0] as string | undefined;
  if (verb === 'add') await addKey(arg!, inv.ctx, inv.g, inv.out);
  else if (verb === 'list') await listKeys(inv.ctx, inv.g, inv.out);
  else await revokeKeys(arg!, inv.ctx, inv.g, inv.out);
}
