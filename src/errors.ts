/** Typed errors: thrown anywhere below cli.ts, turned into an exit code in exactly one place. */

export const EXIT = { ok: 0, runtime: 1, usage: 2, check: 3, interrupted: 130, terminated: 143, hangup: 129 } as const;

/** The signals that stop holy gracefully (like Ctrl-C) and their exit codes (128 + signal number). */
export const STOP_SIGNALS = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The reason Ctx.signal is aborted with when a stop signal arrives. */
export function stopReason(sig: StopSignal): Error & { signal: StopSignal; exitCode: number } {
  return Object.assign(new Error(`interrupted by ${sig}`), { signal: sig, exitCode: STOP_SIGNALS[sig] });
}

/** The exit code an interrupted run ends with: 143 for SIGTERM, 129 for SIGHUP, else 130. */
export function interruptedExit(signal: AbortSignal): number {
  const code = (signal.reason as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : EXIT.interrupted;
}

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

/** Ctrl-C (or SIGTERM/SIGHUP: cli.ts turns 130 into 143/129): exit after whatever was measured has been written. */
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

/**
 * A file-system refusal (no permission, read-only disk) that escaped as a raw Node error, as one
 * sentence naming the directory and the fix; undefined for any other error. Exit 1.
 */
export function fsRefusal(err: unknown): HolyError | undefined {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (!e || (e.code !== 'EACCES' && e.code !== 'EPERM' && e.code !== 'EROFS')) return undefined;
  const target = e.dest ?? e.path;
  if (!target) return undefined;
  const dir = target.replace(/[\\/][^\\/]*$/, '') || '/';
  return e.code === 'EROFS'
    ? new RuntimeError(`cannot write in ${dir}: it is on a read-only file system (EROFS).`, `run holy where ${dir} is writable, or write the change elsewhere (e.g. holy migrate --dry-run to see it).`)
    : new RuntimeError(`cannot write in ${dir}: permission denied (${e.code}).`, `give your user write access to ${dir} (e.g. chmod u+w ${dir}), or run holy as the user who owns it.`);
}
