/** Run the user's restart command after applying: output streamed to stderr, exit code reported. */
import { spawn } from 'node:child_process';
import type { Ctx } from '../../context.js';

export interface RestartResult {
  code: number | null;
  signal: string | null;
  error?: string;
}

/** Run `cmd` through the shell in ctx.cwd with ctx.env; Ctrl-C (ctx.signal) stops it. */
export function runRestart(ctx: Ctx, cmd: string): Promise<RestartResult> {
  return new Promise((resolveP) => {
    const child = spawn(cmd, {
      shell: true,
      cwd: ctx.cwd,
      env: ctx.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: ctx.signal,
    });
    // Its output is progress, not holy's result: stderr keeps stdout clean for --json and pipes.
    child.stdout.on('data', (c: Buffer) => void ctx.stderr.write(c));
    child.stderr.on('data', (c: Buffer) => void ctx.stderr.write(c));
    let done = false;
    child.on('error', (e) => {
      if (done) return;
      done = true;
      resolveP({ code: null, signal: null, error: e.message });
    });
    child.on('close', (code, signal) => {
      if (done) return;
      done = true;
      resolveP({ code, signal });
    });
  });
}
