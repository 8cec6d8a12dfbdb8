/** Progress on stderr: an ora spinner when interactive, throttled plain lines otherwise, nothing with -q. */
import type { Ctx } from '../context.js';
import type { Out } from './output.js';

export interface Progress {
  update(text: string): void;
  /** Stop and leave a final line (or nothing). */
  done(text?: string): void;
}

export async function startProgress(ctx: Ctx, out: Out, text: string, plainEveryMs = 2000): Promise<Progress> {
  if (out.quiet || out.mode === 'json' && !ctx.stderr.isTTY) {
    return { update() {}, done() {} };
  }
  // ora divides by the terminal width; a pseudo-terminal reporting 0 columns would make it redraw forever.
  if (out.interactive && (ctx.stderr.columns ?? 0) > 0) {
    const { default: ora } = await import('ora');
    const spinner = ora({ text, stream: ctx.stderr, isEnabled: true, color: out.color ? 'cyan' : false as never }).start();
    return {
      update: (t) => void (spinner.text = t),
      done: (t) => (t ? spinner.succeed(t) : spinner.stop()),
    };
  }
  // The first plain line comes one interval after progress started, not after the clock's origin (process start).
  let last = ctx.clock();
  return {
    update: (t) => {
      const now = ctx.clock();
      if (now - last >= plainEveryMs) {
        last = now;
        ctx.stderr.write(t + '\n');
      }
    },
    done: (t) => {
      if (t) ctx.stderr.write(t + '\n');
    },
  };
}
