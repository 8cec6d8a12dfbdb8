/** Ctx: everything a command may touch in the outside world, so tests can replace it. */
import type { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { unlinkSync } from 'node:fs';

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
  /**
   * Called by a command that sends a handful of requests and exits (verify, models), before its
   * first request. The real world then has V8 compile WebAssembly with the baseline tier only:
   * otherwise V8 tiers undici's llhttp up with TurboFan on background threads and Node waits for
   * those jobs at exit, 100–400 ms measured, more than the requests themselves (bench/startup.ts).
   * `holy bench` never calls it; inside `holy tour` (verify, then bench) the parser's speed is noise
   * next to the latencies. Tests leave it out.
   */
  fewRequests?(): void;
  /**
   * A long-running server (holy gateway) that reloads on SIGHUP registers here; while one is
   * registered, bin/holy.js delivers SIGHUP to it instead of stopping the run. Returns the
   * unregister function. Absent in tests (they call the reload directly).
   */
  onHangup?(fn: () => void): () => void;
}

let baselineWasm = false;

// SIGHUP listeners (see Ctx.onHangup): a reload, not a stop, while one is registered.
const hangups = new Set<() => void>();

/** For bin/holy.js: hand SIGHUP to the registered listeners; false when there are none (SIGHUP then stops the run). */
export function deliverHangup(): boolean {
  if (hangups.size === 0) return false;
  for (const fn of hangups) fn();
  return true;
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
    onHangup: (fn) => {
      hangups.add(fn);
      return () => void hangups.delete(fn);
    },
    fewRequests: () => {
      if (baselineWasm) return;
      baselineWasm = true;
      setFlagsFromString('--liftoff-only');
    },
  };
}

// The temp files holy has open right now (results, CSV, HTML report, env file being written): a
// second Ctrl-C/SIGTERM exits at once without the usual clean-up, and bin/holy.js removes them then.
// Here, beside Ctx, because both the adapters that write them and the entry point need it.
const openTemps = new Set<string>();

/** Note a temp file that must not outlive the process. */
export function trackTemp(path: string): void {
  openTemps.add(path);
}

/** The temp file was moved into place or removed: nothing left to clean. */
export function untrackTemp(path: string): void {
  openTemps.delete(path);
}

/** Remove every tracked temp file now (synchronous: called on the way out of the process). */
export function removeTempFiles(): void {
  for (const p of openTemps) {
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
  }
  openTemps.clear();
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
