/** Typed errors: thrown anywhere below cli.ts, turned into an exit code in exactly one place. */

export const EXIT = { ok: 0, runtime: 1, usage: 2, check: 3, interrupted: 130 } as const;

export class HolyError extends Error {
  readonly exitCode: number;
  /** One sentence telling the user what to do next. */
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? EXIT.runtime;
    this.hint = opts.hint;
  }
}

/** Bad flag, argument, config or input file: exit 2. */
export class UsageError extends HolyError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.usage, hint });
  }
}

/** A check ran and failed (bad key, SLO missed, regression): exit 3. */
export class CheckFailed extends HolyError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.check, hint });
  }
}

/** Something outside holy failed (network, disk): exit 1. */
export class RuntimeError extends HolyError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: EXIT.runtime, hint, cause });
  }
}

/** Ctrl-C: exit 130 after whatever was measured has been written. */
export class Interrupted extends HolyError {
  constructor(message = 'Interrupted.') {
    super(message, { exitCode: EXIT.interrupted });
  }
}

/** The result was already printed (e.g. a verify table with failures); only the exit code is left. */
export class SilentExit extends HolyError {
  constructor(exitCode: number) {
    super('', { exitCode });
  }
}
