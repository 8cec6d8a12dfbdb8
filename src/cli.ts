/** The holy program: global flags, lazily loaded commands, and the one place errors become exit codes. */
import { Command, CommanderError, Option } from 'commander';
import type { Ctx } from './context.js';
import { EXIT, HolyError, fsRefusal, interruptedExit } from './errors.js';

/** For bin/holy.js: the signals that stop a run like Ctrl-C, and the abort reason carrying the exit code. */
export { STOP_SIGNALS, stopReason } from './errors.js';
import { collect } from './commands/kit.js';
import { HELP_HINT, holyStyle } from './commands/messages.js';
import { answerEarly } from './commands/help.js';
import { VERSION } from './version.js';
import { register as mock } from './commands/mock/command.js';
import { register as verify } from './commands/verify/command.js';
import { register as models } from './commands/models/command.js';
import { register as bench } from './commands/bench/command.js';
import { register as roi } from './commands/roi/command.js';
import { register as migrate } from './commands/migrate/command.js';
import { register as tour } from './commands/tour/command.js';
import { register as traffic } from './commands/traffic/command.js';
import { register as gateway } from './commands/gateway/command.js';


function buildProgram(ctx: Ctx, argv: string[] = []): Command {
  const program = new Command('holy');
  program
    .description(
      'Move OpenAI-compatible traffic between providers and prove it is safe and worth it.\n' +
        'Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 a check failed, 130 interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP.',
    )
    .version(VERSION, '-V, --version')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('-q, --quiet', 'hide progress and notes on stderr')
    .option('--verbose', 'show detail and stack traces on stderr')
    .option('--no-color', 'no colour (also NO_COLOR or TERM=dumb)')
    .option('--config <file>', 'provider config (default: ./holy.config.json if present)')
    .option('--env-file <file>', "read keys and base URLs from the app's dotenv file (process env is not changed)")
    .addOption(
      new Option('--key-file <provider=path>', 'read a provider key from a file (path "-" = stdin); repeatable').argParser(collect),
    )
    .showSuggestionAfterError(true)
    .showHelpAfterError(HELP_HINT)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: (s, write) => write(holyStyle(s, program, argv)),
    })
    .addHelpText(
      'after',
      '\nStart here:\n  $ holy tour                      # offline tour on built-in samples, no key needed\n' +
        '  $ holy verify                    # check keys and endpoints of the old and new provider\n' +
        '  $ holy bench traffic.jsonl --p99 # replay recorded traffic against both\n' +
        '  $ holy roi usage.csv             # savings, ROI and payback\n' +
        '\nReference: README.md in holy\'s folder, then docs/<command>.md (each command\'s --help names its page).\n',
    );
  // Every subcommand, nested ones too, inherits exitOverride, output and help-after-error settings:
  // commander's .command() copies them from its parent, which is configured above before any is created.
  for (const register of [verify, models, bench, traffic, roi, migrate, mock, gateway]) register(program, ctx);
  tour(program, ctx, main);
  return program;
}

/** Run holy with argv (without node and script) and return the exit code. Never exits itself. */
export async function main(argv: string[], ctx: Ctx): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = buildProgram(ctx, argv);
  const early = answerEarly(argv, program, ctx, VERSION);
  if (early !== null) return early;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportError(err, ctx, verbose);
  }
}

function reportError(e0: unknown, ctx: Ctx, verbose: boolean): number {
  const err = fsRefusal(e0) ?? e0;
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help/version text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof HolyError) {
    if (err.message) ctx.stderr.write(`holy: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`hint: ${err.hint}\n`);
    if (verbose && err.stack && err.message) ctx.stderr.write(err.stack + '\n');
    // SIGTERM and SIGHUP stop a run exactly as Ctrl-C does; only the exit code tells them apart.
    return err.exitCode === EXIT.interrupted && ctx.signal.aborted ? interruptedExit(ctx.signal) : err.exitCode;
  }
  if (ctx.signal.aborted) {
    ctx.stderr.write('holy: interrupted.\n');
    return interruptedExit(ctx.signal);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  ctx.stderr.write(`holy: unexpected error: ${e.message}\n`);
  if (verbose) ctx.stderr.write((e.stack ?? '') + '\n');
  else ctx.stderr.write('hint: run again with --verbose for details, and report it if it persists.\n');
  return EXIT.runtime;
}
