/** Out: how a command talks. Results to stdout; progress, warnings and hints to stderr. */
import type { Ctx } from '../context.js';
import { makeChalk, wantsColor, type ChalkInstance } from './color.js';

type OutputMode = 'json' | 'table' | 'tsv';

/** Flags every command accepts (declared once in cli.ts). */
import type { GlobalOpts } from '../options.js';
export type { GlobalOpts };

export interface Out {
  mode: OutputMode;
  c: ChalkInstance;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
  /** stdout and stderr are both terminals: spinners allowed. */
  interactive: boolean;
  /** Terminal width for tables (80 when unknown). */
  width: number;
  /** A line of result on stdout. */
  line(text?: string): void;
  /** Exactly one JSON document on stdout. */
  json(doc: unknown): void;
  /** Progress/notes on stderr; hidden by -q. */
  info(text: string): void;
  /** Warnings on stderr; shown even with -q. Only for what leaves the exit code 0. */
  warn(text: string): void;
  /** A failure the exit code reports (1 or 3) but the command goes on past: `holy: …` + `hint: …`, as cli.ts prints errors. */
  fail(text: string, hint?: string): void;
  /** Detail on stderr only with --verbose. */
  debug(text: string): void;
}

export function makeOut(ctx: Ctx, g: GlobalOpts): Out {
  const color = g.json ? false : wantsColor(ctx, g.color);
  const c = makeChalk(color);
  const errColor = g.color !== false && wantsColor({ env: ctx.env, stdout: ctx.stderr }, g.color);
  const ec = makeChalk(errColor);
  const mode: OutputMode = g.json ? 'json' : ctx.stdout.isTTY ? 'table' : 'tsv';
  return {
    mode,
    c,
    color,
    quiet: !!g.quiet,
    verbose: !!g.verbose,
    interactive: !!ctx.stdout.isTTY && !!ctx.stderr.isTTY,
    width: ctx.stdout.columns && ctx.stdout.columns > 20 ? ctx.stdout.columns : 80,
    line: (text = '') => void ctx.stdout.write(text + '\n'),
    json: (doc) => void ctx.stdout.write(JSON.stringify(doc, null, 2) + '\n'),
    info: (text) => {
      if (!g.quiet) ctx.stderr.write(text + '\n');
    },
    warn: (text) => void ctx.stderr.write(ec.yellow('warning: ') + text + '\n'),
    fail: (text, hint) => void ctx.stderr.write(`holy: ${text}\n${hint ? `hint: ${hint}\n` : ''}`),
    debug: (text) => {
      if (g.verbose) ctx.stderr.write(ec.dim(text) + '\n');
    },
  };
}
