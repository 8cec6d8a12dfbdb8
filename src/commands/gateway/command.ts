/** `holy gateway`: the multi-tenant gateway (tenant keys, plans, quotas, fair scheduling, fallback, ledger) and its `keys` subcommands. */
import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';
import { registerRoute } from './route-command.js';
import type { GatewayFlags } from './run.js';

export function register(program: Command, ctx: Ctx): void {
  const gw = program
    .command('gateway')
    .description(
      'Run the multi-tenant GATEWAY in front of your providers: OpenAI-compatible (POST /v1/chat/completions, POST /v1/embeddings, ' +
        'GET /v1/models, /healthz, /metrics), tenant keys (hk-…), per-plan models/tools/limits, RPM/TPM quotas, fair queueing, ' +
        'fallback before the first byte, and a SQLite billing ledger that holy roi reads. Configured by the "gateway" section of ' +
        'holy.config.json. Prints its base URL as the first stdout line, logs JSON lines on stderr; SIGHUP reloads the config and ' +
        'keys, Ctrl-C/SIGTERM drains requests in flight and exits 0.',
    )
    .option('--port <n>', 'TCP port (0 = a free one)', '8787')
    .option('--host <addr>', 'address to bind; anything but loopback is reachable from other machines (a loud warning)', '127.0.0.1')
    .option('--drain <s>', 'on Ctrl-C/SIGTERM, seconds to let requests in flight finish', '10')
    .option('--max-body <size>', 'largest request body accepted (413 beyond), e.g. 4MiB (default), 512KiB')
    .option('--client-timeout <s>', 'seconds a client has to send its request headers (slow clients are cut off with 408); the whole request gets 6× that', '10')
    .option('--record <file>', 'write served chat requests with answers and timings as holy results JSONL (0600; off by default: prompts are sensitive), for holy bench FILE --old recorded')
    .option('--record-sample <share>', 'with --record: share of requests written, 0-1 (default 1)')
    .option('--record-redact <regex>', 'with --record (and the shadow recording): mask matches in prompts and answers before they touch the disk; repeatable', collect)
    .option('--record-max-mb <n>', 'with --record: rotate the file at this size (FILE.1, FILE.2, …; default 100)')
    .option('--record-keep <n>', 'with --record: rotated files kept (default 5)')
    .option('--store <url>', 'shared store for quotas, breakers, canary state and tenant keys across replicas: redis://HOST:PORT/DB, or "embedded" (overrides gateway.store; give the same to keys add/list/revoke)')
    .option('--notify <url>', 'POST a canary rollback to this webhook (Slack-compatible, as migrate --notify)')
    .addHelpText(
      'after',
      examples([
        'holy gateway keys add acme                  # prints a tenant key (hk-…) once; only its hash is stored',
        'holy gateway --port 8787                    # serves http://127.0.0.1:8787/v1 until Ctrl-C',
        '# the app: OPENAI_BASE_URL=http://127.0.0.1:8787/v1 OPENAI_API_KEY=hk-…',
        'holy gateway keys list',
        'holy gateway keys revoke acme               # or a key prefix: keys revoke hk-AbC12x',
        '# reload plans, tenants, route and keys without dropping a connection: kill -HUP <pid>',
        'holy roi holy-ledger.db --by tenant          # the ledger is roi\'s input: the monthly bill per tenant',
      ]),
    )
    .addHelpText('after', reference('gateway'))
    .action(lazyAction<GatewayFlags>(ctx, () => import('./run.js')));

  registerRoute(gw, ctx);

  const keys = gw
    .command('keys')
    .description('Manage tenant keys (stored as SHA-256 hashes in the gateway state file, gateway.state, or in Redis when gateway.store is set).')
    .addHelpText('after', reference('gateway'));
  keys
    .command('add')
    .argument('<tenant>', 'a tenant named in gateway.tenants')
    .description('Make a key for TENANT and print it once (with --json: {"tenant","key"}); only its hash is stored.')
    .addHelpText('after', examples(['holy gateway keys add acme', 'holy --json gateway keys add acme']) + reference('gateway'))
    .action(lazyAction(ctx, () => import('./keys.js')));
  keys
    .command('list')
    .description('List tenant keys: tenant, key prefix, created.')
    .addHelpText('after', reference('gateway'))
    .action(lazyAction(ctx, () => import('./keys.js')));
  keys
    .command('revoke')
    .argument('<tenant|prefix>', 'a tenant (all its keys) or a key prefix as keys list shows it')
    .description('Revoke every key of a tenant, or the key with this prefix; a running gateway drops it on SIGHUP (with gateway.store, every replica within a second).')
    .addHelpText('after', examples(['holy gateway keys revoke acme                # every key of tenant acme', '# one key, by the prefix keys list shows: holy gateway keys revoke hk-AbC12x']) + reference('gateway'))
    .action(lazyAction(ctx, () => import('./keys.js')));
}
