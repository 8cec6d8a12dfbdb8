/** `holy migrate` and `holy rollback`: point an app's env file at another provider, and back, losing nothing. */
import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';

/** Flags shared by both commands (filled into MigrateOpts). */
function common(cmd: Command): Command {
  return cmd
    .option('--var <name>', 'also edit this variable (NAME, NAME=url or NAME=key); repeatable', collect)
    .option('--dry-run', 'only print the plan (the default when stdin is not a terminal and --yes is absent)')
    .option('-y, --yes', 'apply without asking')
    .option('--apply', 'write the env file in place (the default destination for --format dotenv)')
    .option('--out <file>', 'write the result to FILE instead of editing the env file')
    .addOption(new Option('--format <fmt>', 'output format').choices(['dotenv', 'sh', 'k8s', 'compose']).default('dotenv'))
    .option('--force', 'write even if a key would go to a host it does not belong to, the file is readable by others, or --verify fails')
    .option('--verify', 'run holy verify against the target (with the key about to be written) first; abort on failure')
    .option('--restart <cmd>', 'run this shell command after applying (e.g. "docker compose restart api")')
    .option('--notify <url>', 'POST a JSON summary (Slack-compatible "text", no keys) to this URL');
}

export function register(program: Command, ctx: Ctx): void {
  common(
    program
      .command('migrate')
      .description(
        "Point the app's env file (--env-file, default .env) at the target provider's base URL and key. " +
          'The lines it replaces are kept in FILE.holy-snapshot.json (mode 0600), so `holy rollback` restores them byte for byte. ' +
          'Only the values of the variables it names change; owner, group, mode and every other byte stay. ' +
          'A file it cannot edit safely is refused untouched (exit 2): YAML/JSON (use --format compose|k8s --out FILE), NUL bytes, hard links.',
      )
      .option('--to <provider>', 'target provider (default: the configured "new", holysheep)'),
  )
    .addHelpText(
      'after',
      examples([
        'holy migrate --env-file .env --dry-run            # show the plan, keys masked',
        'holy migrate --env-file .env --yes --verify       # check the relay with the new key, then write',
        'holy migrate --yes --restart "docker compose restart api" --notify https://hooks.slack.com/services/…',
        'holy migrate --format k8s --out relay.yaml --yes  # Secret + ConfigMap instead of editing .env',
        'holy migrate --format compose --out relay.yaml --yes  # an environment: block to paste into docker-compose.yml',
      ]),
    )
    .addHelpText('after', reference('migrate'))
    .action(lazyAction(ctx, async () => ({ default: (await import('./run.js')).migrateHandler })));

  common(
    program
      .command('rollback')
      .description(
        "Point the app's env file back at the official provider (or --to NAME), from the migrate snapshot when there is one, " +
          'else with the key from --key-from-env, --key-file or OPENAI_API_KEY; with no key anywhere it writes a marked placeholder and exits 3.',
      )
      .option('--to <provider>', 'provider to roll back to', 'official')
      .option('--key-from-env <var>', 'take the official key from this environment variable (e.g. ORIGINAL_OPENAI_KEY)'),
  )
    .addHelpText(
      'after',
      examples([
        'holy rollback --env-file .env --dry-run',
        'holy rollback --env-file .env --yes --restart "systemctl restart api"',
        'holy rollback --yes --key-from-env ORIGINAL_OPENAI_KEY   # no snapshot: take the key from a variable',
        'holy rollback --yes --key-file ~/.config/openai.key      # or from a file',
      ]),
    )
    .addHelpText('after', reference('migrate'))
    .action(lazyAction(ctx, async () => ({ default: (await import('./run.js')).rollbackHandler })));
}
