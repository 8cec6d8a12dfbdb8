/**
 * What holy does before commander parses: bare `holy` and `holy help [TOPIC]` print help on stdout
 * (help asked for is a result, exit 0), an unknown help topic is a usage error (exit 2) with a
 * suggestion, and `--version --json` prints a JSON document like every other --json.
 */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { EXIT } from '../errors.js';
import { closest } from '../core/suggest.js';

/** The exit code when argv is answered here, or null to let commander parse it. */
export function answerEarly(argv: string[], program: Command, ctx: Ctx, version: string): number | null {
  // No command at all (bare `holy`, or only flags such as `holy --json`): the help, as a result.
  const asksItself = argv.some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  if (argv.length === 0 || (!asksItself && argv.every((a) => a.startsWith('-')))) {
    program.outputHelp();
    return EXIT.ok;
  }
  if ((argv.includes('--version') || argv.includes('-V')) && argv.includes('--json') && !argv.includes('--')) {
    ctx.stdout.write(JSON.stringify({ name: 'holy', version }) + '\n');
    return EXIT.ok;
  }
  if (argv[0] !== 'help') return null;
  const topic = argv.slice(1).filter((a) => !a.startsWith('-'));
  if (topic.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  let cmd: Command = program;
  for (const word of topic) {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    const next = subs.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) {
      const names = subs.map((c) => c.name());
      const near = closest(word, names);
      const where = cmd === program ? 'holy' : `holy ${cmd.name()}`;
      ctx.stderr.write(`holy: ${where} has no help topic '${word}'${near ? `; did you mean '${near}'?` : ''} (topics: ${names.join(', ')}).\n`);
      ctx.stderr.write(`hint: holy help ${near ?? names[0]} shows that command's flags and examples.\n`);
      return EXIT.usage;
    }
    cmd = next;
  }
  cmd.outputHelp();
  return EXIT.ok;
}
