/** The `Write FILE? [y/N]` question: the masked diff on stderr, an answer from stdin, Ctrl-C exits 130 at once. */
import { createInterface } from 'node:readline';
import type { Ctx } from '../../context.js';
import { Interrupted } from '../../errors.js';
import type { Out } from '../../ui/output.js';
import { diffLines, safe, type Result } from './render.js';

/** Show the diff and ask; true only for y/yes. */
export async function askToWrite(ctx: Ctx, out: Out, r: Result, keys: Array<string | undefined>): Promise<boolean> {
  for (const l of diffLines(r, out.c)) ctx.stderr.write(safe(l, keys) + '\n');
  const label = r.output?.file ?? r.envFile;
  return confirm(ctx, `Write ${label}? [y/N] `, () => new Interrupted(`interrupted; ${label} was not changed.`));
}

/**
 * readline keeps waiting for a line after SIGINT (the terminal is not in raw mode, so ^C never
 * reaches it as input); the abort signal is what the first Ctrl-C sets, so the question races it.
 */
export async function confirm(ctx: Ctx, question: string, interrupted: () => Error): Promise<boolean> {
  if (ctx.signal.aborted) throw interrupted();
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  let onAbort: (() => void) | undefined;
  try {
    const answer = await new Promise<string>((res, rej) => {
      onAbort = () => {
        ctx.stderr.write('\n'); // end the question's line, so the message starts on its own
        rej(interrupted());
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      rl.question(question, res);
      rl.once('close', () => res(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
    rl.close();
  }
}
