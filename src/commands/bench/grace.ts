/**
 * The one grace period of a bench run: after Ctrl-C (ctx.signal; SIGTERM and SIGHUP are meant to
 * abort the same signal at the entry) the pairs in flight get GRACE_MS to finish, then they are cut
 * off. Both load loops (closed, open/replay) and the final drain wait on this same timer.
 */
import type { Ctx } from '../../context.js';

/** How long the requests in flight may still finish after an interrupt. */
export const GRACE_MS = 2000;

export interface Grace {
  /** True once the run was interrupted: start nothing new. */
  readonly stopping: boolean;
  /** Resolves GRACE_MS after the interrupt (never, if none comes). */
  readonly expired: Promise<void>;
  /** Remove the listener and the timer (the run is over). */
  dispose(): void;
}

/** Start listening for the interrupt; dispose() when the run ends. */
export function startGrace(ctx: Ctx): Grace {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let fire: () => void = () => undefined;
  const expired = new Promise<void>((ok) => (fire = ok));
  const onAbort = () => {
    stopping = true;
    timer = setTimeout(fire, GRACE_MS);
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return {
    get stopping() {
      return stopping;
    },
    expired,
    dispose() {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    },
  };
}
