/** Glue between commander and a command's lazily loaded run module. */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
// Types only: output.ts pulls in chalk, which `holy --help` never needs (loaded in lazyAction instead).
import type { GlobalOpts, Out } from '../ui/output.js';

/** What a command's handler receives: the world, how to print, and its parsed flags/args. */
export interface Invocation<O = Record<string, unknown>> {
  ctx: Ctx;
  out: Out;
  g: GlobalOpts;
  opts: O;
  /** Positional arguments in declaration order (variadic ones as arrays). */
  args: unknown[];
  command: Command;
}

export type Handler<O> = (inv: Invocation<O>) => Promise<void>;

/**
 * Wrap a lazily imported handler as a commander action, so `holy --help` never loads
 * the openai SDK, undici or csv-parse.
 */
export function lazyAction<O>(ctx: Ctx, load: () => Promise<{ default: Handler<O> }>) {
  return async (...a: unknown[]): Promise<void> => {
    const command = a[a.length - 1] as Command;
    const g = command.optsWithGlobals() as GlobalOpts;
    const [{ makeOut }, { default: handler }] = await Promise.all([import('../ui/output.js'), load()]);
    const out = makeOut(ctx, g);
    await handler({ ctx, out, g, opts: command.opts() as O, args: a.slice(0, -2), command });
  };
}

/** Help footer with examples, the same shape for every command. */
export function examples(lines: string[]): string {
  return '\nExamples:\n' + lines.map((l) => (l.startsWith('#') ? `  ${l}` : `  $ ${l}`)).join('\n') + '\n';
}

/** Help footer naming the command's reference page (every flag, format and definition), shipped with holy. */
export function reference(doc: string): string {
  return `\nReference: docs/${doc}.md (in holy's folder; README.md starts there)\n`;
}

/** Parse a repeatable flag into an array (commander's collector). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
