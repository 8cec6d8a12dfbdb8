/** Ctx: everything a command may touch in the outside world, so tests can replace it. */
import type { Readable, Writable } from 'node:stream';

export type OutStream = Writable & { isTTY?: boolean; columns?: number };
export type InStream = Readable & { isTTY?: boolean };

export interface Ctx {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  /** The process environment (never mutated by holy). */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Wall clock, ms since epoch. */
  now(): number;
  /** Monotonic high-resolution clock, ms (performance.now()). */
  clock(): number;
  /** Aborted on the first Ctrl-C; long-running commands stop sending and flush what they have. */
  signal: AbortSignal;
  /** Platform: used for file modes and TTY decisions in tests. */
  platform: NodeJS.Platform;
  /** This process's id and whether another one is alive: who holds an env-file lock, which temp files are stale. */
  pid?: number;
  processAlive?(pid: number): boolean;
}

/** The real world, for bin/holy.js. */
export function processCtx(signal: AbortSignal): Ctx {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    clock: () => performance.now(),
    signal,
    platform: process.platform,
    pid: process.pid,
    processAlive,
  };
}

/** kill(pid, 0) delivers nothing and only asks whether the process exists (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
