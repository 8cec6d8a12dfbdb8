/**
 * commander's own messages ("error: …" over several lines) in holy's one style: `holy: …` and a
 * `hint: …` line, as cli.ts prints every other error. Also the cases where commander's message is
 * true but unhelpful: a misspelt subcommand ("too many arguments"), a file swallowed as an
 * option's value ("missing required argument").
 */
import type { Command } from 'commander';
import { closest } from '../core/suggest.js';

/** Printed by commander after a usage error (showHelpAfterError). */
export const HELP_HINT = 'hint: add --help to see the usage and examples.';

/** Rewrite one commander error message for `argv`; `program` finds commands and their subcommands. */
export function holyStyle(raw: string, program: Command, argv: string[]): string {
  const lines = raw.replace(/^error: /, '').trim().split('\n');
  let text = lines[0]!.trim();
  const didYouMean = /^\(Did you mean (.+)\?\)$/.exec(lines[1]?.trim() ?? '');
  if (didYouMean) text = `${text.replace(/\.$/, '')}; did you mean ${didYouMean[1]}?`;
  text = subcommandTypo(text, program, argv) ?? swallowedFile(text, program, argv) ?? text;
  return `holy: ${text}\n`;
}

/** `holy models chek x`: commander sees arguments for `models`; the user meant the subcommand `check`. */
function subcommandTypo(text: string, program: Command, argv: string[]): string | null {
  const m = /^too many arguments for '([^']+)'/.exec(text);
  if (!m) return null;
  const cmd = program.commands.find((c) => c.name() === m[1]);
  const subs = cmd?.commands.map((c) => c.name()).filter((n) => n !== 'help') ?? [];
  if (!cmd || subs.length === 0) return null;
  const typed = argv.slice(argv.indexOf(cmd.name()) + 1).find((a) => !a.startsWith('-'));
  if (typed === undefined) return null;
  const near = closest(typed, subs);
  return `'${cmd.name()}' has no subcommand '${typed}'${near ? `; did you mean '${near}'?` : ''} (its subcommands: ${subs.join(', ')}).`;
}

/** `holy bench --p99 traffic.jsonl`: an option with an optional value took the file name. */
function swallowedFile(text: string, program: Command, argv: string[]): string | null {
  const m = /^missing required argument '([^']+)'/.exec(text);
  if (!m) return null;
  const cmd = program.commands.find((c) => argv.includes(c.name()));
  // Only options whose value is optional (`--p99 [ms]`): a required value (`--out FILE`) is meant.
  const optional = new Set((cmd?.options ?? []).filter((o) => o.optional && o.long).map((o) => o.long!));
  for (let i = 0; i + 1 < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1]!;
    if (optional.has(flag) && looksLikeFile(value)) {
      return `missing required argument '${m[1]}': ${flag} took ${value} as its value; put the file before the flag (holy … ${value} ${flag}), or give ${flag} its value.`;
    }
  }
  return null;
}

function looksLikeFile(s: string): boolean {
  return !s.startsWith('-') && /(^|\/)[^/]*\.(jsonl|json|har|csv|gz|ndjson|txt)$/i.test(s);
}
