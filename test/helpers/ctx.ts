/** Test doubles for Ctx: captured stdout/stderr, settable TTY flags, a controllable env and abort signal. */
import { PassThrough, Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Ctx } from '../../src/context.js';
import { main } from '../../src/cli.js';

export interface FakeCtx extends Ctx {
  out(): string;
  err(): string;
  abort(): void;
}

export interface FakeOpts {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  stdinTTY?: boolean;
  /** Replace the monotonic clock (ms), e.g. one that steps on every read, so timing-driven output does not depend on the machine's speed. */
  clock?: () => number;
}

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  let buf = '';
  stream.on('data', (c: Buffer) => (buf += c.toString('utf8')));
  return { stream, text: () => buf };
}

/** A Ctx whose output is captured; env defaults to empty (no ambient keys leak into tests). */
export function fakeCtx(o: FakeOpts = {}): FakeCtx {
  const out = capture(!!o.stdoutTTY);
  const err = capture(!!o.stderrTTY);
  const stdin = Readable.from(o.stdin !== undefined ? [Buffer.from(o.stdin)] : []) as Readable & { isTTY?: boolean };
  stdin.isTTY = !!o.stdinTTY;
  const ac = new AbortController();
  return {
    stdout: out.stream,
    stderr: err.stream,
    stdin,
    env: { ...(o.env ?? {}) },
    cwd: o.cwd ?? process.cwd(),
    now: () => Date.now(),
    clock: o.clock ?? (() => performance.now()),
    signal: ac.signal,
    platform: process.platform,
    pid: process.pid,
    processAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    out: out.text,
    err: err.text,
    abort: () => ac.abort(new Error('interrupted')),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run holy in-process with a fake Ctx. */
export async function runHoly(argv: string[], o: FakeOpts = {}): Promise<RunResult & { ctx: FakeCtx }> {
  const ctx = fakeCtx(o);
  const code = await main(argv, ctx);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: ctx.out(), stderr: ctx.err(), ctx };
}

/** Path of bin/holy.js (tests run from dist/test/…). */
export const HOLY_BIN = fileURLToPath(new URL('../../../bin/holy.js', import.meta.url));

/** Spawn the real CLI (end-to-end), with a clean env unless given. */
export function spawnHoly(
  argv: string[],
  o: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // "--" as in bin/holy.js's shebang: Node 20 would otherwise claim holy's --env-file flag.
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--', HOLY_BIN, ...argv], {
      cwd: o.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH, ...(o.env ?? {}) } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

/** Repo root (for fixtures). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A clock that starts at `from` and moves `step` ms on every read: time passes exactly as fast as the code looks at it. */
export function steppingClock(step: number, from = 0): () => number {
  let t = from - step;
  return () => (t += step);
}
